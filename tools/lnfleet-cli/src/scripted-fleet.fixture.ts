/**
 * Test fixture: a scripted history of one managed node (and a second node whose messages must be
 * left out), as the gateway, the autopilot and chanfitness would have published it, with the
 * stream each message goes to. Times are minutes after T0; MID is between the two halves.
 */
import {
  AutopilotDecision,
  AutopilotPolicySet,
  BackupStored,
  BalanceChanged,
  ChannelClosed,
  ChannelOpened,
  ChannelOpenRequested,
  createMessage,
  deterministicId,
  PeerFitnessChanged,
  PeerOffline,
  PeerOnline,
  type KnownMessage,
  type MessageDefinition,
  type MessageFields,
  type MessageOf,
} from '@lnfleet/contracts';

export const NODE = `02${'11'.repeat(32)}`;
export const OTHER_NODE = `03${'22'.repeat(32)}`;
export const PEER_A = `02${'aa'.repeat(32)}`;
export const PEER_B = `03${'bb'.repeat(32)}`;
/** T0 is 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1);
export const minute = (n: number): number => T0 + n * 60_000;
/** MID is the audit instant of the tests: after the first half of the script, before the second. */
export const MID = minute(8);
export const CHANNEL_A = `${'a1'.repeat(32)}:0`;
export const CHANNEL_B = `${'b2'.repeat(32)}:1`;
export const COMMAND_B = 'OpenChannel-b';
export const COMMAND_LATER = 'OpenChannel-later';

/** ScriptedMessage is a message and the stream it belongs on. */
export interface ScriptedMessage {
  readonly stream: 'events' | 'derived';
  readonly message: KnownMessage;
}

function at<D extends MessageDefinition>(definition: D, minutes: number, data: MessageFields<D>['data'], nodeId = NODE): MessageOf<D> {
  const id = deterministicId(definition.type, nodeId, minutes);
  return createMessage(definition, { id, nodeId, occurredAt: new Date(minute(minutes)).toISOString(), causationId: null, data });
}

const POLICY = {
  enabled: true,
  dryRun: false,
  constraints: { chanLimit: 5, allocation: 0.5, minChanSizeSat: 100_000, maxChanSizeSat: 1_000_000, maxPendingOpens: 10 },
  heuristics: { top_centrality: 1 },
  setBy: 'test',
};

function balance(minutes: number, confirmedSat: number, nodeId = NODE) {
  return at(BalanceChanged, minutes, { confirmedSat, unconfirmedSat: 1_000, lockedSat: 2_000, channelLocalSat: 0, channelRemoteSat: 0 }, nodeId);
}

function decision(minutes: number, chosen: { peer: string; amountSat: number; commandId: string }[], triggerSequence: number) {
  return at(AutopilotDecision, minutes, {
    trigger: { kind: 'event', messageType: 'BalanceChanged', messageId: deterministicId('BalanceChanged', NODE, 0), streamSequence: triggerSequence },
    inputs: { walletBalanceSat: 4_998_000, channelCount: 1, pendingOpenCount: 0, failedPeerCount: 0, unfitPeerCount: 0, crowdedPeerCount: 0 },
    constraints: POLICY.constraints,
    heuristics: POLICY.heuristics,
    budget: { amountSat: 1_500_000, channels: 4 },
    chanSizeSat: 500_000,
    candidateCount: 3,
    candidates: [
      { peer: PEER_B, score: 1 },
      { peer: PEER_A, score: 0.5 },
    ],
    chosen: chosen.map((open) => ({ ...open, score: 1 })),
    commandsExpireAt: new Date(minute(minutes + 30)).toISOString(),
    stoppedBy: 'candidates-exhausted',
    seed: 42,
    graphVersion: 'test-graph-v1',
    dryRun: false,
  });
}

function backupData(version: number, channelCount: number) {
  return { backup: 'CHANNEL_SET' as const, version, contentHash: String(version).repeat(64), channelCount, sizeBytes: 512, streamSequence: 5 };
}

const channelA = {
  channelPoint: CHANNEL_A,
  chanId: '1001',
  peer: PEER_A,
  peerAddresses: [],
  capacitySat: 1_000_000,
  localBalanceSat: 1_000_000,
  remoteBalanceSat: 0,
  initiator: 'LOCAL' as const,
  private: false,
  commitmentType: 'ANCHORS' as const,
  active: true,
};

/**
 * SCRIPT is the history, in publishing order. Until MID: a balance, a policy, a channel to A, A
 * online, a decision to open to B and its request (a pending channel), B online, A offline,
 * chanfitness calling A unfit, and a stored backup. After MID: another backup, the channel to A
 * closes, a new balance, a second decision. The other node's messages are interleaved.
 */
