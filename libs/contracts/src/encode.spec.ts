import { definitionOf } from './catalogue.js';
import { decodeMessage } from './decode.js';
import { createMessage, deterministicId, encodeMessage, MessageValidationError } from './encode.js';
import type { MessageDefinition } from './envelope.js';
import { ChannelOpened, ChannelResolved, NodeStateSnapshot, PeerOnline } from './messages/node-events.js';
import { OpenChannel } from './messages/commands.js';
import { catalogueTypes, CHAN_ID, CHANNEL_POINT, NODE_ID, OCCURRED_AT, validData, validMessage } from './fixtures.spec-helpers.js';
import { MessageId } from './primitives.js';

/** asDefinition widens a catalogued definition so a test can hand it data of the wrong shape. */
function asDefinition(definition: MessageDefinition): MessageDefinition {
  return definition;
}

/** thrown runs `build` and returns what it threw, failing when it did not throw. */
function thrown(build: () => unknown): unknown {
  try {
    build();
  } catch (error) {
    return error;
  }
  throw new Error('expected an exception');
}

/** validationErrorOf runs `build` and returns the MessageValidationError it threw. */
function validationErrorOf(build: () => unknown): MessageValidationError {
  const error = thrown(build);
  if (!(error instanceof MessageValidationError)) throw new Error(`expected a MessageValidationError, got ${String(error)}`);
  return error;
}

const header = { id: 'msg-1', nodeId: NODE_ID, occurredAt: OCCURRED_AT, causationId: null } as const;

describe('createMessage', () => {
  it.each(catalogueTypes)('builds a valid %s equal to the fixture', (type) => {
    const definition = definitionOf(type)!;
    const message = createMessage(definition, {
      id: `${type}-0001`,
      nodeId: NODE_ID,
      occurredAt: OCCURRED_AT,
      causationId: null,
      data: validData[type],
    });
    expect(message).toEqual(validMessage(type));
    expect(definition.envelope.safeParse(message).success).toBe(true);
  });

  it('takes type and schemaVersion from the definition', () => {
    const message = createMessage(ChannelResolved, { ...header, data: { channelPoint: CHANNEL_POINT } });
    expect(message.type).toBe('ChannelResolved');
    expect(message.schemaVersion).toBe(ChannelResolved.schemaVersion);
  });

  it('defaults correlationId to the message id (a root message starts its workflow)', () => {
    const message = createMessage(PeerOnline, { ...header, id: 'root-42', data: { peer: NODE_ID } });
    expect(message.correlationId).toBe('root-42');
    expect(message.causationId).toBeNull();
  });

  it('keeps an explicit correlationId and causationId', () => {
    const message = createMessage(PeerOnline, {
      ...header,
      id: 'child-1',
      causationId: 'parent-1',
      correlationId: 'root-1',
      data: { peer: NODE_ID },
    });
    expect(message).toMatchObject({ id: 'child-1', causationId: 'parent-1', correlationId: 'root-1' });
  });

  it('returns a message the decoder accepts', () => {
    const message = createMessage(ChannelOpened, { ...header, data: validData.ChannelOpened });
    expect(decodeMessage(encodeMessage(message))).toEqual({ ok: true, message });
  });

  it('throws a MessageValidationError naming the data field', () => {
    const error = validationErrorOf(() =>
      createMessage(asDefinition(ChannelResolved), { ...header, data: { channelPoint: 'not-a-channel-point' } }),
    );
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('MessageValidationError');
    expect(error.type).toBe('ChannelResolved');
    expect(error.field).toBe('data.channelPoint');
    expect(error.message).toMatch(/^ChannelResolved: invalid data\.channelPoint: /);
  });

  it('throws naming a nested data field', () => {
    const data = { ...validData.NodeStateSnapshot, balance: { ...validData.NodeStateSnapshot.balance, lockedSat: -5 } };
    const error = validationErrorOf(() => createMessage(NodeStateSnapshot, { ...header, data }));
    expect(error.field).toBe('data.balance.lockedSat');
  });

  it('throws naming a missing data field', () => {
    const error = validationErrorOf(() => createMessage(asDefinition(PeerOnline), { ...header, data: {} }));
    expect(error.field).toBe('data.peer');
  });

  it('throws naming unknown data keys at data', () => {
    const error = validationErrorOf(() => createMessage(asDefinition(PeerOnline), { ...header, data: { peer: NODE_ID, port: 9735 } }));
    expect(error.field).toBe('data');
    expect(error.message).toMatch(/^PeerOnline: invalid data: /);
  });

  it.each([
    ['id', { id: 'has space' }],
    ['nodeId', { nodeId: NODE_ID.toUpperCase() }],
    ['occurredAt', { occurredAt: '2026-01-02T03:04:05' }],
    ['causationId', { causationId: 'bad/id' }],
    ['correlationId', { correlationId: '' }],
  ])('throws naming the header field %s', (field, override) => {
    const error = validationErrorOf(() => createMessage(PeerOnline, { ...header, data: { peer: NODE_ID }, ...override }));
    expect(error.field).toBe(field);
    expect(error.type).toBe('PeerOnline');
  });

  describe('OpenChannel pushSat refinement', () => {
    it.each([
      ['equals', validData.OpenChannel.localFundingSat],
      ['exceeds', validData.OpenChannel.localFundingSat + 1],
    ])('throws at data.pushSat when pushSat %s localFundingSat', (_label, pushSat) => {
      const error = validationErrorOf(() => createMessage(OpenChannel, { ...header, data: { ...validData.OpenChannel, pushSat } }));
      expect(error.field).toBe('data.pushSat');
      expect(error.message).toBe('OpenChannel: invalid data.pushSat: must be less than localFundingSat');
    });

    it('builds an OpenChannel whose pushSat is below localFundingSat', () => {
      const message = createMessage(OpenChannel, { ...header, data: { ...validData.OpenChannel, pushSat: 999_999 } });
      expect(message.data.pushSat).toBe(999_999);
    });
  });
});

