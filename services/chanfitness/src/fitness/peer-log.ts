import type { ChannelPoint } from '@lnfleet/contracts';
import { cooledFlapCount } from './cool-down.js';
import { ChannelAlreadyTrackedError, ChannelNotFoundError } from './errors.js';
import type { Interval } from './intervals.js';
import { onlinePeriods, type PresenceEvent } from './online-periods.js';
import { rateLimit } from './rate-limit.js';
import { measureUptime, type UptimeMeasure } from './uptime.js';
import type { DurationMs, EpochMs } from './time.js';

/**
 * PeerLog: what we know about one peer of a managed node. It is an immutable value; every
 * function here returns a new log (or the same one when nothing changes) and never mutates its
 * input, so it can be stored, compared and replayed freely.
 *
 * Lifespan of a channel: the time since we started tracking it. Uptime: the time within a period
 * that the channel's peer was online.
 */

/** TrackedChannel is a channel with the peer and the time we started tracking it. */
export interface TrackedChannel {
  readonly channelPoint: ChannelPoint;
  readonly openedAt: EpochMs;
}

/** PeerLog is the online/offline history, flap count and channels of one peer. */
export interface PeerLog {
  /** online is the peer's current connection state as last reported. */
  readonly online: boolean;
  /** events are the rate-limited presence events committed to the log, oldest first. */
  readonly events: readonly PresenceEvent[];
  /** staged is the newest presence event, held back until the rate limit lets it into `events`. */
  readonly staged: PresenceEvent | null;
  /** flapCount is how often the peer went online or offline, with cool-down applied at each flap. */
  readonly flapCount: number;
  /** lastFlap is when the peer last flapped, null if it never did. */
  readonly lastFlap: EpochMs | null;
  /** channels are the peer's open channels we track. */
  readonly channels: readonly TrackedChannel[];
}

/** PeerLogInit sets the starting state of a new peer log. */
export interface PeerLogInit {
  readonly online?: boolean;
  readonly flapCount?: number;
  readonly lastFlap?: EpochMs | null;
}

/** ChannelUptime is a channel's lifetime and its peer's uptime over that lifetime. */
export interface ChannelUptime {
  /**
   * lifetime is how long we have monitored the channel: now - openedAt, minus our own outages.
   * Without outages this is lnd's Lifetime.
   */
  readonly lifetime: DurationMs;
  /** uptime is how long the peer was online during `lifetime` (lnd's Uptime when there were no outages). */
  readonly uptime: DurationMs;
  /** ownOutage is the time since the open that was excluded because our own node was down. */
  readonly ownOutage: DurationMs;
}

/** newPeerLog returns an empty peer log, offline with no flaps unless `init` says otherwise. */
export function newPeerLog(init: PeerLogInit = {}): PeerLog {
  return {
    online: init.online ?? false,
    events: [],
    staged: null,
    flapCount: init.flapCount ?? 0,
    lastFlap: init.lastFlap ?? null,
    channels: [],
  };
}

/** onlineEvent records that the peer came online at `at`. */
export function onlineEvent(log: PeerLog, at: EpochMs): PeerLog {
  return presenceEvent(log, true, at);
}

/** offlineEvent records that the peer went offline at `at`. */
export function offlineEvent(log: PeerLog, at: EpochMs): PeerLog {
  return presenceEvent(log, false, at);
}

/**
 * presenceEvent records a flap: the flap count is cooled down for the time since the last flap
 * and then incremented, `lastFlap` and `online` are updated, and, if the peer has channels, the
 * event goes through the rate limiter into the log. Like lnd, a repeated event of the same kind
 * still counts as a flap. An `at` older than what the log already holds is moved up to its newest
 * time (lnd reads a monotonic clock; a stream can deliver a late timestamp).
 */
export function presenceEvent(log: PeerLog, online: boolean, at: EpochMs): PeerLog {
  const time = notBeforeLog(log, at);
  const cooled = log.lastFlap === null ? log.flapCount : cooledFlapCount(log.flapCount, log.lastFlap, time);
  const flapped: PeerLog = { ...log, flapCount: cooled + 1, lastFlap: time, online };
  return hasChannels(flapped) ? stageEvent(flapped, { at: time, online }) : flapped;
}

