import { Catalogue, definitionOf, type MessageByType, type MessageType } from './catalogue.js';
import { decodeMessage, type DecodeError, type DecodeResult } from './decode.js';
import { encodeMessage } from './encode.js';
import type { OpenChannelState, PendingChannel, WalletBalance } from './messages/node-events.js';

/**
 * Shared fixtures for the contracts specs: one valid message per catalogued type, the bad values
 * each kind of field must reject, and a table runner that checks a message's data schema field by
 * field through the real decoder. Not a spec itself (jest only runs *.spec.ts).
 */

export const NODE_ID = `02${'1f'.repeat(32)}`;
export const PEER = `03${'ab'.repeat(32)}`;
export const OTHER_PEER = `02${'cd'.repeat(32)}`;
export const TXID = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const CLOSING_TXID = '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b';
export const CHANNEL_POINT = `${TXID}:1`;
/** CHAN_ID is above 2^53 on purpose: it must survive JSON as a string without losing precision. */
export const CHAN_ID = '18446744073709551615';
export const OCCURRED_AT = '2026-01-02T03:04:05.000Z';
export const PEER_ADDRESS = '203.0.113.7:9735';

export const pendingChannel: PendingChannel = {
  channelPoint: CHANNEL_POINT,
  peer: PEER,
  peerAddresses: [PEER_ADDRESS, '[2001:db8::1]:9735'],
  capacitySat: 1_000_000,
  localBalanceSat: 990_000,
  initiator: 'LOCAL',
  private: false,
  commitmentType: 'ANCHORS',
};

export const openChannelState: OpenChannelState = {
  ...pendingChannel,
  chanId: CHAN_ID,
  remoteBalanceSat: 10_000,
  active: true,
};

export const walletBalance: WalletBalance = {
  confirmedSat: 5_000_000,
  unconfirmedSat: 0,
  lockedSat: 20_000,
  channelLocalSat: 990_000,
  channelRemoteSat: 10_000,
};

/** autopilotConstraints are valid autopilot constraints (lnd's defaults with 0.5 allocation). */
export const autopilotConstraints = {
  chanLimit: 5,
  allocation: 0.5,
  minChanSizeSat: 20_000,
  maxChanSizeSat: 16_777_215,
  maxPendingOpens: 10,
};

/** A packed multi-channel backup stand-in: 48 bytes, base64 (64 characters). */
export const MULTI_CHAN_BACKUP = Buffer.alloc(48, 0x5a).toString('base64');

