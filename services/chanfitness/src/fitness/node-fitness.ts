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
import { isOnline, onlinePeers, type PeerPresence, type PresenceMap } from './peer-presence.js';
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

/**
 * FoldEvent is what the fold reads of a fitness event: its id, its type and the facts it acts on.
 * Every FitnessEvent is one; the projection stores only this much (see {@link foldFacts}).
 */
export type FoldEvent =
  | { readonly id: string; readonly type: 'ChannelOpened' | 'ChannelClosed'; readonly data: ChannelFacts }
  | { readonly id: string; readonly type: 'PeerOnline' | 'PeerOffline'; readonly data: PeerFacts }
  | { readonly id: string; readonly type: 'NodeStateSnapshot'; readonly data: SnapshotFacts };

/** ChannelFacts are what the fold reads of a channel open or close. */
export interface ChannelFacts {
  readonly peer: Pubkey;
  readonly channelPoint: ChannelPoint;
}

/** PeerFacts are what the fold reads of a peer's presence change. */
export interface PeerFacts {
  readonly peer: Pubkey;
}

/** SnapshotFacts are what the fold reads of a NodeStateSnapshot: online peers and open channels. */
export interface SnapshotFacts {
  readonly onlinePeers: readonly Pubkey[];
  readonly openChannels: readonly ChannelFacts[];
}

/** FoldFacts is the `data` of a {@link FoldEvent}. */
export type FoldFacts = FoldEvent['data'];

/**
 * foldFacts keeps of an event's data only what the fold reads, e.g. to store it: a few dozen
 * bytes instead of the whole message (a ChannelOpened carries a dozen fields the fold ignores).
 */
export function foldFacts(event: FitnessEvent): FoldFacts {
  switch (event.type) {
    case 'ChannelOpened':
    case 'ChannelClosed':
      return { peer: event.data.peer, channelPoint: event.data.channelPoint };
    case 'PeerOnline':
    case 'PeerOffline':
      return { peer: event.data.peer };
    case 'NodeStateSnapshot':
      return {
        onlinePeers: event.data.onlinePeers,
        openChannels: event.data.openChannels.map((channel) => ({ peer: channel.peer, channelPoint: channel.channelPoint })),
      };
    default:
      return assertNever(event);
  }
}

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
export function evolve(state: NodeFitness, event: FoldEvent, at: EpochMs): NodeFitness {
  return evolveAll(state, [{ event, at }]);
}

/**
 * evolveAll applies events in the order given, as successive `evolve` calls would, and returns the
 * final state (the same object when none of them changed anything). It copies the state's maps
 * once for the whole run instead of once per event, which is what makes folding long logs cheap;
 * the intermediate states are never visible, and the input is never changed.
 */
