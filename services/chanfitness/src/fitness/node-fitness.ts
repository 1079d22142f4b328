import type { ChannelPoint, KnownMessage, MessageByType, Pubkey } from '@lnfleet/contracts';
import { PeerNotFoundError } from './errors.js';
import type { Interval } from './intervals.js';
import {
  DEFAULT_MASS_DISCONNECT_POLICY,
  NO_OUTAGES,
  massDisconnectStart,
  outageEnded,
  outageStarted,
  outagesUntil,
  recordOutage,
  type MassDisconnectPolicy,
  type OwnOutages,
} from './own-outage.js';
import {
  addChannel,
  channelUptime,
  hasChannel,
  monitoredSince,
  newPeerLog,
  peerUptime,
  presenceEvent,
  removeChannel,
  type ChannelUptime,
  type PeerLog,
} from './peer-log.js';
import { isOnline, onlinePeers, setPresence, type PresenceMap } from './peer-presence.js';
import type { DurationMs, EpochMs } from './time.js';
import { assertWindow } from './uptime.js';

/**
 * NodeFitness: the channel event store of one managed node as a pure state, changed only by
 * `evolve` (and `ownNodeOutage`) and read by the query functions below. It follows lnd's
 * ChannelEventStore: a peer is tracked from its first channel on, presence events of untracked
 * peers leave no log and no flaps, and a close for an unknown channel is ignored (channels
 * restored from a static backup are closed without ever having been opened to the store).
 *
 * Where we differ from lnd, deliberately:
 * - Nothing is lost on restart: the state is rebuilt from the event stream, not just flap counts.
 * - The connection state of every peer is remembered (`presence`), so a channel opened with a
 *   connected peer starts online; lnd asks its server instead. Recording that state is not a flap.
 * - A NodeStateSnapshot reconciles: peers' online state and the set of open channels are brought
 *   in line with it (channels missing from it were closed while we were away).
 * - Time our own node was cut off is excluded from uptime (see `own-outage.ts`).
 * - Uptime can be asked for any window, not only a channel's lifetime (`peerUptimeRatio`).
 */

/** FitnessEvent is a node event the fitness store reacts to. */
export type FitnessEvent =
  | MessageByType<'ChannelOpened'>
  | MessageByType<'ChannelClosed'>
  | MessageByType<'PeerOnline'>
  | MessageByType<'PeerOffline'>
  | MessageByType<'NodeStateSnapshot'>;

/** FITNESS_EVENT_TYPES lists the message types in FitnessEvent, e.g. to filter a subscription. */
export const FITNESS_EVENT_TYPES: readonly FitnessEvent['type'][] = [
  'ChannelOpened',
  'ChannelClosed',
  'PeerOnline',
  'PeerOffline',
  'NodeStateSnapshot',
];

/** isFitnessEvent reports whether a catalogued message is one the fitness store reacts to. */
export function isFitnessEvent(message: KnownMessage): message is FitnessEvent {
  return (FITNESS_EVENT_TYPES as readonly string[]).includes(message.type);
}

/** NodeFitnessOptions tune a node's store; they are part of the state so replays stay deterministic. */
export interface NodeFitnessOptions {
  /** massDisconnect infers our own outages from losing all peers at once; null turns inference off. */
  readonly massDisconnect: MassDisconnectPolicy | null;
}

/** NodeFitness is the fitness state of one managed node. */
export interface NodeFitness {
  readonly options: NodeFitnessOptions;
  /** peers are the tracked peers (those that have or had a channel with us), by public key. */
  readonly peers: ReadonlyMap<Pubkey, PeerLog>;
  /** presence is the current connection state of every peer we have heard of. */
  readonly presence: PresenceMap;
  /** outages are the periods our own node was cut off. */
  readonly outages: OwnOutages;
}

/** FlapCount is a peer's flap count and the time of its last flap, as lnd's FlapCount returns them. */
export interface FlapCount {
  readonly flapCount: number;
  /** lastFlap is null when the peer never flapped (or is not tracked). */
  readonly lastFlap: EpochMs | null;
}

/** PeerUptimeRatio is a peer's uptime within a window, as far as we monitored it. */
export interface PeerUptimeRatio {
  /**
   * monitored is the part of the asked window we have a log for (not before the log's first event,
   * not after now), null when there is none.
   */
  readonly monitored: Interval | null;
  /** observed is the monitored time minus our own outages. */
  readonly observed: DurationMs;
  /** online is the time the peer was online within `observed`. */
  readonly online: DurationMs;
  /** ownOutage is the monitored time left out because our own node was down. */
  readonly ownOutage: DurationMs;
  /** ratio is online / observed, null when nothing was observed. */
  readonly ratio: number | null;
}

