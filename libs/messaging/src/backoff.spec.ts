import { DEFAULT_REDELIVERY, redeliveryDelayMs, type RedeliveryPolicy } from './backoff.js';

const policy: RedeliveryPolicy = { maxDeliveries: 10, initialDelayMs: 100, maxDelayMs: 2_000 };
const noJitter = (): number => 0.5;
const lowest = (): number => 0;
const highest = (): number => 1;

describe('redeliveryDelayMs', () => {
  it('waits initialDelayMs after the first failure and doubles on each later one', () => {
    const delays = [1, 2, 3, 4, 5].map((count) => redeliveryDelayMs(policy, count, noJitter));
    expect(delays).toEqual([100, 200, 400, 800, 1_600]);
  });

  it('treats a delivery count of 0 (or less) like the first delivery', () => {
    expect(redeliveryDelayMs(policy, 0, noJitter)).toBe(100);
    expect(redeliveryDelayMs(policy, -3, noJitter)).toBe(100);
  });

  it('caps the wait at maxDelayMs', () => {
    expect(redeliveryDelayMs(policy, 6, noJitter)).toBe(2_000);
    expect(redeliveryDelayMs(policy, 50, noJitter)).toBe(2_000);
  });

  it('stays finite and capped for absurd delivery counts', () => {
    for (const count of [31, 32, 1_000, 1e9, Number.MAX_SAFE_INTEGER]) {
      expect(redeliveryDelayMs(policy, count, noJitter)).toBe(2_000);
      expect(redeliveryDelayMs(DEFAULT_REDELIVERY, count, highest)).toBe(60_000);
    }
  });

  it('jitters by -20% at the lowest random value and +20% at the highest', () => {
    expect(redeliveryDelayMs(policy, 1, lowest)).toBe(80);
    expect(redeliveryDelayMs(policy, 1, highest)).toBe(120);
    expect(redeliveryDelayMs(policy, 4, lowest)).toBe(640);
    expect(redeliveryDelayMs(policy, 4, highest)).toBe(960);
  });

  it('never jitters above maxDelayMs, but can jitter below it once capped', () => {
    expect(redeliveryDelayMs(policy, 10, highest)).toBe(2_000);
    expect(redeliveryDelayMs(policy, 10, lowest)).toBe(1_600);
    // 1,600 * 1.2 = 1,920 stays under the cap.
    expect(redeliveryDelayMs(policy, 5, highest)).toBe(1_920);
  });

  it('keeps every jittered delay within ±20% of the base and at most maxDelayMs', () => {
    let seed = 42;
    // A small deterministic generator: the test must not depend on Math.random.
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    for (let count = 1; count <= 12; count++) {
      const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (count - 1));
      for (let i = 0; i < 200; i++) {
        const delay = redeliveryDelayMs(policy, count, random);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
        expect(delay).toBeLessThanOrEqual(Math.min(policy.maxDelayMs, Math.ceil(base * 1.2)));
        expect(Number.isInteger(delay)).toBe(true);
      }
    }
  });

  it('uses Math.random when no generator is given', () => {
    for (let i = 0; i < 100; i++) {
      const delay = redeliveryDelayMs(policy, 1);
      expect(delay).toBeGreaterThanOrEqual(80);
      expect(delay).toBeLessThanOrEqual(120);
    }
  });

  it('never waits less than 1 ms', () => {
    const tiny: RedeliveryPolicy = { maxDeliveries: 3, initialDelayMs: 1, maxDelayMs: 1 };
    expect(redeliveryDelayMs(tiny, 1, lowest)).toBe(1);
    expect(redeliveryDelayMs(tiny, 1, highest)).toBe(1);
    const zero: RedeliveryPolicy = { maxDeliveries: 3, initialDelayMs: 0, maxDelayMs: 0 };
    expect(redeliveryDelayMs(zero, 1, lowest)).toBe(1);
    expect(redeliveryDelayMs(zero, 5, highest)).toBe(1);
    // 0.5 ms * 0.8 rounds to 0 and is lifted to 1.
    expect(redeliveryDelayMs({ maxDeliveries: 3, initialDelayMs: 0.5, maxDelayMs: 10 }, 1, lowest)).toBe(1);
  });

  it('spreads the ten default deliveries over about four minutes', () => {
    expect(DEFAULT_REDELIVERY).toEqual({ maxDeliveries: 10, initialDelayMs: 1_000, maxDelayMs: 60_000 });
    let total = 0;
    for (let count = 1; count < DEFAULT_REDELIVERY.maxDeliveries; count++) total += redeliveryDelayMs(DEFAULT_REDELIVERY, count, noJitter);
    // 1 + 2 + 4 + 8 + 16 + 32 + 60 + 60 + 60 s between the ten deliveries.
    expect(total).toBe(243_000);
  });
});
