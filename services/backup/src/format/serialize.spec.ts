import type { BackupChannel, ChannelSetSnapshot } from '../channel-set/backup-channel.js';
import { InvalidChannelSetError, MalformedBackupError } from '../errors.js';
import { CHANNEL_SET_FORMAT_VERSION, MAX_CHANNELS, contentHash, parseChannelSet, serializeChannelSet } from './serialize.js';

const NODE = `03${'5e'.repeat(32)}`;
const PEER_1 = `02${'11'.repeat(32)}`;
const PEER_2 = `03${'22'.repeat(32)}`;
const TXID_1 = `${'0a'.repeat(31)}01`;
const TXID_2 = `${'0a'.repeat(31)}02`;

const open: BackupChannel = {
  channelPoint: `${TXID_1}:1`,
  peer: PEER_1,
  peerAddresses: ['198.51.100.1:9735', '[2001:db8::1]:9735'],
  capacitySat: 5_000_000,
  initiator: 'LOCAL',
  commitmentType: 'ANCHORS',
  shortChannelId: '871234567890123',
};

const pendingRemote: BackupChannel = {
  channelPoint: `${TXID_2}:0`,
  peer: PEER_2,
  peerAddresses: [],
  capacitySat: 20_000,
  initiator: 'REMOTE',
  commitmentType: 'SIMPLE_TAPROOT',
  shortChannelId: null,
};

const set: ChannelSetSnapshot = { nodeId: NODE, channels: [open, pendingRemote] };

/** hex builds bytes from hex fragments, for hand-written expected encodings. */
function hex(...parts: string[]): Uint8Array {
  return new Uint8Array(Buffer.from(parts.join(''), 'hex'));
}

const ascii = (text: string): string => Buffer.from(text, 'ascii').toString('hex');

/** The hand-computed encoding of `set`, field by field as BACKUP_FORMAT.md describes it. */
const GOLDEN = hex(
  '4c464353', // magic "LFCS"
  '01', // format version
  NODE,
  '00000002', // two channels
  // channel 1: TXID_1:1
  TXID_1,
  '00000001', // output index
  PEER_1,
  '00000000004c4b40', // 5 000 000 sat
  '01', // LOCAL
  '03', // ANCHORS
  '01', // flags: short channel id follows
  '000318621aef64cb', // 871234567890123
  '02', // two addresses, sorted: "198…" < "[20…"
  '11',
  ascii('198.51.100.1:9735'),
  '12',
  ascii('[2001:db8::1]:9735'),
  // channel 2: TXID_2:0
  TXID_2,
  '00000000',
  PEER_2,
  '0000000000004e20', // 20 000 sat
  '02', // REMOTE
  '05', // SIMPLE_TAPROOT
  '00', // no short channel id
  '00', // no addresses
);

describe('channel set serialization: format', () => {
  it('writes exactly the documented bytes', () => {
    expect(Buffer.from(serializeChannelSet(set)).toString('hex')).toBe(Buffer.from(GOLDEN).toString('hex'));
    expect(CHANNEL_SET_FORMAT_VERSION).toBe(1);
  });

  it('has a stable content hash', () => {
    expect(contentHash(serializeChannelSet(set))).toBe(contentHash(GOLDEN));
    expect(contentHash(GOLDEN)).toMatch(/^[0-9a-f]{64}$/);
    expect(contentHash(serializeChannelSet(set))).toBe('5f2c0cc20d55741f58b01ab94393c0e2e19bdd3a0ec94e55d2eb1195e82e6efe');
  });

  it('writes an empty set as its 42-byte header', () => {
    expect(Buffer.from(serializeChannelSet({ nodeId: NODE, channels: [] })).toString('hex')).toBe(`4c46435301${NODE}00000000`);
  });
});

