/**
 * What the summary shows, folded from the messages the fleet publishes (a core NATS subscription
 * sees every stream's subjects) plus what the monitor polls (consumer lag, fitness leaders).
 * Pure: `observe` takes a message and the wall time it arrived; the summary reads the state.
 */
import type { ServiceName } from './plan.js';

/** Envelope is the part of a message the summary reads; anything else about it is ignored. */
export interface Envelope {
  readonly type: string;
  readonly nodeId: string;
  readonly occurredAt: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** parseEnvelope reads a message payload, or undefined when it is not an lnfleet envelope. */
export function parseEnvelope(payload: string): Envelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const { type, nodeId, occurredAt, data } = record;
  if (typeof type !== 'string' || typeof nodeId !== 'string' || typeof occurredAt !== 'string' || typeof data !== 'object' || data === null) return undefined;
  return { type, nodeId, occurredAt, data: data as Record<string, unknown> };
}

/** ConsumerLag is one durable consumer's backlog. */
export interface ConsumerLag {
  readonly stream: string;
  readonly durable: string;
  /** pending is messages not yet delivered; ackPending delivered but not acknowledged. */
  readonly pending: number;
  readonly ackPending: number;
}

/** FitnessLeader is one of the fittest peers chanfitness ranks for some fleet node. */
export interface FitnessLeader {
  readonly nodeId: string;
  readonly peer: string;
  readonly uptimeRatio: number | null;
  readonly flapCount: number;
}

export type ServiceStatus = 'starting' | 'ready' | 'stopped' | 'failed';

/** FleetState is everything the summary shows. */
export interface FleetState {
  readonly startedAtMs: number;
  readonly configuredNodes: number;
  readonly infrastructure: { nats: string; postgres: string };
  readonly services: Record<ServiceName, ServiceStatus>;
  /** nodes that published at least one fact, and those whose autopilot policy is enabled. */
  readonly nodesSeen: Set<string>;
  readonly policiesEnabled: Set<string>;
  decisions: number;
  openCommands: number;
  /** channel points the gateway opened for an autopilot command, and those of them now open. */
  readonly autopilotRequested: Set<string>;
  readonly autopilotOpened: Set<string>;
  openFailures: number;
  /** open channels per node (channel points), from snapshots and channel events. */
  readonly channels: Map<string, Set<string>>;
  /** online peers per node. */
  readonly onlinePeers: Map<string, Set<string>>;
  flaps: number;
  fitnessChanges: number;
  /** backups: versions stored (BackupStored events) and the latest version per node. */
  backupsStored: number;
  readonly latestBackupVersion: Map<string, number>;
  /** messages seen in total and per-second buckets (wall second → count) for the rate. */
  eventsTotal: number;
  readonly perSecond: Map<number, number>;
  /** simNowMs is the newest event time seen: where simulated time is. */
  simNowMs: number;
  consumerLag: readonly ConsumerLag[];
  fitnessLeaders: readonly FitnessLeader[];
  /** recentErrors are the last error lines of the services, newest last. */
  readonly recentErrors: string[];
}

/** newFleetState is the state before anything happened. */
export function newFleetState(startedAtMs: number, configuredNodes: number, infrastructure: { nats: string; postgres: string }): FleetState {
  return {
    startedAtMs,
    configuredNodes,
    infrastructure,
    services: { 'node-gateway': 'starting', autopilot: 'starting', chanfitness: 'starting', backup: 'starting' },
    nodesSeen: new Set(),
    policiesEnabled: new Set(),
    decisions: 0,
    openCommands: 0,
    autopilotRequested: new Set(),
    autopilotOpened: new Set(),
    openFailures: 0,
    channels: new Map(),
    onlinePeers: new Map(),
    flaps: 0,
    fitnessChanges: 0,
    backupsStored: 0,
    latestBackupVersion: new Map(),
    eventsTotal: 0,
    perSecond: new Map(),
    simNowMs: 0,
    consumerLag: [],
    fitnessLeaders: [],
    recentErrors: [],
  };
}

const RATE_WINDOW_S = 5;

