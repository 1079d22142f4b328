/**
 * Seedable pseudo-random numbers for the simulation. Every random choice in simnet (which graph
 * nodes join the fleet, wallet sizes, flap times, which opens fail) comes from a generator seeded
 * from the simnet seed, so one seed always yields the same run. Not for cryptography.
 */

/** Rng returns a uniformly distributed number in [0, 1) on every call. */
export type Rng = () => number;

/**
 * createRng returns a splitmix32 generator seeded with the low 32 bits of `seed`; the same seed
 * always gives the same sequence.
 */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  let state = Math.trunc(seed) >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return ((z ^ (z >>> 15)) >>> 0) / 4_294_967_296;
  };
}

/**
 * seedOf hashes seed parts (FNV-1a, 32 bits, parts separated) into one seed, so that independent
 * streams (one per fleet node) are derived from the simnet seed without sharing a sequence.
 */
export function seedOf(...parts: ReadonlyArray<string | number>): number {
  let hash = 0x811c9dc5;
  for (const part of parts) {
    const text = `${String(part)}\u0000`;
    for (let i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
  }
  return hash >>> 0;
}

/** intBelow returns an integer in [0, n) (n must be a positive integer). */
export function intBelow(rng: Rng, n: number): number {
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`n must be a positive integer, got ${n}`);
  return Math.floor(rng() * n);
}

/** intBetween returns an integer in [min, max], both inclusive. */
export function intBetween(rng: Rng, min: number, max: number): number {
  if (max < min) throw new RangeError(`max ${max} is below min ${min}`);
  return min + Math.floor(rng() * (max - min + 1));
}

/**
 * exponentialMs draws a waiting time with the given mean (memoryless, like independent flaps),
 * at least 1 ms so that a zero draw cannot schedule an event loop at one instant.
 */
export function exponentialMs(rng: Rng, meanMs: number): number {
  return Math.max(1, Math.round(-Math.log(1 - rng()) * meanMs));
}

/** sampleIndices picks `count` distinct indices from [0, n) (fewer when n < count), in pick order. */
export function sampleIndices(rng: Rng, n: number, count: number): number[] {
  const take = Math.min(n, count);
  // Sparse Fisher-Yates: only the swapped slots are stored, so picking 1,000 of 12,000 is cheap.
  const swapped = new Map<number, number>();
  const picked: number[] = [];
  for (let i = 0; i < take; i++) {
    const j = i + intBelow(rng, n - i);
    const atJ = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    picked.push(atJ);
  }
  return picked;
}