/** initialNodeFitness returns the state of a node we know nothing about yet. */
export function initialNodeFitness(options: Partial<NodeFitnessOptions> = {}): NodeFitness {
  return {
    options: { massDisconnect: options.massDisconnect === undefined ? DEFAULT_MASS_DISCONNECT_POLICY : options.massDisconnect },
    peers: new Map(),
    presence: new Map(),
    outages: NO_OUTAGES,
  };
}

/**
 * evolve applies one node event that happened at `at` (normally its `occurredAt`) and returns the
 * new state; the input is never changed, and the same object comes back when the event changes
 * nothing (a duplicate open, a close of an unknown channel). Events must be applied in stream
 * order; de-duplicating redelivered messages is the caller's job, since a repeated presence event
 * counts as a flap, as in lnd.
 */
export function evolve(state: NodeFitness, event: FitnessEvent, at: EpochMs): NodeFitness {
  switch (event.type) {
    case 'ChannelOpened':
      return openChannel(state, event.data.peer, event.data.channelPoint, at);
    case 'ChannelClosed':
      return closeChannel(state, event.data.peer, event.data.channelPoint);
    case 'PeerOnline':
      return peerPresence(state, event.data.peer, true, at);
    case 'PeerOffline':
      return peerPresence(state, event.data.peer, false, at);
    case 'NodeStateSnapshot':
      return reconcileSnapshot(state, event.data, at);
    default:
      return assertNever(event);
  }
}

/**
 * ownNodeOutage records that our own node was cut off from `start` to `end` (e.g. the gateway lost
 * it), so that time is not counted against its peers. Throws InvalidWindowError when end < start.
 */
export function ownNodeOutage(state: NodeFitness, start: EpochMs, end: EpochMs): NodeFitness {
  return { ...state, outages: recordOutage(state.outages, start, end) };
}

/**
 * channelLifetimeAndUptime returns a channel's lifetime and its peer's uptime over it at `now`
 * (lnd's GetChanInfo), with our own outages left out of both. Throws PeerNotFoundError when the
 * peer is not tracked and ChannelNotFoundError when the peer has no such channel.
 */
export function channelLifetimeAndUptime(
  state: NodeFitness,
  peer: Pubkey,
  channelPoint: ChannelPoint,
  now: EpochMs,
): ChannelUptime {
  return channelUptime(trackedPeer(state, peer), channelPoint, now, outagesUntil(state.outages, now));
}

/**
 * peerFlapCount returns a peer's flap count and last flap (lnd's FlapCount). As in lnd, a peer we
 * do not track is not an error: it has no flaps and no last flap. The count is as stored; apply
 * `cooledFlapCount` for its decayed value at a later time.
 */
export function peerFlapCount(state: NodeFitness, peer: Pubkey): FlapCount {
  const log = state.peers.get(peer);
  return { flapCount: log?.flapCount ?? 0, lastFlap: log?.lastFlap ?? null };
}

/**
 * peerUptimeRatio measures a tracked peer's uptime within `window` at `now`: only the part we
 * have a log for counts, and our own outages are left out. Use `trailingWindow(now, DAY)` for the
 * last 24 hours or `lifetimeWindow(now)` for everything we have. Throws PeerNotFoundError for an
 * untracked peer and InvalidWindowError for a malformed window.
 */
export function peerUptimeRatio(state: NodeFitness, peer: Pubkey, window: Interval, now: EpochMs): PeerUptimeRatio {
  assertWindow(window.start, window.end);
  const log = trackedPeer(state, peer);
  const since = monitoredSince(log);
  const start = since === null ? window.start : Math.max(window.start, since);
  const end = Math.min(window.end, now);
  if (since === null || end <= start) return { monitored: null, observed: 0, online: 0, ownOutage: 0, ratio: null };
  const measure = peerUptime(log, { start, end }, now, outagesUntil(state.outages, now));
  return {
    monitored: { start, end },
    observed: measure.observed,
    online: measure.online,
    ownOutage: measure.excluded,
    ratio: measure.observed > 0 ? measure.online / measure.observed : null,
  };
}

/** ownOutagesUntil returns our own node's outages, an open one running until `now`. */
export function ownOutagesUntil(state: NodeFitness, now: EpochMs): Interval[] {
  return outagesUntil(state.outages, now);
}

/** trackedChannels returns the channel points tracked for `peer`, empty for an untracked peer. */
export function trackedChannels(state: NodeFitness, peer: Pubkey): ChannelPoint[] {
  return state.peers.get(peer)?.channels.map((c) => c.channelPoint) ?? [];
}

/**
 * channelPeer returns the peer of a tracked channel, or undefined when no tracked peer has it.
 * Queries that name only a channel (lnd's GetChanInfo takes the peer too) find its peer this way.
 */
export function channelPeer(state: NodeFitness, channelPoint: ChannelPoint): Pubkey | undefined {
  for (const [peer, log] of state.peers) {
    if (hasChannel(log, channelPoint)) return peer;
  }
  return undefined;
}

