/**
 * Seedable pseudo-random numbers for the autopilot's weighted choice. Decisions must be
 * reproducible for audit and replay, so the shell derives a seed (e.g. from the decision's
 * command id), records it, and passes `createRng(seed)` into the pure core; lnd instead uses Go's
 * global `math/rand`. Not for cryptography.
 */

/** Rng returns a uniformly distributed number in [0, 1) on every call. */
export type Rng = () => number;

/**
 * createRng returns a mulberry32 generator (32-bit state, period 2^32) seeded with the low
 * 32 bits of `seed`. The same seed always gives the same sequence.
 */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  let state = Math.trunc(seed) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * seedFromString hashes a string (FNV-1a, 32 bits) into a seed, so a decision seeded with its
 * command or event id is the same on every replica and on every replay.
 */
export function seedFromString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
