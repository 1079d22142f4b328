import type { z } from 'zod';
import {
  ChannelPoint,
  CloseType,
  CommitmentType,
  Initiator,
  MessageId,
  Msat,
  NetworkAddress,
  Pubkey,
  Sat,
  ShortChannelId,
  Timestamp,
  Txid,
  Uint64String,
} from './primitives.js';

const TXID = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const PUBKEY = `02${'ab'.repeat(32)}`;

/** messagesOf parses without throwing and returns the issue messages (empty when valid). */
function messagesOf(schema: z.ZodType, value: unknown): string[] {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((issue) => issue.message);
}

describe('Pubkey', () => {
  it.each([
    ['an 02-prefixed key', PUBKEY],
    ['an 03-prefixed key', `03${'0f'.repeat(32)}`],
  ])('accepts %s', (_label, value) => {
    expect(Pubkey.parse(value)).toBe(value);
  });

  it.each<[string, unknown]>([
    ['uppercase hex', PUBKEY.toUpperCase()],
    ['mixed case hex', `02${'aB'.repeat(32)}`],
    ['an uncompressed 04 prefix', `04${'ab'.repeat(32)}`],
    ['a 00 prefix', `00${'ab'.repeat(32)}`],
    ['65 characters', PUBKEY.slice(0, -1)],
    ['67 characters', `${PUBKEY}0`],
    ['a full uncompressed key (65 bytes)', `04${'ab'.repeat(64)}`],
    ['non-hex characters', `02${'zz'.repeat(32)}`],
    ['surrounding whitespace', ` ${PUBKEY}`],
    ['empty', ''],
    ['a number', 2],
    ['null', null],
  ])('rejects %s', (_label, value) => {
    expect(Pubkey.safeParse(value).success).toBe(false);
  });

  it('explains what a pubkey must be', () => {
    expect(messagesOf(Pubkey, PUBKEY.toUpperCase())).toEqual(['must be a 33-byte compressed public key in lowercase hex']);
  });
});

describe('Txid', () => {
  it('accepts 64 lowercase hex characters', () => {
    expect(Txid.parse(TXID)).toBe(TXID);
  });

  it.each<[string, unknown]>([
    ['uppercase', TXID.toUpperCase()],
    ['63 characters', TXID.slice(1)],
    ['65 characters', `${TXID}0`],
    ['a channel point', `${TXID}:0`],
    ['a number', 1],
  ])('rejects %s', (_label, value) => {
    expect(Txid.safeParse(value).success).toBe(false);
  });
});

describe('ChannelPoint', () => {
  it.each([
    ['output index 0', `${TXID}:0`],
    ['output index 1', `${TXID}:1`],
    ['the largest uint32 index', `${TXID}:4294967295`],
  ])('accepts %s', (_label, value) => {
    expect(ChannelPoint.parse(value)).toBe(value);
  });

  it.each<[string, unknown]>([
    ['a missing index (no colon)', TXID],
    ['a missing index after the colon', `${TXID}:`],
    ['an index of 2^32 (above 2^32-1)', `${TXID}:4294967296`],
    ['a 10-digit index above 2^32-1', `${TXID}:9999999999`],
    ['an 11-digit index', `${TXID}:10000000000`],
    ['a leading zero in the index', `${TXID}:01`],
    ['a double zero index', `${TXID}:00`],
    ['a negative index', `${TXID}:-1`],
    ['an uppercase txid', `${TXID.toUpperCase()}:0`],
    ['a 63-character txid', `${TXID.slice(1)}:0`],
    ['a missing txid', ':0'],
    ['two indexes', `${TXID}:0:1`],
    ['a number', 0],
  ])('rejects %s', (_label, value) => {
    expect(ChannelPoint.safeParse(value).success).toBe(false);
  });

  it('says the output index must fit in 32 bits when it is too large', () => {
    expect(messagesOf(ChannelPoint, `${TXID}:4294967296`)).toEqual(['output index must fit in 32 bits']);
  });
});

