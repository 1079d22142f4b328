/**
 * Test fixture: builders for the messages the autopilot projection folds, with valid defaults
 * and deterministic ids. Not used at runtime.
 */
import {
  AutopilotPolicySet,
  BalanceChanged,
  ChannelClosed,
  ChannelOpened,
  ChannelOpenFailed,
  ChannelOpenPending,
  ChannelOpenRequested,
  createMessage,
  deterministicId,
  NodeStateSnapshot,
  PeerFitnessChanged,
  type DataOf,
  type MessageByType,
  type MessageFields,
  type MessageDefinition,
  type MessageOf,
} from '@lnfleet/contracts';
import { testPubKey } from '../heuristics/test-graphs.fixture.js';

/** FIXTURE_NODE is the managed node of the fixtures (node 0 of the test graphs). */
export const FIXTURE_NODE = testPubKey(0);
/** T0 is the fixtures' reference time, 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1);

let counter = 0;

function message<D extends MessageDefinition>(definition: D, data: MessageFields<D>['data'], nodeId = FIXTURE_NODE, occurredAtMs = T0): MessageOf<D> {
  counter += 1;
  const id = deterministicId(definition.type, nodeId, counter);
  return createMessage(definition, { id, nodeId, occurredAt: new Date(occurredAtMs).toISOString(), causationId: null, data });
}

/** channelPoint returns a valid funding outpoint for a small integer. */
export function channelPoint(index: number): string {
  return `${index.toString(16).padStart(64, '0')}:0`;
}

const channelBase = (index: number, peer: string, capacitySat: number) => ({
  channelPoint: channelPoint(index),
  peer,
  peerAddresses: [],
  capacitySat,
  localBalanceSat: capacitySat,
  initiator: 'LOCAL' as const,
  private: false,
  commitmentType: 'ANCHORS' as const,
});

/** pendingEvent is a ChannelOpenPending of channel `index` to `peer`. */
export function pendingEvent(index: number, peer: string, capacitySat = 1_000_000, nodeId = FIXTURE_NODE): MessageByType<'ChannelOpenPending'> {
  return message(ChannelOpenPending, channelBase(index, peer, capacitySat), nodeId);
}

/** openedEvent is a ChannelOpened of channel `index` to `peer`. */
export function openedEvent(index: number, peer: string, capacitySat = 1_000_000, nodeId = FIXTURE_NODE): MessageByType<'ChannelOpened'> {
  return message(ChannelOpened, { ...channelBase(index, peer, capacitySat), chanId: String(1000 + index), remoteBalanceSat: 0, active: true }, nodeId);
}

/** closedEvent is a cooperative ChannelClosed of channel `index` to `peer`. */
export function closedEvent(index: number, peer: string, capacitySat = 1_000_000, nodeId = FIXTURE_NODE): MessageByType<'ChannelClosed'> {
  return message(
    ChannelClosed,
    {
      channelPoint: channelPoint(index),
      chanId: String(1000 + index),
      peer,
      capacitySat,
      closeType: 'COOPERATIVE_CLOSE',
      closingTxid: null,
      closeHeight: 900_000,
      settledBalanceSat: capacitySat,
      openInitiator: 'LOCAL',
      closeInitiator: 'LOCAL',
    },
    nodeId,
  );
}

/** balanceEvent is a BalanceChanged with `confirmedSat` on chain. */
export function balanceEvent(confirmedSat: number, nodeId = FIXTURE_NODE, lockedSat = 0): MessageByType<'BalanceChanged'> {
  return message(BalanceChanged, { confirmedSat, unconfirmedSat: 0, lockedSat, channelLocalSat: 0, channelRemoteSat: 0 }, nodeId);
}

/** requestedEvent is the gateway's ChannelOpenRequested for a command. */
export function requestedEvent(commandId: string, peer: string, amountSat: number, index: number, nodeId = FIXTURE_NODE): MessageByType<'ChannelOpenRequested'> {
  return message(ChannelOpenRequested, { commandId, peer, localFundingSat: amountSat, channelPoint: channelPoint(index) }, nodeId);
}

/** failedEvent is the gateway's ChannelOpenFailed for a command, at `atMs`. */
export function failedEvent(
  commandId: string,
  peer: string,
  amountSat: number,
  atMs = T0,
  retryableAfterMs: number | null = null,
  nodeId = FIXTURE_NODE,
): MessageByType<'ChannelOpenFailed'> {
  return message(
    ChannelOpenFailed,
    {
      commandId,
      peer,
      localFundingSat: amountSat,
      reason: 'PEER_UNREACHABLE',
      message: 'connection refused',
      retryableAfter: retryableAfterMs === null ? null : new Date(retryableAfterMs).toISOString(),
    },
    nodeId,
    atMs,
  );
}

/** snapshotEvent is a NodeStateSnapshot listing open channels (index, peer) and a balance. */
export function snapshotEvent(open: readonly (readonly [number, string])[], confirmedSat: number, nodeId = FIXTURE_NODE): MessageByType<'NodeStateSnapshot'> {
  return message(
    NodeStateSnapshot,
    {
      alias: 'fixture',
      blockHeight: 900_000,
      syncedToChain: true,
      openChannels: open.map(([index, peer]) => ({ ...channelBase(index, peer, 1_000_000), chanId: String(1000 + index), remoteBalanceSat: 0, active: true })),
      pendingChannels: [],
      onlinePeers: [],
      balance: { confirmedSat, unconfirmedSat: 0, lockedSat: 0, channelLocalSat: 0, channelRemoteSat: 0 },
    },
    nodeId,
  );
}

/** fitnessEvent is chanfitness's PeerFitnessChanged for `peer` (unfit: flapping). */
export function fitnessEvent(peer: string, fit: boolean, nodeId = FIXTURE_NODE): MessageByType<'PeerFitnessChanged'> {
  return message(
    PeerFitnessChanged,
    {
      peer,
      fit,
      reasons: fit ? [] : ['FLAPPING'],
      previousReasons: fit ? ['FLAPPING'] : [],
      flapCount: fit ? 0 : 30,
      maxFlapCount: 20,
      uptimeRatio: 0.95,
      minUptimeRatio: 0.9,
      uptimeWindowMs: 86_400_000,
      openChannels: 0,
    },
    nodeId,
  );
}

/** PolicyData is the data of an AutopilotPolicySet. */
export type PolicyData = DataOf<typeof AutopilotPolicySet>;

/** FIXTURE_POLICY enables the autopilot with lnd's scenario constraints and top_centrality. */
export const FIXTURE_POLICY: PolicyData = {
  enabled: true,
  dryRun: false,
  constraints: { chanLimit: 5, allocation: 0.5, minChanSizeSat: 100_000, maxChanSizeSat: 1_000_000, maxPendingOpens: 10 },
  heuristics: { top_centrality: 1 },
  setBy: 'test',
};

/** policyEvent is an AutopilotPolicySet (defaults: {@link FIXTURE_POLICY}). */
export function policyEvent(overrides: Partial<PolicyData> = {}, nodeId = FIXTURE_NODE): MessageByType<'AutopilotPolicySet'> {
  return message(AutopilotPolicySet, { ...FIXTURE_POLICY, ...overrides }, nodeId);
}
