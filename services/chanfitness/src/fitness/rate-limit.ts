import { HOUR, MINUTE, SECOND, type DurationMs } from './time.js';

/**
 * Rate limiting of a peer's online/offline log. A peer that flaps a lot would otherwise fill its
 * log with events a few milliseconds apart; the more it has flapped, the longer an event must
 * stand before the next one may push it into the log (see `peer-log.ts`).
 */

/**
 * RATE_LIMITS are the minimum ages a staged event must reach before a newer event lets it into the
 * log, by tier. Longer limits keep the log smaller for flappy peers and make their uptime coarser.
 */
export const RATE_LIMITS: readonly DurationMs[] = [SECOND, 5 * SECOND, 30 * SECOND, MINUTE, 30 * MINUTE, HOUR];

/** RATE_LIMIT_SCALE is how many flaps move a peer up one rate limit tier. */
export const RATE_LIMIT_SCALE = 200;

/** rateLimit returns the rate limit for a flap count: tier flapCount / 200, capped at the last tier. */
export function rateLimit(flapCount: number): DurationMs {
  const last = RATE_LIMITS.length - 1;
  const tier = Math.min(Math.floor(Math.max(0, flapCount) / RATE_LIMIT_SCALE), last);
  return RATE_LIMITS[tier] ?? HOUR;
}