describe('Sat', () => {
  it.each([0, 1, 2_100_000_000_000_000, Number.MAX_SAFE_INTEGER])('accepts %p', (value) => {
    expect(Sat.parse(value)).toBe(value);
  });

  it.each<[string, unknown]>([
    ['negative', -1],
    ['fractional', 1.5],
    ['above MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER + 1],
    ['far above MAX_SAFE_INTEGER', 1e300],
    ['a numeric string', '1000'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a bigint', 1000n],
    ['null', null],
    ['undefined', undefined],
  ])('rejects %s', (_label, value) => {
    expect(Sat.safeParse(value).success).toBe(false);
  });
});

describe.each([
  ['Uint64String', Uint64String],
  ['Msat', Msat],
  ['ShortChannelId', ShortChannelId],
])('%s', (_name, schema) => {
  it.each(['0', '1', '9007199254740993', '18446744073709551615'])('accepts %p', (value) => {
    expect(schema.parse(value)).toBe(value);
  });

  it.each<[string, unknown]>([
    ['2^64 (above 2^64-1)', '18446744073709551616'],
    ['a 20-digit value above 2^64-1', '99999999999999999999'],
    ['21 digits', '100000000000000000000'],
    ['a non-digit character', '12a4'],
    ['letters only', 'abc'],
    ['a decimal fraction', '1.5'],
    ['an exponent', '1e3'],
    ['hex', '0x10'],
    ['a negative sign', '-1'],
    ['a plus sign', '+1'],
    ['a leading zero', '01'],
    ['surrounding whitespace', ' 1'],
    ['empty', ''],
    ['a number', 1],
    ['a bigint', 1n],
  ])('rejects %s without throwing', (_label, value) => {
    expect(() => schema.safeParse(value)).not.toThrow();
    expect(schema.safeParse(value).success).toBe(false);
  });

  it('says a value must fit in 64 bits when it is too large', () => {
    expect(messagesOf(schema, '18446744073709551616')).toEqual(['must fit in 64 bits']);
  });

  it('says a non-digit value must be an unsigned decimal integer', () => {
    expect(messagesOf(schema, '12a4')).toEqual(['must be an unsigned decimal integer']);
  });
});

describe('NetworkAddress', () => {
  it.each([
    ['an IPv4 host', '203.0.113.7:9735'],
    ['a bracketed IPv6 host', '[2001:db8::1]:9735'],
    ['a bracketed IPv4-mapped IPv6 host', '[::ffff:203.0.113.7]:9735'],
    ['an onion v3 host', `${'a2'.repeat(28)}.onion:9735`],
    ['a DNS host', 'node.example.com:9735'],
    ['port 1', 'node.example.com:1'],
    ['port 65535', 'node.example.com:65535'],
  ])('accepts %s', (_label, value) => {
    expect(NetworkAddress.parse(value)).toBe(value);
  });

  it.each<[string, unknown]>([
    ['no port', '203.0.113.7'],
    ['an empty port', '203.0.113.7:'],
    ['port 0', '203.0.113.7:0'],
    ['port 65536', '203.0.113.7:65536'],
    ['a six-digit port', '203.0.113.7:123456'],
    ['a leading zero in the port', '203.0.113.7:09735'],
    ['an unbracketed IPv6 host', '2001:db8::1:9735'],
    ['no host', ':9735'],
    ['a space in the host', 'node example.com:9735'],
    ['a scheme', 'tcp://203.0.113.7:9735'],
    ['more than 255 characters', `${'a'.repeat(250)}.com:9735`],
    ['a number', 9735],
  ])('rejects %s', (_label, value) => {
    expect(NetworkAddress.safeParse(value).success).toBe(false);
  });

  it('says the port must be at most 65535', () => {
    expect(messagesOf(NetworkAddress, '203.0.113.7:65536')).toEqual(['port must be at most 65535']);
  });
});

describe('Timestamp', () => {
  it.each(['2026-01-02T03:04:05Z', '2026-01-02T03:04:05.000Z', '2026-01-02T03:04:05.123456Z', '2026-01-02T05:04:05+02:00'])(
    'accepts %p',
    (value) => {
      expect(Timestamp.parse(value)).toBe(value);
    },
  );

  it.each<[string, unknown]>([
    ['a local time without an offset', '2026-01-02T03:04:05'],
    ['a local time with milliseconds and no offset', '2026-01-02T03:04:05.000'],
    ['a date only', '2026-01-02'],
    ['a space instead of T', '2026-01-02 03:04:05Z'],
    ['an impossible month', '2026-13-02T03:04:05Z'],
    ['free text', 'yesterday'],
    ['epoch milliseconds', 1_767_323_045_000],
    ['a Date object', new Date('2026-01-02T03:04:05Z')],
  ])('rejects %s', (_label, value) => {
    expect(Timestamp.safeParse(value).success).toBe(false);
  });
});

describe('MessageId', () => {
  it.each(['a', 'ChannelOpened-0f3a', 'a.b_c:d-E9', 'x'.repeat(200)])('accepts %p', (value) => {
    expect(MessageId.parse(value)).toBe(value);
  });

  it.each<[string, unknown]>([
    ['empty', ''],
    ['201 characters', 'x'.repeat(201)],
    ['a space', 'has space'],
    ['a slash', 'a/b'],
    ['a NATS wildcard', 'a.*'],
    ['a non-ASCII letter', 'café'],
    ['a newline', 'a\nb'],
    ['a number', 1],
    ['null', null],
  ])('rejects %s', (_label, value) => {
    expect(MessageId.safeParse(value).success).toBe(false);
  });
});

describe('lnd enums', () => {
  it('Initiator is exactly lnd Initiator', () => {
    expect(Initiator.options).toEqual(['UNKNOWN', 'LOCAL', 'REMOTE', 'BOTH']);
    expect(Initiator.safeParse('local').success).toBe(false);
    expect(Initiator.safeParse('INITIATOR_LOCAL').success).toBe(false);
  });

  it('CommitmentType is exactly lnd CommitmentType', () => {
    expect(CommitmentType.options).toEqual([
      'UNKNOWN_COMMITMENT_TYPE',
      'LEGACY',
      'STATIC_REMOTE_KEY',
      'ANCHORS',
      'SCRIPT_ENFORCED_LEASE',
      'SIMPLE_TAPROOT',
      'SIMPLE_TAPROOT_OVERLAY',
    ]);
    expect(CommitmentType.safeParse('anchors').success).toBe(false);
  });

  it('CloseType is exactly lnd ClosureType', () => {
    expect(CloseType.options).toEqual([
      'COOPERATIVE_CLOSE',
      'LOCAL_FORCE_CLOSE',
      'REMOTE_FORCE_CLOSE',
      'BREACH_CLOSE',
      'FUNDING_CANCELED',
      'ABANDONED',
    ]);
    expect(CloseType.safeParse('cooperative_close').success).toBe(false);
    expect(CloseType.safeParse(0).success).toBe(false);
  });
});
