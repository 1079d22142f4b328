import { createRng, seedFromString } from './prng.js';

describe('createRng', () => {
  it('repeats the same sequence for the same seed', () => {
    const a = createRng(42);
    const b = createRng(42);
    const seqA = Array.from({ length: 20 }, () => a());
    const seqB = Array.from({ length: 20 }, () => b());
    expect(seqA).toEqual(seqB);
  });

  it('gives different sequences for different seeds', () => {
    const a = createRng(1);
    const b = createRng(2);
    expect(Array.from({ length: 5 }, () => a())).not.toEqual(Array.from({ length: 5 }, () => b()));
  });

  it('stays in [0, 1) and is roughly uniform', () => {
    const rng = createRng(7);
    const buckets = new Array<number>(10).fill(0);
    const samples = 100_000;
    let outOfRange = 0;
    for (let i = 0; i < samples; i++) {
      const x = rng();
      if (!(x >= 0 && x < 1)) outOfRange++;
      const bucket = Math.floor(x * 10);
      buckets[bucket] = (buckets[bucket] ?? 0) + 1;
    }
    expect(outOfRange).toBe(0);
    for (const count of buckets) expect(Math.abs(count - samples / 10)).toBeLessThan(samples / 100);
  });

  it('rejects a seed that is not a finite number', () => {
    expect(() => createRng(Number.NaN)).toThrow(RangeError);
  });
});

describe('seedFromString', () => {
  it('is stable and distinguishes ids', () => {
    expect(seedFromString('cmd-1')).toBe(seedFromString('cmd-1'));
    expect(seedFromString('cmd-1')).not.toBe(seedFromString('cmd-2'));
    expect(seedFromString('')).toBe(0x811c9dc5);
  });
});