describe('channel set serialization: determinism and round trip', () => {
  it('gives identical bytes for the same set in any insertion order, addresses in any order or repeated', () => {
    const reordered: ChannelSetSnapshot = {
      nodeId: NODE,
      channels: [pendingRemote, { ...open, peerAddresses: ['[2001:db8::1]:9735', '198.51.100.1:9735', '[2001:db8::1]:9735'] }],
    };
    expect(serializeChannelSet(reordered)).toEqual(serializeChannelSet(set));
    expect(contentHash(serializeChannelSet(reordered))).toBe(contentHash(serializeChannelSet(set)));
  });

  it('sorts by txid, then output index numerically', () => {
    const points = [`${TXID_2}:0`, `${TXID_1}:10`, `${TXID_1}:2`, `${TXID_1}:4294967295`];
    const channels = points.map((channelPoint) => ({ ...pendingRemote, channelPoint }));
    const parsed = parseChannelSet(serializeChannelSet({ nodeId: NODE, channels }));
    expect(parsed.channels.map((channel) => channel.channelPoint)).toEqual([
      `${TXID_1}:2`,
      `${TXID_1}:10`,
      `${TXID_1}:4294967295`,
      `${TXID_2}:0`,
    ]);
  });

  it('parses what it writes, and writes what it parses', () => {
    const bytes = serializeChannelSet(set);
    const parsed = parseChannelSet(bytes);
    expect(parsed).toEqual(set);
    expect(serializeChannelSet(parsed)).toEqual(bytes);
  });

  it('keeps extreme values exact', () => {
    const extreme: BackupChannel = {
      ...open,
      capacitySat: Number.MAX_SAFE_INTEGER,
      shortChannelId: '18446744073709551615',
      peerAddresses: [`${'h'.repeat(249)}:65535`],
      initiator: 'BOTH',
      commitmentType: 'SIMPLE_TAPROOT_OVERLAY',
    };
    expect(parseChannelSet(serializeChannelSet({ nodeId: NODE, channels: [extreme] })).channels).toEqual([extreme]);
  });

  it.each(['UNKNOWN', 'LOCAL', 'REMOTE', 'BOTH'] as const)('round-trips initiator %s', (initiator) => {
    const channel = { ...open, initiator };
    expect(parseChannelSet(serializeChannelSet({ nodeId: NODE, channels: [channel] })).channels).toEqual([channel]);
  });

  it.each([
    'UNKNOWN_COMMITMENT_TYPE',
    'LEGACY',
    'STATIC_REMOTE_KEY',
    'ANCHORS',
    'SCRIPT_ENFORCED_LEASE',
    'SIMPLE_TAPROOT',
    'SIMPLE_TAPROOT_OVERLAY',
  ] as const)('round-trips commitment type %s', (commitmentType) => {
    const channel = { ...open, commitmentType };
    expect(parseChannelSet(serializeChannelSet({ nodeId: NODE, channels: [channel] })).channels).toEqual([channel]);
  });

  it('writes lnd\'s "no short channel id" (0) as absent', () => {
    const bytes = serializeChannelSet({ nodeId: NODE, channels: [{ ...open, shortChannelId: '0' }] });
    expect(parseChannelSet(bytes).channels[0]?.shortChannelId).toBeNull();
  });
});

describe('channel set serialization: refusing what it cannot write', () => {
  it.each<[string, Partial<BackupChannel>]>([
    ['a malformed channel point', { channelPoint: 'abc:1' }],
    ['a malformed peer', { peer: `04${'11'.repeat(32)}` }],
    ['a fractional capacity', { capacitySat: 1.5 }],
    ['a capacity beyond 2^53 - 1', { capacitySat: 2 ** 53 }],
    ['a short channel id beyond 64 bits', { shortChannelId: '18446744073709551616' }],
    ['an address that is not host:port', { peerAddresses: ['no-port'] }],
    ['33 addresses', { peerAddresses: Array.from({ length: 33 }, (_, i) => `198.51.100.${i}:9735`) }],
  ])('throws InvalidChannelSetError for %s', (_what, override) => {
    expect(() => serializeChannelSet({ nodeId: NODE, channels: [{ ...open, ...override }] })).toThrow(InvalidChannelSetError);
  });

  it('throws for a channel listed twice and for a malformed node id', () => {
    expect(() => serializeChannelSet({ nodeId: NODE, channels: [open, { ...open, capacitySat: 1 }] })).toThrow(/appears twice/);
    expect(() => serializeChannelSet({ nodeId: 'node', channels: [] })).toThrow(InvalidChannelSetError);
  });
});