export function evolveAll(state: NodeFitness, events: Iterable<{ readonly event: FoldEvent; readonly at: EpochMs }>): NodeFitness {
  const draft = draftOf(state);
  for (const { event, at } of events) apply(draft, event, at);
  return draft.changed ? { options: draft.options, peers: draft.peers, presence: draft.presence, outages: draft.outages } : state;
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

/**
 * Draft is a NodeFitness being changed in place by evolveAll, which owns its maps; it is never
 * visible outside this module. `online` counts the connected peers in `presence`, and `changed`
 * says whether anything was changed.
 */
interface Draft {
  readonly options: NodeFitnessOptions;
  readonly peers: Map<Pubkey, PeerLog>;
  readonly presence: Map<Pubkey, PeerPresence>;
  outages: OwnOutages;
  online: number;
  changed: boolean;
}

function draftOf(state: NodeFitness): Draft {
  return {
    options: state.options,
    peers: new Map(state.peers),
    presence: new Map(state.presence),
    outages: state.outages,
    online: onlinePeers(state.presence).length,
    changed: false,
  };
}

function apply(draft: Draft, event: FoldEvent, at: EpochMs): void {
  switch (event.type) {
    case 'ChannelOpened':
      openChannel(draft, event.data.peer, event.data.channelPoint, at);
      return;
    case 'ChannelClosed':
      closeChannel(draft, event.data.peer, event.data.channelPoint);
      return;
    case 'PeerOnline':
      peerPresence(draft, event.data.peer, true, at);
      return;
    case 'PeerOffline':
      peerPresence(draft, event.data.peer, false, at);
      return;
    case 'NodeStateSnapshot':
      reconcileSnapshot(draft, event.data, at);
      return;
    default:
      assertNever(event);
  }
}

function setPeer(draft: Draft, peer: Pubkey, log: PeerLog): void {
  draft.peers.set(peer, log);
  draft.changed = true;
}

/** setPresence records a peer's connection state (see peer-presence.ts); it reports whether that changed it. */
function setPresence(draft: Draft, peer: Pubkey, online: boolean, at: EpochMs): boolean {
  if (isOnline(draft.presence, peer) === online) return false;
  draft.presence.set(peer, { online, since: at });
  draft.online += online ? 1 : -1;
  draft.changed = true;
  return true;
}

function setOutages(draft: Draft, outages: OwnOutages): void {
  if (outages === draft.outages) return;
  draft.outages = outages;
  draft.changed = true;
}

/** openChannel starts tracking a channel (and its peer); a channel already tracked is left alone. */
function openChannel(draft: Draft, peer: Pubkey, channelPoint: ChannelPoint, at: EpochMs): void {
  const existing = draft.peers.get(peer);
  if (existing !== undefined && hasChannel(existing, channelPoint)) return;
  const log = existing ?? newPeerLog({ online: isOnline(draft.presence, peer) });
  setPeer(draft, peer, addChannel(log, channelPoint, at));
}

/** closeChannel stops tracking a channel; an unknown peer or channel is ignored, as lnd only warns. */
function closeChannel(draft: Draft, peer: Pubkey, channelPoint: ChannelPoint): void {
  const log = draft.peers.get(peer);
  if (log === undefined || !hasChannel(log, channelPoint)) return;
  setPeer(draft, peer, removeChannel(log, channelPoint));
}

/** peerPresence applies a PeerOnline/PeerOffline: presence and outages always, the log only for tracked peers. */
function peerPresence(draft: Draft, peer: Pubkey, online: boolean, at: EpochMs): void {
  const onlineBefore = draft.online;
  const changed = setPresence(draft, peer, online, at);
  nextOutages(draft, changed, onlineBefore, online, at);
  const log = draft.peers.get(peer);
  if (log !== undefined) setPeer(draft, peer, presenceEvent(log, online, at));
}

/**
 * nextOutages closes an open outage when a peer comes online, and opens one when the last
 * connected peer just went and the mass-disconnect policy says that was us.
 */
function nextOutages(draft: Draft, presenceChanged: boolean, onlineBefore: number, anyCameOnline: boolean, at: EpochMs): void {
  if (anyCameOnline) {
    setOutages(draft, outageEnded(draft.outages, at));
    return;
  }
  const policy = draft.options.massDisconnect;
  const lostLastPeer = presenceChanged && onlineBefore > 0 && draft.online === 0;
  if (policy === null || !lostLastPeer || draft.outages.openSince !== null) return;
  const start = massDisconnectStart(draft.presence, at, policy);
  if (start !== null) setOutages(draft, outageStarted(draft.outages, start));
}

/**
 * reconcileSnapshot brings the state in line with a full node snapshot taken at `at`: peers that
 * changed state while we were away get a presence event (a flap, as if we had seen it at `at`),
 * open channels we lack are added (opened at `at`, like lnd's channels found at start-up), and
 * channels we track that the node no longer has are removed.
 */
function reconcileSnapshot(draft: Draft, snapshot: SnapshotFacts, at: EpochMs): void {
  const wanted = new Set<Pubkey>(snapshot.onlinePeers);
  const onlineBefore = draft.online;
  let presenceChanged = false;
  for (const peer of new Set([...onlinePeers(draft.presence), ...wanted, ...draft.peers.keys()])) {
    const online = wanted.has(peer);
    if (setPresence(draft, peer, online, at)) presenceChanged = true;
    const log = draft.peers.get(peer);
    if (log !== undefined && log.online !== online) setPeer(draft, peer, presenceEvent(log, online, at));
  }
  nextOutages(draft, presenceChanged, onlineBefore, wanted.size > 0, at);

  const open = new Set<ChannelPoint>();
  for (const channel of snapshot.openChannels) {
    open.add(channel.channelPoint);
    openChannel(draft, channel.peer, channel.channelPoint, at);
  }
  for (const [peer, log] of [...draft.peers]) {
    for (const channel of log.channels) {
      if (!open.has(channel.channelPoint)) closeChannel(draft, peer, channel.channelPoint);
    }
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled fitness event: ${JSON.stringify(value)}`);
}