/** validData holds one valid data object per catalogued type; the mapped type forces completeness. */
export const validData: { readonly [T in MessageType]: MessageByType<T>['data'] } = {
  ChannelOpenPending: pendingChannel,
  ChannelOpened: openChannelState,
  ChannelClosed: {
    channelPoint: CHANNEL_POINT,
    chanId: CHAN_ID,
    peer: PEER,
    capacitySat: 1_000_000,
    closeType: 'COOPERATIVE_CLOSE',
    closingTxid: CLOSING_TXID,
    closeHeight: 880_000,
    settledBalanceSat: 989_000,
    openInitiator: 'LOCAL',
    closeInitiator: 'REMOTE',
  },
  ChannelResolved: { channelPoint: CHANNEL_POINT },
  PeerOnline: { peer: PEER },
  PeerOffline: { peer: PEER },
  BalanceChanged: walletBalance,
  NodeStateSnapshot: {
    alias: 'fleet-node-1 ⚡',
    blockHeight: 880_000,
    syncedToChain: true,
    openChannels: [openChannelState],
    pendingChannels: [{ ...pendingChannel, channelPoint: `${CLOSING_TXID}:0`, peer: OTHER_PEER }],
    onlinePeers: [PEER, OTHER_PEER],
    balance: walletBalance,
  },
  ChannelBackupUpdated: { multiChanBackup: MULTI_CHAN_BACKUP, channelPoints: [CHANNEL_POINT] },
  ChannelOpenRequested: {
    commandId: 'OpenChannel-0001',
    peer: PEER,
    localFundingSat: 1_000_000,
    channelPoint: CHANNEL_POINT,
  },
  ChannelOpenFailed: {
    commandId: 'OpenChannel-0001',
    peer: PEER,
    localFundingSat: 1_000_000,
    reason: 'PEER_UNREACHABLE',
    message: 'dial tcp 203.0.113.7:9735: connect: connection refused',
    retryableAfter: '2026-01-02T04:04:05.000Z',
  },
  GraphSnapshotPublished: {
    version: `sha256:${TXID}`,
    bucket: 'LNFLEET_GRAPH',
    objectName: `graph-${TXID}`,
    format: 'lnd-describegraph-json-gzip',
    nodeCount: 12_827,
    channelCount: 49_570,
    sizeBytes: 9_876_543,
    takenAt: OCCURRED_AT,
  },
  OpenChannel: {
    peer: PEER,
    peerAddresses: [PEER_ADDRESS],
    localFundingSat: 1_000_000,
    pushSat: 10_000,
    targetConf: 6,
    minConfs: 1,
    private: false,
    expiresAt: '2026-01-02T04:04:05.000Z',
  },
  PeerFitnessChanged: {
    peer: PEER,
    fit: false,
    reasons: ['FLAPPING', 'LOW_UPTIME'],
    previousReasons: ['LOW_UPTIME'],
    flapCount: 25,
    maxFlapCount: 20,
    uptimeRatio: 0.5,
    minUptimeRatio: 0.9,
    uptimeWindowMs: 86_400_000,
    openChannels: 2,
  },
  AutopilotPolicySet: {
    enabled: true,
    dryRun: false,
    constraints: autopilotConstraints,
    heuristics: { top_centrality: 0.7, preferential: 0.3 },
    setBy: 'operator@example',
  },
  AutopilotDecision: {
    trigger: { kind: 'event', messageType: 'BalanceChanged', messageId: 'BalanceChanged-0001', streamSequence: 42 },
    inputs: { walletBalanceSat: 5_000_000, channelCount: 1, pendingOpenCount: 0, failedPeerCount: 0, unfitPeerCount: 0, crowdedPeerCount: 0 },
    constraints: autopilotConstraints,
    heuristics: { top_centrality: 1 },
    budget: { amountSat: 2_000_000, channels: 4 },
    chanSizeSat: 1_000_000,
    candidateCount: 120,
    candidates: [
      { peer: PEER, score: 1 },
      { peer: OTHER_PEER, score: 0.25 },
    ],
    chosen: [{ peer: PEER, amountSat: 1_000_000, score: 1, commandId: 'OpenChannel-0001' }],
    commandsExpireAt: '2026-01-02T03:14:05.000Z',
    stoppedBy: 'candidates-exhausted',
    seed: 4_294_967_295,
    graphVersion: 'sha256:0123abcd',
    dryRun: false,
  },
  BackupStored: {
    backup: 'CHANNEL_SET',
    version: 7,
    contentHash: '5f2c0cc20d55741f58b01ab94393c0e2e19bdd3a0ec94e55d2eb1195e82e6efe',
    channelCount: 2,
    sizeBytes: 312,
    streamSequence: 4_242,
  },
};

/** catalogueTypes lists every catalogued message type, in catalogue order. */
export const catalogueTypes: readonly MessageType[] = Catalogue.map((definition) => definition.type);

/** validMessage returns a fresh (deep-copied) valid message of one type. */
export function validMessage<T extends MessageType>(type: T): MessageByType<T> {
  const definition = definitionOf(type);
  if (definition === undefined) throw new Error(`fixture for uncatalogued type ${type}`);
  const id = `${type}-0001`;
  const message = {
    id,
    type,
    schemaVersion: definition.schemaVersion,
    nodeId: NODE_ID,
    occurredAt: OCCURRED_AT,
    causationId: null,
    correlationId: id,
    data: structuredClone(validData[type]),
  };
  return message as unknown as MessageByType<T>;
}

