import { cooledFlapCount } from './cool-down.js';
import { HOUR } from './time.js';

/** testNow is lnd's test clock: unix 1592465134. */
const testNow = 1_592_465_134_000;

describe('cooledFlapCount', () => {
  // lnd's cool-down test vectors.
  it.each([
    { name: 'just flapped', flapCount: 1, lastFlap: testNow, expected: 1 },
    { name: 'within the cool-down period', flapCount: 1, lastFlap: testNow - 4 * HOUR, expected: 1 },
    { name: 'one period, small count rounds to zero', flapCount: 1, lastFlap: testNow - 8 * HOUR, expected: 0 },
    { name: 'one period', flapCount: 10, lastFlap: testNow - 8 * HOUR, expected: 9 },
    { name: 'three periods', flapCount: 10, lastFlap: testNow - 24 * HOUR, expected: 8 },
  ])('$name: $flapCount flaps -> $expected', ({ flapCount, lastFlap, expected }) => {
    expect(cooledFlapCount(flapCount, lastFlap, testNow)).toBe(expected);
  });

  it('decays over fractional periods', () => {
    // 12h is 1.5 periods: 100 × 0.95^1.5 = 92.59...
    expect(cooledFlapCount(100, testNow - 12 * HOUR, testNow)).toBe(92);
  });

  it('leaves the count alone when the last flap is in the future', () => {
    expect(cooledFlapCount(7, testNow + HOUR, testNow)).toBe(7);
  });
});
