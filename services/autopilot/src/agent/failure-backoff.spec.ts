import { DEFAULT_BACKOFF, isFailureActive, recordFailure } from './failure-backoff.js';

const policy = { baseMs: 1_000, maxMs: 10_000 };

describe('recordFailure', () => {
  it('doubles the pause with each failure up to the cap', () => {
    const first = recordFailure(undefined, 0, policy);
    expect(first).toEqual({ failures: 1, failedUntil: 1_000 });
    const second = recordFailure(first, 5_000, policy);
    expect(second).toEqual({ failures: 2, failedUntil: 7_000 });
    const third = recordFailure(second, 10_000, policy);
    expect(third).toEqual({ failures: 3, failedUntil: 14_000 });
    let record = third;
    for (let i = 0; i < 100; i++) record = recordFailure(record, 0, policy);
    expect(record.failedUntil).toBe(10_000);
  });

  it('defaults to 10 minutes after a first failure', () => {
    expect(recordFailure(undefined, 0).failedUntil).toBe(DEFAULT_BACKOFF.baseMs);
    expect(DEFAULT_BACKOFF.baseMs).toBe(600_000);
  });
});

describe('isFailureActive', () => {
  it('excludes the peer until the expiry, not at or after it', () => {
    expect(isFailureActive(1_000, 999)).toBe(true);
    expect(isFailureActive(1_000, 1_000)).toBe(false);
  });
});