/** asRecord narrows a value to a mutable record, for building invalid variants of fixtures. */
export function asRecord(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) throw new Error('expected an object');
  return value as Record<string, unknown>;
}

/** withPath returns a deep copy of `value` with the dotted `path` set (array indices as numbers). */
export function withPath(value: unknown, path: string, replacement: unknown): Record<string, unknown> {
  const copy = asRecord(structuredClone(value));
  const keys = path.split('.');
  const last = keys.pop();
  if (last === undefined) throw new Error('empty path');
  let target = copy;
  for (const key of keys) target = asRecord(target[key]);
  target[last] = replacement;
  return copy;
}

/** withoutPath returns a deep copy of `value` with the dotted `path` deleted. */
export function withoutPath(value: unknown, path: string): Record<string, unknown> {
  const copy = asRecord(structuredClone(value));
  const keys = path.split('.');
  const last = keys.pop();
  if (last === undefined) throw new Error('empty path');
  let target = copy;
  for (const key of keys) target = asRecord(target[key]);
  if (!(last in target)) throw new Error(`fixture has no ${path}`);
  Reflect.deleteProperty(target, last);
  return copy;
}

/** decodeJson encodes a plain value as the wire format and decodes it, as a consumer would. */
export function decodeJson(value: unknown): DecodeResult {
  return decodeMessage(encodeMessage(asRecord(value) as { type: string }));
}

/** expectFailure asserts a decode failed and returns its error. */
export function expectFailure(result: DecodeResult): DecodeError {
  if (result.ok) throw new Error(`expected a decode error, but ${result.message.type} was accepted`);
  return result.error;
}

/**
 * BadValue is one wrong value for a field: a label for the test name, the value, and, when the
 * error lands deeper than the field itself (an array entry, a nested object), the expected path
 * relative to `data`.
 */
export type BadValue = readonly [label: string, value: unknown, field?: string];

/** Bad values per kind of field. Each kind lists every way that kind can be wrong. */
export const badValues = {
  pubkey: [
    ['uppercase hex', PEER.toUpperCase()],
    ['an uncompressed 04 prefix', `04${'ab'.repeat(32)}`],
    ['too short (32 bytes)', PEER.slice(0, -2)],
    ['too long (34 bytes)', `${PEER}00`],
    ['a number', 42],
    ['null', null],
  ],
  channelPoint: [
    ['missing the index', TXID],
    ['missing the index after the colon', `${TXID}:`],
    ['an index above 2^32-1', `${TXID}:4294967296`],
    ['an index with a leading zero', `${TXID}:01`],
    ['an uppercase txid', `${TXID.toUpperCase()}:1`],
    ['a short txid', `${TXID.slice(2)}:1`],
    ['a number', 1],
  ],
  sat: [
    ['negative', -1],
    ['fractional', 1.5],
    ['above MAX_SAFE_INTEGER', 2 ** 53],
    ['a string', '1000'],
    ['null', null],
  ],
  uint64: [
    ['above 2^64-1', '18446744073709551616'],
    ['non-digit', '12a4'],
    ['a decimal fraction', '1.5'],
    ['negative', '-5'],
    ['a leading zero', '0123'],
    ['empty', ''],
    ['a number', 1234],
  ],
  addresses: [
    ['a bare string instead of a list', PEER_ADDRESS],
    ['an entry without a port', ['203.0.113.7'], 'peerAddresses.0'],
    ['an entry with port 0', ['203.0.113.7:0'], 'peerAddresses.0'],
    ['an entry with port 65536', ['203.0.113.7:65536'], 'peerAddresses.0'],
    ['more than 32 entries', Array.from({ length: 33 }, () => PEER_ADDRESS)],
  ],
  boolean: [
    ['the string "true"', 'true'],
    ['the number 1', 1],
    ['null', null],
  ],
  initiator: [
    ['lowercase', 'local'],
    ['not an lnd Initiator', 'SOMEONE'],
    ['a number', 1],
  ],
  commitmentType: [
    ['lowercase', 'anchors'],
    ['not an lnd CommitmentType', 'ANCHORS_V2'],
  ],
  closeType: [
    ['lowercase', 'cooperative_close'],
    ['not an lnd ClosureType', 'MUTUAL_CLOSE'],
  ],
  nullableTxid: [
    ['uppercase', CLOSING_TXID.toUpperCase()],
    ['a channel point', CHANNEL_POINT],
    ['too short', 'abc'],
    ['empty', ''],
  ],
  nonNegativeInt: [
    ['negative', -1],
    ['fractional', 1.5],
    ['a string', '100'],
  ],
  timestamp: [
    ['without an offset', '2026-01-02T03:04:05'],
    ['a date only', '2026-01-02'],
    ['not a date', 'soon'],
    ['epoch milliseconds', 1_767_323_045_000],
  ],
  commandId: [
    ['empty', ''],
    ['longer than 200 characters', 'x'.repeat(201)],
    ['a number', 7],
  ],
} as const satisfies Record<string, readonly BadValue[]>;

