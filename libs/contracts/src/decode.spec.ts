import { definitionOf } from './catalogue.js';
import { decodeMessage, describeDecodeError, validateMessage, type DecodeError, type DecodeResult } from './decode.js';
import {
  catalogueTypes,
  decodeJson,
  expectFailure,
  NODE_ID,
  validData,
  validMessage,
  withoutPath,
  withPath,
} from './fixtures.spec-helpers.js';

const encoder = new TextEncoder();

describe('decodeMessage', () => {
  describe('valid messages', () => {
    it.each(catalogueTypes)('decodes a valid %s from bytes and from a string', (type) => {
      const json = JSON.stringify(validMessage(type));
      expect(decodeMessage(encoder.encode(json))).toEqual({ ok: true, message: validMessage(type) });
      expect(decodeMessage(json)).toEqual({ ok: true, message: validMessage(type) });
    });

    it('returns a message narrowed by type', () => {
      const result = decodeMessage(JSON.stringify(validMessage('ChannelOpened')));
      if (!result.ok) throw new Error(describeDecodeError(result.error));
      if (result.message.type !== 'ChannelOpened') throw new Error(`decoded as ${result.message.type}`);
      const chanId: string = result.message.data.chanId;
      expect(chanId).toBe(validData.ChannelOpened.chanId);
    });

    it('accepts a message caused by another one', () => {
      const message = { ...validMessage('PeerOnline'), causationId: 'NodeStateSnapshot-1', correlationId: 'root-1' };
      expect(decodeJson(message)).toEqual({ ok: true, message });
    });

    it('accepts a UTF-8 byte order mark before the JSON', () => {
      const body = encoder.encode(JSON.stringify(validMessage('PeerOffline')));
      const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...body]);
      expect(decodeMessage(bytes).ok).toBe(true);
    });
  });

  describe('MALFORMED_JSON', () => {
    it.each([
      ['an empty payload', ''],
      ['a truncated object', '{"id":"x",'],
      ['single-quoted keys', "{'id':'x'}"],
      ['a trailing comma', '{"id":"x",}'],
      ['plain text', 'ChannelOpened'],
      ['NaN', 'NaN'],
    ])('reports %s as bytes and as a string', (_label, text) => {
      for (const raw of [text, encoder.encode(text)]) {
        const error = expectFailure(decodeMessage(raw));
        expect(error.code).toBe('MALFORMED_JSON');
        expect(error.field).toBe('');
        expect(error.message).toMatch(/^payload is not UTF-8 JSON: /);
        expect(error.type).toBeUndefined();
      }
    });

    it.each([
      ['a lone continuation byte', [0x80]],
      ['an invalid start byte', [0xff, 0xfe]],
      ['a truncated multi-byte sequence', [0x7b, 0x22, 0xe2, 0x82, 0x22, 0x7d]],
      ['an overlong encoding of "/"', [0xc0, 0xaf]],
      ['a UTF-16 surrogate encoded in UTF-8', [0xed, 0xa0, 0x80]],
    ])('reports invalid UTF-8 (%s)', (_label, bytes) => {
      const error = expectFailure(decodeMessage(new Uint8Array(bytes)));
      expect(error).toMatchObject({ code: 'MALFORMED_JSON', field: '' });
    });

    it('reports invalid UTF-8 inside an otherwise valid message instead of replacing it', () => {
      const json = JSON.stringify(withPath(validMessage('NodeStateSnapshot'), 'data.alias', 'XX'));
      const bytes = encoder.encode(json);
      const at = json.indexOf('"XX"') + 1;
      bytes[at] = 0xc3;
      bytes[at + 1] = 0x28;
      expect(expectFailure(decodeMessage(bytes)).code).toBe('MALFORMED_JSON');
    });

    it('decodes valid bytes after rejecting invalid UTF-8 (the decoder keeps no state)', () => {
      expect(decodeMessage(new Uint8Array([0xe2, 0x82])).ok).toBe(false);
      expect(decodeMessage(encoder.encode(JSON.stringify(validMessage('PeerOnline')))).ok).toBe(true);
    });
  });

  describe('INVALID_ENVELOPE', () => {
    it.each([
      ['null', 'null'],
      ['an array', '[]'],
      ['an array holding a message', JSON.stringify([validMessage('PeerOnline')])],
      ['a number', '42'],
      ['a string', '"x"'],
      ['a boolean', 'true'],
      ['an empty object', '{}'],
    ])('rejects non-message JSON: %s', (_label, json) => {
      const error = expectFailure(decodeMessage(json));
      expect(error.code).toBe('INVALID_ENVELOPE');
      expect(error.type).toBeUndefined();
    });

    it('rejects JSON that is not an object as a whole (field "")', () => {
      for (const json of ['null', '[]', '42', '"x"']) {
        expect(expectFailure(decodeMessage(json)).field).toBe('');
      }
    });

    it.each<[string, unknown]>([
      ['id', ''],
      ['id', 'has space'],
      ['id', 'x'.repeat(201)],
      ['id', 5],
      ['type', ''],
      ['schemaVersion', 0],
      ['schemaVersion', -1],
      ['schemaVersion', 1.5],
      ['schemaVersion', '1'],
      ['nodeId', NODE_ID.toUpperCase()],
      ['nodeId', `04${NODE_ID.slice(2)}`],
      ['nodeId', NODE_ID.slice(0, 64)],
      ['nodeId', null],
      ['occurredAt', '2026-01-02T03:04:05'],
      ['occurredAt', '2026-01-02'],
      ['occurredAt', 1_767_323_045_000],
      ['causationId', 'not an id!'],
      ['causationId', ''],
      ['correlationId', null],
      ['correlationId', 'a/b'],
    ])('names the field when %s is %p', (field, value) => {
      const error = expectFailure(decodeJson(withPath(validMessage('ChannelResolved'), field, value)));
      expect(error.code).toBe('INVALID_ENVELOPE');
      expect(error.field).toBe(field);
      expect(error.message).not.toBe('');
    });

    it.each(['id', 'type', 'schemaVersion', 'nodeId', 'occurredAt', 'causationId', 'correlationId'])(
      'requires the header field %s',
      (field) => {
        const error = expectFailure(decodeJson(withoutPath(validMessage('ChannelResolved'), field)));
        expect(error).toMatchObject({ code: 'INVALID_ENVELOPE', field });
      },
    );

    it('reports the type of a readable envelope with a bad header', () => {
      const error = expectFailure(decodeJson(withPath(validMessage('ChannelClosed'), 'nodeId', 'nope')));
      expect(error).toMatchObject({ code: 'INVALID_ENVELOPE', field: 'nodeId', type: 'ChannelClosed' });
    });

    it('does not report a type that is not a string', () => {
      const error = expectFailure(decodeJson(withPath(validMessage('ChannelClosed'), 'type', 7)));
      expect(error).toMatchObject({ code: 'INVALID_ENVELOPE', field: 'type' });
      expect(error.type).toBeUndefined();
    });

    it('rejects unknown header keys and names them', () => {
      const error = expectFailure(decodeJson(withPath(validMessage('PeerOnline'), 'sequence', 12)));
      expect(error).toMatchObject({ code: 'INVALID_ENVELOPE', field: '', type: 'PeerOnline' });
      expect(error.message).toContain('sequence');
    });

    it('judges the envelope before the type: a bad header on an unknown type is an envelope error', () => {
      const message = withPath(withPath(validMessage('PeerOnline'), 'type', 'Teleported'), 'nodeId', 'x');
      expect(expectFailure(decodeJson(message))).toMatchObject({ code: 'INVALID_ENVELOPE', field: 'nodeId' });
    });
  });

  describe('UNKNOWN_TYPE', () => {
    it.each(['ChannelTeleported', 'channelopened', 'CHANNELOPENED', 'ChannelOpened ', 'toString', 'constructor', '__proto__', 'hasOwnProperty'])(
      'reports %p as unknown, with the type',
      (type) => {
        const error = expectFailure(decodeJson(withPath(validMessage('PeerOnline'), 'type', type)));
        expect(error).toEqual({ code: 'UNKNOWN_TYPE', field: 'type', type, message: `unknown message type "${type}"` });
      },
    );

    it('reports an unknown type even when its data is missing (the type decides the schema)', () => {
      const message = withoutPath(withPath(validMessage('PeerOnline'), 'type', 'FutureEvent'), 'data');
      expect(expectFailure(decodeJson(message))).toMatchObject({ code: 'UNKNOWN_TYPE', type: 'FutureEvent' });
    });
  });

  describe('UNSUPPORTED_VERSION', () => {
    it.each(catalogueTypes)('reports %s at the next schema version as newer', (type) => {
      const supported = definitionOf(type)?.schemaVersion ?? Number.NaN;
      const error = expectFailure(decodeJson(withPath(validMessage(type), 'schemaVersion', supported + 1)));
      expect(error.code).toBe('UNSUPPORTED_VERSION');
      expect(error.field).toBe('schemaVersion');
      expect(error.type).toBe(type);
      expect(error.message).toContain('newer');
      expect(error.message).toBe(
        `${type} schemaVersion ${supported + 1} is newer than the supported version ${supported}`,
      );
    });

    it('reports a much newer version (schemaVersion 2 and 99)', () => {
      for (const schemaVersion of [2, 99]) {
        const error = expectFailure(decodeJson(withPath(validMessage('ChannelOpened'), 'schemaVersion', schemaVersion)));
        expect(error).toMatchObject({ code: 'UNSUPPORTED_VERSION', field: 'schemaVersion', type: 'ChannelOpened' });
        expect(error.message).toMatch(/newer/);
      }
    });

    it('does not judge newer data by the old schema', () => {
      const newer = withPath(withPath(validMessage('ChannelOpened'), 'schemaVersion', 2), 'data.fieldAddedInV2', true);
      expect(expectFailure(decodeJson(newer)).code).toBe('UNSUPPORTED_VERSION');
      const newerWithoutData = withoutPath(withPath(validMessage('ChannelOpened'), 'schemaVersion', 2), 'data');
      expect(expectFailure(decodeJson(newerWithoutData)).code).toBe('UNSUPPORTED_VERSION');
    });
  });

  describe('INVALID_DATA', () => {
    it.each(catalogueTypes)('requires data on %s', (type) => {
      const error = expectFailure(decodeJson(withoutPath(validMessage(type), 'data')));
      expect(error).toEqual({ code: 'INVALID_DATA', field: 'data', type, message: 'data is required' });
    });

    it('names the first offending data field as a dotted path', () => {
      const message = withPath(validMessage('ChannelOpened'), 'data.channelPoint', 'nope');
      expect(expectFailure(decodeJson(message))).toMatchObject({
        code: 'INVALID_DATA',
        field: 'data.channelPoint',
        type: 'ChannelOpened',
      });
    });

    it('names array positions in the path', () => {
      const message = withPath(validMessage('NodeStateSnapshot'), 'data.onlinePeers', [NODE_ID, 'x']);
      expect(expectFailure(decodeJson(message)).field).toBe('data.onlinePeers.1');
    });

    it('reports an out-of-range msat string as invalid data rather than throwing', () => {
      for (const chanId of ['abc', '1.5', '-1', '18446744073709551616']) {
        const message = withPath(validMessage('ChannelClosed'), 'data.chanId', chanId);
        expect(() => decodeJson(message)).not.toThrow();
        expect(expectFailure(decodeJson(message))).toMatchObject({ code: 'INVALID_DATA', field: 'data.chanId' });
      }
    });
  });

  describe('never throws', () => {
    const deepObject = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const deepArray = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const huge = 'x'.repeat(2_000_000);
    const base = validMessage('NodeStateSnapshot');
    const junk: ReadonlyArray<[string, string | Uint8Array]> = [
      ['null', 'null'],
      ['an empty array', '[]'],
      ['a number', '42'],
      ['a huge number', '1e400'],
      ['a string', '"x"'],
      ['an empty payload', ''],
      ['whitespace', '   \n\t'],
      ['empty bytes', new Uint8Array()],
      ['NUL bytes', new Uint8Array([0, 0, 0])],
      ['random bytes', new Uint8Array(Array.from({ length: 256 }, (_, i) => (i * 131 + 7) % 256))],
      ['a deeply nested object', deepObject],
      ['a deeply nested array', deepArray],
      ['a deeply nested object as data', JSON.stringify(base).replace(/"data":\{/, `"data":{"x":${deepObject},`)],
      ['a deeply nested array as a data field', JSON.stringify({ ...base, data: { ...base.data, openChannels: [] } }).replace('"openChannels":[]', `"openChannels":${deepArray}`)],
      ['a huge JSON string', JSON.stringify(huge)],
      ['a huge type', JSON.stringify({ ...base, type: huge })],
      ['a huge node id', JSON.stringify({ ...base, nodeId: huge })],
      ['a huge alias', JSON.stringify({ ...base, data: { ...base.data, alias: huge } })],
      ['a huge id', JSON.stringify({ ...base, id: huge })],
      ['a __proto__ key', '{"__proto__":{"type":"PeerOnline","schemaVersion":1}}'],
      ['a __proto__ data key', JSON.stringify(base).replace('"data":{', '"data":{"__proto__":{"alias":"x"},')],
      ['a constructor key', JSON.stringify({ ...base, constructor: { prototype: {} } })],
      ['a type that is an object', JSON.stringify({ ...base, type: { toString: 'x' } })],
      ['a type that is an array', JSON.stringify({ ...base, type: ['PeerOnline'] })],
      ['a schemaVersion that is huge', JSON.stringify({ ...base, schemaVersion: 1e308 })],
      ['data that is a string', JSON.stringify({ ...base, data: 'data' })],
      ['thousands of unknown keys', JSON.stringify(Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i])))],
      ['a message repeated in an array', JSON.stringify(Array.from({ length: 1000 }, () => base))],
    ];

    it.each(junk)('returns an error for %s', (_label, raw) => {
      const decode = (): DecodeResult => decodeMessage(raw);
      expect(decode).not.toThrow();
      const error = expectFailure(decode());
      expect(['MALFORMED_JSON', 'INVALID_ENVELOPE', 'UNKNOWN_TYPE', 'UNSUPPORTED_VERSION', 'INVALID_DATA']).toContain(error.code);
      expect(typeof error.field).toBe('string');
      expect(error.message.length).toBeGreaterThan(0);
    });
  });
});

