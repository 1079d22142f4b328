import { HOUR, type DurationMs, type EpochMs } from './time.js';

/**
 * Cool-down of flap counts: a peer that stopped flapping is slowly forgiven, so it drops back to
 * shorter rate limits over time.
 */

/** FLAP_COUNT_COOLDOWN_PERIOD is how long after its last flap a peer's count starts to decay. */
export const FLAP_COUNT_COOLDOWN_PERIOD: DurationMs = 8 * HOUR;

/**
 * FLAP_COUNT_COOLDOWN_FACTOR is what a flap count is multiplied by per cool-down period without a
 * flap. Lower values forgive faster.
 */
export const FLAP_COUNT_COOLDOWN_FACTOR = 0.95;

/**
 * cooledFlapCount returns `flapCount` decayed for the time since `lastFlap`: unchanged within one
 * period, otherwise floor(count × 0.95^(elapsed / 8h)), with fractional periods.
 */
export function cooledFlapCount(flapCount: number, lastFlap: EpochMs, now: EpochMs): number {
  const elapsed = now - lastFlap;
  if (elapsed < FLAP_COUNT_COOLDOWN_PERIOD) return flapCount;
  const periods = elapsed / FLAP_COUNT_COOLDOWN_PERIOD;
  return Math.floor(flapCount * FLAP_COUNT_COOLDOWN_FACTOR ** periods);
}