export const SCRIPT: readonly ScriptedMessage[] = [
  { stream: 'events', message: balance(0, 5_000_000) },
  { stream: 'events', message: balance(0, 9_000_000, OTHER_NODE) },
  { stream: 'derived', message: at(AutopilotPolicySet, 1, POLICY) },
  { stream: 'events', message: at(ChannelOpened, 2, channelA) },
  { stream: 'events', message: at(PeerOnline, 3, { peer: PEER_A }) },
  { stream: 'derived', message: decision(4, [{ peer: PEER_B, amountSat: 500_000, commandId: COMMAND_B }], 1) },
  { stream: 'events', message: at(ChannelOpenRequested, 5, { commandId: COMMAND_B, peer: PEER_B, localFundingSat: 500_000, channelPoint: CHANNEL_B }) },
  { stream: 'events', message: at(PeerOnline, 5.5, { peer: PEER_B }) },
  { stream: 'events', message: at(PeerOffline, 6, { peer: PEER_A }) },
  { stream: 'events', message: at(PeerOnline, 6, { peer: PEER_A }, OTHER_NODE) },
  {
    stream: 'derived',
    message: at(PeerFitnessChanged, 7, {
      peer: PEER_A,
      fit: false,
      reasons: ['LOW_UPTIME'],
      previousReasons: [],
      flapCount: 1,
      maxFlapCount: 20,
      uptimeRatio: 0.2,
      minUptimeRatio: 0.9,
      uptimeWindowMs: 86_400_000,
      openChannels: 1,
    }),
  },
  { stream: 'derived', message: at(BackupStored, 7.5, backupData(2, 2)) },
  // After MID.
  { stream: 'derived', message: at(BackupStored, 9, backupData(3, 2)) },
  {
    stream: 'events',
    message: at(ChannelClosed, 10, {
      channelPoint: CHANNEL_A,
      chanId: '1001',
      peer: PEER_A,
      capacitySat: 1_000_000,
      closeType: 'COOPERATIVE_CLOSE',
      closingTxid: null,
      closeHeight: 900_000,
      settledBalanceSat: 1_000_000,
      openInitiator: 'LOCAL',
      closeInitiator: 'LOCAL',
    }),
  },
  { stream: 'events', message: balance(11, 3_000_000) },
  { stream: 'derived', message: decision(12, [{ peer: PEER_A, amountSat: 500_000, commandId: COMMAND_LATER }], 12) },
];

/**
 * EXPECTED_AT_MID is the audit report of NODE at MID, worked out by hand from the script: the
 * balance of minute 0; the channel to A open and the one to B pending (requested at minute 5);
 * only B online (A went offline at minute 6); A tracked with two flaps (online, offline) and 3 of
 * 6 monitored minutes online, fit because an hour must be observed before uptime counts, though
 * chanfitness last published it unfit; channel-set backup version 2 (version 3 came later); the one
 * decision, whose open was requested.
 */
export const EXPECTED_AT_MID = {
  schemaVersion: 1,
  nodeId: NODE,
  at: '2026-01-01T00:08:00.000Z',
  messages: { counted: 10, later: 4, undecodable: 0, lastAt: '2026-01-01T00:07:30.000Z' },
  balance: { confirmedSat: 5_000_000, unconfirmedSat: 1_000, lockedSat: 2_000 },
  channels: [
    { channelPoint: CHANNEL_A, peer: PEER_A, capacitySat: 1_000_000, localBalanceSat: 1_000_000, status: 'open' },
    { channelPoint: CHANNEL_B, peer: PEER_B, capacitySat: 500_000, localBalanceSat: 500_000, status: 'pending' },
  ],
  onlinePeers: [PEER_B],
  fitness: [
    {
      peer: PEER_A,
      online: false,
      fit: true,
      reasons: [],
      flapCount: 2,
      lastFlapAt: '2026-01-01T00:06:00.000Z',
      uptimeRatio: 0.5,
      openChannels: 1,
      lastPublished: { at: '2026-01-01T00:07:00.000Z', fit: false, reasons: ['LOW_UPTIME'], messageId: deterministicId('PeerFitnessChanged', NODE, 7) },
    },
  ],
  backups: [
      {
        backup: 'CHANNEL_SET',
        version: 2,
        contentHash: '2'.repeat(64),
        channelCount: 2,
        at: '2026-01-01T00:07:30.000Z',
        messageId: deterministicId('BackupStored', NODE, 7.5),
      },
    ],
  autopilot: {
    policy: { enabled: true, dryRun: false, constraints: POLICY.constraints, heuristics: POLICY.heuristics },
    opensInFlight: [],
    decisions: [
      {
        at: '2026-01-01T00:04:00.000Z',
        messageId: deterministicId('AutopilotDecision', NODE, 4),
        streamSequence: 2,
        trigger: { kind: 'event', messageType: 'BalanceChanged', messageId: deterministicId('BalanceChanged', NODE, 0), streamSequence: 1 },
        inputs: { walletBalanceSat: 4_998_000, channelCount: 1, pendingOpenCount: 0, failedPeerCount: 0, unfitPeerCount: 0, crowdedPeerCount: 0 },
        constraints: POLICY.constraints,
        heuristics: POLICY.heuristics,
        budget: { amountSat: 1_500_000, channels: 4 },
        chanSizeSat: 500_000,
        candidateCount: 3,
        candidates: [
          { peer: PEER_B, score: 1 },
          { peer: PEER_A, score: 0.5 },
        ],
        chosen: [{ peer: PEER_B, amountSat: 500_000, score: 1, commandId: COMMAND_B, outcome: 'requested' }],
        stoppedBy: 'candidates-exhausted',
        seed: 42,
        graphVersion: 'test-graph-v1',
        dryRun: false,
        commandsExpireAt: '2026-01-01T00:34:00.000Z',
      },
    ],
  },
};