/** trackedPeers returns the public keys of every tracked peer, in the order they were first tracked. */
export function trackedPeers(state: NodeFitness): Pubkey[] {
  return [...state.peers.keys()];
}

/** trailingWindow returns the window of length `duration` that ends at `now`. */
export function trailingWindow(now: EpochMs, duration: DurationMs): Interval {
  return { start: now - duration, end: now };
}

/** lifetimeWindow returns a window that covers all of history up to `now`. */
export function lifetimeWindow(now: EpochMs): Interval {
  return { start: Number.MIN_SAFE_INTEGER, end: now };
}

function trackedPeer(state: NodeFitness, peer: Pubkey): PeerLog {
  const log = state.peers.get(peer);
  if (log === undefined) throw new PeerNotFoundError(peer);
  return log;
}

/** openChannel starts tracking a channel (and its peer); a channel already tracked is left alone. */
function openChannel(state: NodeFitness, peer: Pubkey, channelPoint: ChannelPoint, at: EpochMs): NodeFitness {
  const existing = state.peers.get(peer);
  if (existing !== undefined && hasChannel(existing, channelPoint)) return state;
  const log = existing ?? newPeerLog({ online: isOnline(state.presence, peer) });
  return { ...state, peers: new Map(state.peers).set(peer, addChannel(log, channelPoint, at)) };
}

/** closeChannel stops tracking a channel; an unknown peer or channel is ignored, as lnd only warns. */
function closeChannel(state: NodeFitness, peer: Pubkey, channelPoint: ChannelPoint): NodeFitness {
  const log = state.peers.get(peer);
  if (log === undefined || !hasChannel(log, channelPoint)) return state;
  return { ...state, peers: new Map(state.peers).set(peer, removeChannel(log, channelPoint)) };
}

/** peerPresence applies a PeerOnline/PeerOffline: presence and outages always, the log only for tracked peers. */
function peerPresence(state: NodeFitness, peer: Pubkey, online: boolean, at: EpochMs): NodeFitness {
  const presence = setPresence(state.presence, peer, online, at);
  const outages = nextOutages(state, presence, online, at);
  const log = state.peers.get(peer);
  const peers = log === undefined ? state.peers : new Map(state.peers).set(peer, presenceEvent(log, online, at));
  if (presence === state.presence && outages === state.outages && peers === state.peers) return state;
  return { ...state, presence, outages, peers };
}

/**
 * nextOutages closes an open outage when a peer comes online, and opens one when the last
 * connected peer just went and the mass-disconnect policy says that was us.
 */
function nextOutages(state: NodeFitness, presence: PresenceMap, anyCameOnline: boolean, at: EpochMs): OwnOutages {
  if (anyCameOnline) return outageEnded(state.outages, at);
  const policy = state.options.massDisconnect;
  const lostLastPeer = presence !== state.presence && onlinePeers(state.presence).length > 0;
  if (policy === null || !lostLastPeer || state.outages.openSince !== null) return state.outages;
  const start = massDisconnectStart(presence, at, policy);
  return start === null ? state.outages : outageStarted(state.outages, start);
}

/**
 * reconcileSnapshot brings the state in line with a full node snapshot taken at `at`: peers that
 * changed state while we were away get a presence event (a flap, as if we had seen it at `at`),
 * open channels we lack are added (opened at `at`, like lnd's channels found at start-up), and
 * channels we track that the node no longer has are removed.
 */
function reconcileSnapshot(state: NodeFitness, snapshot: MessageByType<'NodeStateSnapshot'>['data'], at: EpochMs): NodeFitness {
  const wanted = new Set<Pubkey>(snapshot.onlinePeers);
  let presence = state.presence;
  const peers = new Map(state.peers);
  for (const peer of new Set([...onlinePeers(state.presence), ...wanted, ...state.peers.keys()])) {
    const online = wanted.has(peer);
    presence = setPresence(presence, peer, online, at);
    const log = peers.get(peer);
    if (log !== undefined && log.online !== online) peers.set(peer, presenceEvent(log, online, at));
  }
  let next: NodeFitness = { ...state, presence, peers, outages: nextOutages(state, presence, wanted.size > 0, at) };

  const open = new Set<ChannelPoint>();
  for (const channel of snapshot.openChannels) {
    open.add(channel.channelPoint);
    next = openChannel(next, channel.peer, channel.channelPoint, at);
  }
  for (const [peer, log] of next.peers) {
    for (const channel of log.channels) {
      if (!open.has(channel.channelPoint)) next = closeChannel(next, peer, channel.channelPoint);
    }
  }
  return next;
}

function assertNever(value: never): never {
  throw new Error(`unhandled fitness event: ${JSON.stringify(value)}`);
}
