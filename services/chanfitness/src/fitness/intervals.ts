import type { DurationMs, EpochMs } from './time.js';

/**
 * Half-open time intervals [start, end) and the few set operations uptime needs: clipping online
 * periods to a window and cutting our own node's outages out of both.
 */

/** Interval is the span of time from `start` (inclusive) to `end` (exclusive). */
export interface Interval {
  readonly start: EpochMs;
  readonly end: EpochMs;
}

/** intervalDuration returns the length of an interval, 0 when it is empty or inverted. */
export function intervalDuration(interval: Interval): DurationMs {
  return Math.max(0, interval.end - interval.start);
}

/** totalDuration returns the summed length of intervals; overlapping intervals are counted twice. */
export function totalDuration(intervals: readonly Interval[]): DurationMs {
  let total = 0;
  for (const interval of intervals) total += intervalDuration(interval);
  return total;
}

/**
 * normalizeIntervals returns the intervals sorted by start, without empty ones, with overlapping
 * or touching intervals merged into one.
 */
export function normalizeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const merged: Interval[] = [];
  for (const interval of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && interval.start <= last.end) {
      merged[merged.length - 1] = { start: last.start, end: Math.max(last.end, interval.end) };
    } else {
      merged.push(interval);
    }
  }
  return merged;
}

/** clipIntervals returns each interval cut to `window`, dropping those that fall outside it. */
export function clipIntervals(intervals: readonly Interval[], window: Interval): Interval[] {
  const clipped: Interval[] = [];
  for (const interval of intervals) {
    const start = Math.max(interval.start, window.start);
    const end = Math.min(interval.end, window.end);
    if (end > start) clipped.push({ start, end });
  }
  return clipped;
}

/** subtractIntervals returns the parts of `intervals` that lie outside every one of `removals`. */
export function subtractIntervals(intervals: readonly Interval[], removals: readonly Interval[]): Interval[] {
  const cuts = normalizeIntervals(removals);
  const result: Interval[] = [];
  for (const interval of intervals) {
    let start = interval.start;
    const end = interval.end;
    for (const cut of cuts) {
      if (cut.end <= start) continue;
      if (cut.start >= end) break;
      if (cut.start > start) result.push({ start, end: cut.start });
      start = Math.max(start, cut.end);
      if (start >= end) break;
    }
    if (end > start) result.push({ start, end });
  }
  return result;
}