describe('validateMessage', () => {
  it('validates an already-parsed message', () => {
    expect(validateMessage(validMessage('BalanceChanged'))).toEqual({ ok: true, message: validMessage('BalanceChanged') });
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['a function', () => validMessage('PeerOnline')],
    ['a symbol', Symbol('message')],
    ['a bigint', 1n],
    ['a Map', new Map([['type', 'PeerOnline']])],
    ['a Date', new Date()],
  ])('returns an envelope error for %s without throwing', (_label, value) => {
    expect(expectFailure(validateMessage(value)).code).toBe('INVALID_ENVELOPE');
  });

  it('rejects bigint amounts that JSON could never carry', () => {
    const message = withPath(validMessage('BalanceChanged'), 'data.confirmedSat', 5n);
    expect(expectFailure(validateMessage(message))).toMatchObject({ code: 'INVALID_DATA', field: 'data.confirmedSat' });
  });
});

describe('describeDecodeError', () => {
  it.each<[DecodeError, string]>([
    [
      { code: 'INVALID_DATA', field: 'data.channelPoint', type: 'ChannelOpened', message: 'bad' },
      'INVALID_DATA (ChannelOpened) at data.channelPoint: bad',
    ],
    [{ code: 'MALFORMED_JSON', field: '', message: 'payload is not UTF-8 JSON: x' }, 'MALFORMED_JSON: payload is not UTF-8 JSON: x'],
    [{ code: 'UNKNOWN_TYPE', field: 'type', type: 'X', message: 'unknown message type "X"' }, 'UNKNOWN_TYPE (X) at type: unknown message type "X"'],
  ])('renders %j on one line', (error, expected) => {
    expect(describeDecodeError(error)).toBe(expected);
  });

  it('renders decoder output on a single line', () => {
    const error = expectFailure(decodeJson(withPath(validMessage('ChannelOpened'), 'schemaVersion', 2)));
    const line = describeDecodeError(error);
    expect(line).toMatch(/^UNSUPPORTED_VERSION \(ChannelOpened\) at schemaVersion: .*newer/);
    expect(line).not.toContain('\n');
  });
});