describe('MessageValidationError', () => {
  it('describes the whole message when no field is named', () => {
    const error = new MessageValidationError('PeerOnline', '', 'broken');
    expect(error.message).toBe('PeerOnline: invalid message: broken');
    expect(error).toMatchObject({ name: 'MessageValidationError', type: 'PeerOnline', field: '' });
  });
});

describe('encodeMessage', () => {
  it('writes UTF-8 JSON of the message', () => {
    const message = validMessage('ChannelResolved');
    const bytes = encodeMessage(message);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(new TextDecoder().decode(bytes)).toBe(JSON.stringify(message));
  });

  it.each(catalogueTypes)('round-trips %s through decodeMessage', (type) => {
    const message = validMessage(type);
    expect(decodeMessage(encodeMessage(message))).toEqual({ ok: true, message });
  });

  it('keeps msat and short channel ids above 2^53 exact', () => {
    const result = decodeMessage(encodeMessage(validMessage('ChannelOpened')));
    if (!result.ok || result.message.type !== 'ChannelOpened') throw new Error('expected a ChannelOpened');
    expect(result.message.data.chanId).toBe(CHAN_ID);
    expect(BigInt(result.message.data.chanId)).toBe(2n ** 64n - 1n);
  });

  it('encodes non-ASCII text as multi-byte UTF-8 and decodes it back', () => {
    const message = validMessage('NodeStateSnapshot');
    message.data.alias = 'ünïcødé ⚡ 🐇';
    const bytes = encodeMessage(message);
    expect(bytes.length).toBeGreaterThan(JSON.stringify(message).length);
    expect(decodeMessage(bytes)).toEqual({ ok: true, message });
  });
});

describe('deterministicId', () => {
  it('returns the same id for the same inputs', () => {
    expect(deterministicId('ChannelOpened', NODE_ID, CHANNEL_POINT)).toBe(deterministicId('ChannelOpened', NODE_ID, CHANNEL_POINT));
    expect(deterministicId('BalanceChanged', 880_000n, 3)).toBe(deterministicId('BalanceChanged', 880_000n, 3));
  });

  it('prefixes the id with the kind followed by 40 hex characters', () => {
    expect(deterministicId('ChannelOpened', 'x')).toMatch(/^ChannelOpened-[0-9a-f]{40}$/);
  });

  type IdInputs = readonly [kind: string, ...parts: Array<string | number>];
  it.each<[string, IdInputs, IdInputs]>([
    ['different part boundaries', ['k', 'ab', 'c'], ['k', 'a', 'bc']],
    ['parts moved into the kind', ['ka', 'b'], ['k', 'ab']],
    ['an extra empty part', ['k'], ['k', '']],
    ['two empty parts versus one', ['k', ''], ['k', '', '']],
    ['a part that looks like the separator', ['k', 'a', 'b'], ['k', 'a;1:b']],
    ['different order', ['k', 'a', 'b'], ['k', 'b', 'a']],
    ['different kinds', ['ChannelOpened', 'a'], ['ChannelClosed', 'a']],
    ['different values', ['k', 1], ['k', 2]],
    ['multi-byte characters with the same length in characters', ['k', 'é', 'a'], ['k', 'e', 'a']],
  ])('differs for %s', (_label, [kindA, ...partsA], [kindB, ...partsB]) => {
    expect(deterministicId(kindA, ...partsA)).not.toBe(deterministicId(kindB, ...partsB));
  });

  it('produces ids that match the MessageId schema', () => {
    const ids = [
      deterministicId('ChannelOpened', NODE_ID, CHANNEL_POINT),
      deterministicId('OpenChannel', 'autopilot', 12, 34n),
      deterministicId('NodeStateSnapshot', NODE_ID, 'ünïcødé ⚡', ''),
      deterministicId('x'),
    ];
    for (const id of ids) {
      expect(MessageId.safeParse(id).success).toBe(true);
    }
  });

  it('can build a message id that createMessage accepts', () => {
    const id = deterministicId('ChannelResolved', NODE_ID, CHANNEL_POINT);
    const message = createMessage(ChannelResolved, { ...header, id, data: { channelPoint: CHANNEL_POINT } });
    expect(message.id).toBe(id);
    expect(message.correlationId).toBe(id);
  });
});