/** DataCases maps each data field (dotted path relative to `data`) to the bad values it must reject. */
export type DataCases = Readonly<Record<string, readonly BadValue[]>>;

/**
 * describeDataContract checks one message type's data schema through decodeMessage: the valid
 * fixture decodes, every bad value of every field is rejected as INVALID_DATA naming the field,
 * every required field is required, and unknown keys are rejected. It also checks that `cases`
 * covers every field of the fixture, so a new field cannot go untested.
 */
export function describeDataContract(type: MessageType, cases: DataCases): void {
  describe(`${type} data`, () => {
    const fields = Object.keys(validData[type]);

    it('has bad-value cases for every data field', () => {
      expect([...new Set(Object.keys(cases).map((path) => path.split('.')[0]))].sort()).toEqual(fields.sort());
    });

    it('accepts the valid fixture and returns it unchanged', () => {
      const result = decodeJson(validMessage(type));
      expect(result).toEqual({ ok: true, message: validMessage(type) });
    });

    const rows = Object.entries(cases).flatMap(([path, values]) =>
      values.map(([label, value, field]) => ({ path, label, value, expected: `data.${field ?? path}` })),
    );
    it.each(rows)('rejects $path when $label (field $expected)', ({ path, value, expected }) => {
      const message = validMessage(type);
      const error = expectFailure(decodeJson(withPath(message, `data.${path}`, value)));
      expect(error.code).toBe('INVALID_DATA');
      expect(error.field).toBe(expected);
      expect(error.type).toBe(type);
      expect(error.message).not.toBe('');
    });

    it.each(fields)('rejects a message whose data lacks the required field %s', (field) => {
      const error = expectFailure(decodeJson(withoutPath(validMessage(type), `data.${field}`)));
      expect(error).toMatchObject({ code: 'INVALID_DATA', field: `data.${field}`, type });
    });

    it('rejects unknown extra keys in data (strict object) and names them', () => {
      const message = withPath(validMessage(type), 'data.unexpectedField', 1);
      const error = expectFailure(decodeJson(message));
      expect(error).toMatchObject({ code: 'INVALID_DATA', field: 'data', type });
      expect(error.message).toContain('unexpectedField');
    });

    it('rejects data that is not an object', () => {
      for (const data of [null, [], 'data', 0, true]) {
        const error = expectFailure(decodeJson(withPath(validMessage(type), 'data', data)));
        expect(error).toMatchObject({ code: 'INVALID_DATA', field: 'data', type });
      }
    });
  });
}