/** observe folds one message (arrived at wall time `nowMs`) into the state. */
export function observe(state: FleetState, message: Envelope, nowMs: number): void {
  state.eventsTotal++;
  const second = Math.floor(nowMs / 1000);
  state.perSecond.set(second, (state.perSecond.get(second) ?? 0) + 1);
  for (const key of state.perSecond.keys()) if (key < second - RATE_WINDOW_S) state.perSecond.delete(key);
  const at = Date.parse(message.occurredAt);
  if (Number.isFinite(at) && at > state.simNowMs && message.type !== 'AutopilotPolicySet') state.simNowMs = at;

  const node = message.nodeId;
  const data = message.data;
  const text = (field: string): string | undefined => (typeof data[field] === 'string' ? data[field] : undefined);
  switch (message.type) {
    case 'NodeStateSnapshot': {
      state.nodesSeen.add(node);
      const open = Array.isArray(data.openChannels) ? data.openChannels : [];
      state.channels.set(node, new Set(open.map(channelPointOf).filter((p): p is string => p !== undefined)));
      const peers = Array.isArray(data.onlinePeers) ? data.onlinePeers.filter((p): p is string => typeof p === 'string') : [];
      state.onlinePeers.set(node, new Set(peers));
      for (const point of state.channels.get(node) ?? []) if (state.autopilotRequested.has(point)) state.autopilotOpened.add(point);
      break;
    }
    case 'ChannelOpened': {
      state.nodesSeen.add(node);
      const point = text('channelPoint');
      if (point === undefined) break;
      setOf(state.channels, node).add(point);
      if (state.autopilotRequested.has(point)) state.autopilotOpened.add(point);
      break;
    }
    case 'ChannelClosed': {
      const point = text('channelPoint');
      if (point !== undefined) state.channels.get(node)?.delete(point);
      break;
    }
    case 'PeerOnline': {
      const peer = text('peer');
      if (peer !== undefined) setOf(state.onlinePeers, node).add(peer);
      break;
    }
    case 'PeerOffline': {
      const peer = text('peer');
      if (peer !== undefined) setOf(state.onlinePeers, node).delete(peer);
      state.flaps++;
      break;
    }
    case 'ChannelOpenRequested': {
      const point = text('channelPoint');
      if (point !== undefined) state.autopilotRequested.add(point);
      break;
    }
    case 'ChannelOpenFailed':
      state.openFailures++;
      break;
    case 'OpenChannel':
      state.openCommands++;
      break;
    case 'AutopilotPolicySet':
      if (data.enabled === true) state.policiesEnabled.add(node);
      else state.policiesEnabled.delete(node);
      break;
    case 'AutopilotDecision':
      state.decisions++;
      break;
    case 'PeerFitnessChanged':
      state.fitnessChanges++;
      break;
    case 'BackupStored': {
      state.backupsStored++;
      const version = data.version;
      if (typeof version === 'number' && version > (state.latestBackupVersion.get(node) ?? 0)) state.latestBackupVersion.set(node, version);
      break;
    }
  }
}

/** eventsPerSecond is the message rate over the last complete seconds before `nowMs`. */
export function eventsPerSecond(state: FleetState, nowMs: number): number {
  const second = Math.floor(nowMs / 1000);
  const window = Math.min(RATE_WINDOW_S, Math.max(1, second - Math.floor(state.startedAtMs / 1000)));
  let total = 0;
  for (let s = second - window; s < second; s++) total += state.perSecond.get(s) ?? 0;
  return total / window;
}

/** recordError keeps the last few service error lines. */
export function recordError(state: FleetState, line: string, keep = 3): void {
  state.recentErrors.push(line);
  while (state.recentErrors.length > keep) state.recentErrors.shift();
}

function channelPointOf(channel: unknown): string | undefined {
  if (typeof channel !== 'object' || channel === null) return undefined;
  const point = (channel as Record<string, unknown>).channelPoint;
  return typeof point === 'string' ? point : undefined;
}

function setOf(map: Map<string, Set<string>>, key: string): Set<string> {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  return set;
}
