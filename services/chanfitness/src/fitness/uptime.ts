import { InvalidWindowError } from './errors.js';
import { clipIntervals, intervalDuration, subtractIntervals, totalDuration, type Interval } from './intervals.js';
import type { DurationMs, EpochMs } from './time.js';

/**
 * Uptime: the total time within a window that a peer was online. Beyond lnd, time our own node
 * was down can be excluded from both the window and the online time, so a peer is not blamed for
 * our outage.
 */

/** UptimeMeasure is what `measureUptime` found in a window. */
export interface UptimeMeasure {
  /** observed is the window's length minus the excluded time in it. */
  readonly observed: DurationMs;
  /** online is the time the peer was online within the observed part of the window. */
  readonly online: DurationMs;
  /** excluded is the time of the window that was left out (our own outages). */
  readonly excluded: DurationMs;
}

/**
 * assertWindow throws InvalidWindowError unless start and end are finite, end is not before start,
 * and end is set (0 counts as unset, like Go's zero time in lnd).
 */
export function assertWindow(start: EpochMs, end: EpochMs): void {
  if (!Number.isFinite(start) || !Number.isFinite(end)) {
    throw new InvalidWindowError(`window bounds must be finite, got ${start}..${end}`);
  }
  if (end < start) throw new InvalidWindowError(`end time ${end} is before start time ${start}`);
  if (end === 0) throw new InvalidWindowError('end time is unset (0)');
}

/**
 * uptime returns how long the peer was online within [start, end], given its online periods: each
 * period is clipped to the window and the lengths are summed. It matches lnd's peer log uptime.
 */
export function uptime(periods: readonly Interval[], start: EpochMs, end: EpochMs): DurationMs {
  return measureUptime(periods, { start, end }).online;
}

/**
 * measureUptime measures online time within `window`, leaving out every `excluded` interval from
 * both the window and the online periods. With nothing excluded, `observed` is the window length
 * and `online` equals `uptime`.
 */
export function measureUptime(
  periods: readonly Interval[],
  window: Interval,
  excluded: readonly Interval[] = [],
): UptimeMeasure {
  assertWindow(window.start, window.end);
  const observedWindow = subtractIntervals([window], excluded);
  const observed = totalDuration(observedWindow);
  const online = totalDuration(subtractIntervals(clipIntervals(periods, window), excluded));
  return { observed, online, excluded: intervalDuration(window) - observed };
}