describe('channel set serialization: parse validation', () => {
  /** patch returns GOLDEN with bytes replaced at `offset`. */
  function patch(offset: number, bytes: string): Uint8Array {
    const copy = Uint8Array.from(GOLDEN);
    copy.set(hex(bytes), offset);
    return copy;
  }

  // Offsets in GOLDEN: header 0..41; channel 1 starts at 42: txid 42, index 74, peer 78,
  // capacity 111, initiator 119, commitment 120, flags 121, scid 122, address count 130,
  // first address length 131. Channel 2 starts at 42 + 126 = 168.
  const CHANNEL_2 = 168;

  it('rejects every truncation', () => {
    for (let length = 0; length < GOLDEN.length; length += 1) {
      expect(() => parseChannelSet(GOLDEN.subarray(0, length))).toThrow(MalformedBackupError);
    }
  });

  it.each<[string, Uint8Array, RegExp]>([
    ['a wrong magic', patch(0, '4c464342'), /magic/],
    ['format version 2', patch(4, '02'), /format version 2 is not supported/],
    ['a node id that is not a public key', patch(5, '04'), /node id is not a compressed public key \(at byte 5\)/],
    ['a channel count larger than the data', patch(38, '00000003'), /truncated/],
    ['an absurd channel count', patch(38, 'ffffffff'), new RegExp(`exceeds ${MAX_CHANNELS}`)],
    ['an unknown initiator', patch(119, '04'), /unknown initiator code 4 \(at byte 119\)/],
    ['an unknown commitment type', patch(120, '07'), /unknown commitment type code 7/],
    ['unknown flags', patch(121, '03'), /unknown flags 0x3/],
    ['a capacity beyond 2^53 - 1', patch(111, '0020000000000000'), /exceeds 2\^53 - 1/],
    ['an empty address', patch(131, '00'), /address 0 of .* is not host:port/],
    ['an address that is not host:port', patch(132, ascii('[')), /address 0 of .* is not host:port/],
    ['addresses out of order', patch(131, `12${ascii('[2001:db8::1]:9735')}11${ascii('198.51.100.1:9735')}`), /not sorted and unique/],
    ['a peer that is not a public key', patch(78, '05'), /peer of .* is not a compressed public key/],
    ['channels out of order', patch(CHANNEL_2 + 31, '00'), /out of order or repeated/],
    ['a repeated channel', patch(CHANNEL_2, `${TXID_1}00000001`), /out of order or repeated/],
    ['trailing bytes', hex(Buffer.from(GOLDEN).toString('hex'), '00'), /1 unexpected bytes after the last channel/],
  ])('rejects %s', (_what, bytes, message) => {
    expect(() => parseChannelSet(bytes)).toThrow(MalformedBackupError);
    expect(() => parseChannelSet(bytes)).toThrow(message);
  });

  it('rejects a short channel id of 0 flagged as present', () => {
    const bytes = serializeChannelSet({ nodeId: NODE, channels: [{ ...open, peerAddresses: [] }] });
    const copy = Uint8Array.from(bytes);
    copy.set(new Uint8Array(8), 122);
    expect(() => parseChannelSet(copy)).toThrow(/is 0 but flagged present/);
  });

  it('rejects duplicate addresses', () => {
    const single = serializeChannelSet({ nodeId: NODE, channels: [{ ...open, peerAddresses: ['198.51.100.1:9735'] }] });
    const address = `11${ascii('198.51.100.1:9735')}`;
    const doubled = hex(Buffer.from(single.subarray(0, 130)).toString('hex'), '02', address, address);
    expect(() => parseChannelSet(doubled)).toThrow(/not sorted and unique/);
  });
});
