import type { Interval } from './intervals.js';
import type { EpochMs } from './time.js';

/** PresenceEvent records that a peer was seen coming online (`online: true`) or going offline at `at`. */
export interface PresenceEvent {
  readonly at: EpochMs;
  readonly online: boolean;
}

/**
 * onlinePeriods turns a log of presence events, oldest first, into the periods the peer was
 * online. A period runs from an online event to the next offline event; of repeated events of the
 * same kind the earliest counts, and offline events before any online event open nothing. If the
 * log ends online, the last period runs until `now` (and is dropped if it would start after `now`).
 */
export function onlinePeriods(events: readonly PresenceEvent[], now: EpochMs): Interval[] {
  const periods: Interval[] = [];
  let onlineSince: EpochMs | null = null;
  for (const event of events) {
    if (event.online) {
      onlineSince ??= event.at;
    } else if (onlineSince !== null) {
      periods.push({ start: onlineSince, end: event.at });
      onlineSince = null;
    }
  }
  if (onlineSince !== null && now >= onlineSince) periods.push({ start: onlineSince, end: now });
  return periods;
}
