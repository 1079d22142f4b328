import { chooseN, weightedChoice } from './choose.js';
import { createRng } from './prng.js';

// lnd's distribution vector: 500 nodes in five equal buckets scoring 0, 0.1, 0.2, 0.4 and 0.8.
const NODES = 500;
const BUCKET_WEIGHTS = [0, 0.1, 0.2, 0.4, 0.8];
const bucketOf = (i: number): number => Math.floor(i / (NODES / BUCKET_WEIGHTS.length));
const weights = Array.from({ length: NODES }, (_, i) => BUCKET_WEIGHTS[bucketOf(i)] ?? 0);

function expectEachBucketAboutTwiceTheOneBelow(counts: number[]): void {
  expect(counts[0]).toBe(0);
  for (let b = 2; b < counts.length; b++) {
    const ratio = (counts[b] ?? 0) / (counts[b - 1] ?? 1);
    expect(Math.abs(ratio - 2) / 2).toBeLessThan(0.2);
  }
}

describe('weightedChoice', () => {
  it('chooses each bucket about twice as often as the one below (within 20%)', () => {
    const rng = createRng(2024);
    const counts = new Array<number>(BUCKET_WEIGHTS.length).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const bucket = bucketOf(weightedChoice(weights, rng));
      counts[bucket] = (counts[bucket] ?? 0) + 1;
    }
    expectEachBucketAboutTwiceTheOneBelow(counts);
  });

  it('returns -1 when no weight is positive', () => {
    expect(weightedChoice([], createRng(1))).toBe(-1);
    expect(weightedChoice([0, -1, Number.NaN], createRng(1))).toBe(-1);
  });

  it('maps the random point onto the weights laid end to end', () => {
    const at = (x: number): number => weightedChoice([0, 1, 0, 3], () => x);
    expect(at(0)).toBe(1);
    expect(at(0.2499)).toBe(1);
    expect(at(0.25)).toBe(3);
    expect(at(0.9999999)).toBe(3);
  });
});

describe('chooseN', () => {
  const scores = new Map(weights.map((w, i) => [`node-${String(i).padStart(3, '0')}`, w]));

  it('follows the score distribution when drawing one node at a time', () => {
    const rng = createRng(99);
    const counts = new Array<number>(BUCKET_WEIGHTS.length).fill(0);
    for (let i = 0; i < 20_000; i++) {
      const [pick] = chooseN(1, scores, rng);
      const bucket = bucketOf(Number(pick?.node.slice(5)));
      counts[bucket] = (counts[bucket] ?? 0) + 1;
    }
    expectEachBucketAboutTwiceTheOneBelow(counts);
  });

  it('picks without replacement and stops when no positive score is left', () => {
    const small = new Map([['a', 1], ['b', 0], ['c', 0.5], ['d', 0.25]]);
    const picks = chooseN(10, small, createRng(5));
    expect(picks.map((p) => p.node).sort()).toEqual(['a', 'c', 'd']);
    expect(new Set(picks.map((p) => p.node)).size).toBe(3);
    expect(picks.find((p) => p.node === 'c')?.score).toBe(0.5);
  });

  it('picks at most n and nothing for n = 0', () => {
    expect(chooseN(2, scores, createRng(3))).toHaveLength(2);
    expect(chooseN(0, scores, createRng(3))).toEqual([]);
  });

  it('is reproducible from the seed regardless of map insertion order', () => {
    const reversed = new Map([...scores].reverse());
    expect(chooseN(5, reversed, createRng(77))).toEqual(chooseN(5, scores, createRng(77)));
  });
});
