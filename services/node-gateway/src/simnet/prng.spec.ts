import { createRng, exponentialMs, intBelow, intBetween, sampleIndices, seedOf } from './prng.js';

describe('createRng', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const seqA = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(seqA);
  });

  it('stays in [0, 1) and is roughly uniform', () => {
    const rng = createRng(7);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const x = rng();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      buckets[Math.floor(x * 10)]! += 1;
    }
    for (const count of buckets) expect(Math.abs(count - 1_000)).toBeLessThan(150);
  });

  it('rejects a non-finite seed', () => {
    expect(() => createRng(Number.NaN)).toThrow(RangeError);
  });
});

describe('seedOf', () => {
  it('separates parts so ("ab","c") and ("a","bc") differ', () => {
    expect(seedOf('ab', 'c')).not.toBe(seedOf('a', 'bc'));
    expect(seedOf(1, 'node', 2)).toBe(seedOf(1, 'node', 2));
  });
});

describe('draw helpers', () => {
  it('intBelow and intBetween stay within bounds', () => {
    const rng = createRng(1);
    for (let i = 0; i < 1_000; i++) {
      expect(intBelow(rng, 3)).toBeLessThan(3);
      const x = intBetween(rng, 5, 7);
      expect(x).toBeGreaterThanOrEqual(5);
      expect(x).toBeLessThanOrEqual(7);
    }
    expect(() => intBelow(rng, 0)).toThrow(RangeError);
    expect(() => intBetween(rng, 2, 1)).toThrow(RangeError);
  });

  it('exponentialMs averages its mean and is at least 1 ms', () => {
    const rng = createRng(3);
    let sum = 0;
    for (let i = 0; i < 20_000; i++) {
      const x = exponentialMs(rng, 1_000);
      expect(x).toBeGreaterThanOrEqual(1);
      sum += x;
    }
    expect(sum / 20_000).toBeGreaterThan(950);
    expect(sum / 20_000).toBeLessThan(1_050);
  });

  it('sampleIndices picks distinct indices, all of them when asked for more than exist', () => {
    const rng = createRng(9);
    const picks = sampleIndices(rng, 12_000, 1_000);
    expect(new Set(picks).size).toBe(1_000);
    for (const p of picks) expect(p).toBeLessThan(12_000);
    expect(sampleIndices(rng, 4, 10).sort()).toEqual([0, 1, 2, 3]);
  });
});
