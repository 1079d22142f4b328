import { RATE_LIMITS, rateLimit } from './rate-limit.js';
import { HOUR, MINUTE, SECOND } from './time.js';

describe('rateLimit', () => {
  // lnd's rate limit test vectors, then the tier boundaries.
  it.each([
    { flapCount: 0, expected: SECOND },
    { flapCount: 600, expected: MINUTE },
    { flapCount: 1000, expected: HOUR },
    { flapCount: 2400, expected: HOUR },
    { flapCount: 199, expected: SECOND },
    { flapCount: 200, expected: 5 * SECOND },
    { flapCount: 400, expected: 30 * SECOND },
    { flapCount: 800, expected: 30 * MINUTE },
  ])('gives $expected ms for $flapCount flaps', ({ flapCount, expected }) => {
    expect(rateLimit(flapCount)).toBe(expected);
  });

  it('has the six tiers 1s, 5s, 30s, 1m, 30m, 1h', () => {
    expect(RATE_LIMITS).toEqual([SECOND, 5 * SECOND, 30 * SECOND, MINUTE, 30 * MINUTE, HOUR]);
  });

  it('treats a negative count as the lowest tier', () => {
    expect(rateLimit(-5)).toBe(SECOND);
  });
});