/**
 * addChannel starts tracking a channel opened at `at`. If the log is empty, the peer's current
 * state is recorded as its first event, so uptime has a starting point; that is not a flap.
 * Throws ChannelAlreadyTrackedError for a channel the log already has.
 */
export function addChannel(log: PeerLog, channelPoint: ChannelPoint, at: EpochMs): PeerLog {
  if (hasChannel(log, channelPoint)) throw new ChannelAlreadyTrackedError(channelPoint);
  const time = notBeforeLog(log, at);
  const withChannel: PeerLog = { ...log, channels: [...log.channels, { channelPoint, openedAt: time }] };
  return log.events.length === 0 ? stageEvent(withChannel, { at: time, online: log.online }) : withChannel;
}

/**
 * removeChannel stops tracking a channel. When the last channel goes, the event log and the
 * staged event are cleared, but the flap count and last flap are kept. Throws
 * ChannelNotFoundError for a channel the log does not have.
 */
export function removeChannel(log: PeerLog, channelPoint: ChannelPoint): PeerLog {
  if (!hasChannel(log, channelPoint)) throw new ChannelNotFoundError(channelPoint);
  const channels = log.channels.filter((c) => c.channelPoint !== channelPoint);
  return channels.length === 0 ? { ...log, channels, events: [], staged: null } : { ...log, channels };
}

/** hasChannel reports whether the log tracks `channelPoint`. */
export function hasChannel(log: PeerLog, channelPoint: ChannelPoint): boolean {
  return log.channels.some((c) => c.channelPoint === channelPoint);
}

/** hasChannels reports whether the log tracks any channel. */
export function hasChannels(log: PeerLog): boolean {
  return log.channels.length > 0;
}

/** loggedEvents returns the committed events followed by the staged one: the history uptime is computed from. */
export function loggedEvents(log: PeerLog): readonly PresenceEvent[] {
  return log.staged === null ? log.events : [...log.events, log.staged];
}

/** monitoredSince returns the time of the log's first event, or null when the log is empty. */
export function monitoredSince(log: PeerLog): EpochMs | null {
  return loggedEvents(log)[0]?.at ?? null;
}

/**
 * peerUptime measures the peer's online time within `window` from its log, with online periods
 * that are still open running until `now`, and `excluded` intervals (our own outages) left out.
 */
export function peerUptime(
  log: PeerLog,
  window: Interval,
  now: EpochMs,
  excluded: readonly Interval[] = [],
): UptimeMeasure {
  return measureUptime(onlinePeriods(loggedEvents(log), now), window, excluded);
}

/**
 * channelUptime returns a channel's lifetime (now - openedAt) and its peer's uptime over that
 * lifetime, with `excluded` intervals taken out of both. Throws ChannelNotFoundError for an
 * unknown channel and InvalidWindowError when `now` is before the open.
 */
export function channelUptime(
  log: PeerLog,
  channelPoint: ChannelPoint,
  now: EpochMs,
  excluded: readonly Interval[] = [],
): ChannelUptime {
  const channel = log.channels.find((c) => c.channelPoint === channelPoint);
  if (channel === undefined) throw new ChannelNotFoundError(channelPoint);
  const measure = peerUptime(log, { start: channel.openedAt, end: now }, now, excluded);
  return { lifetime: measure.observed, uptime: measure.online, ownOutage: measure.excluded };
}

/**
 * stageEvent is the rate limiter: the first event is staged; a later one commits the staged event
 * to the log only if the staged event is older than the rate limit for the current flap count,
 * and always takes its place as the staged event.
 */
function stageEvent(log: PeerLog, event: PresenceEvent): PeerLog {
  if (log.staged === null) return { ...log, staged: event };
  const stagedLongEnough = log.staged.at + rateLimit(log.flapCount) < event.at;
  return { ...log, events: stagedLongEnough ? [...log.events, log.staged] : log.events, staged: event };
}

/** notBeforeLog moves `at` up to the newest time the log has seen, keeping the log in order. */
function notBeforeLog(log: PeerLog, at: EpochMs): EpochMs {
  let newest = at;
  if (log.lastFlap !== null) newest = Math.max(newest, log.lastFlap);
  if (log.staged !== null) newest = Math.max(newest, log.staged.at);
  const lastEvent = log.events[log.events.length - 1];
  if (lastEvent !== undefined) newest = Math.max(newest, lastEvent.at);
  return newest;
}
