/**
 * Failure memory with expiry. When connecting to a peer or opening a channel to it fails, the
 * agent leaves the peer alone for a while; each further failure doubles the pause, up to a cap.
 *
 * Where we differ from lnd: lnd keeps failed nodes in memory forever (until the agent restarts),
 * with no backoff and no expiry, so a briefly unreachable good peer is never retried and a restart
 * forgets a permanently bad one. Here failures are data (persisted by the shell) and expire.
 */

/** FailureRecord is what the agent remembers about a peer that failed. */
export interface FailureRecord {
  /** failures counts consecutive failures (reset by a successful open). */
  readonly failures: number;
  /** failedUntil is the time (ms since the epoch) before which the peer is not retried. */
  readonly failedUntil: number;
}

/** BackoffPolicy sets how long a failing peer is left alone. */
export interface BackoffPolicy {
  /** baseMs is the pause after the first failure; larger retries bad peers less often. */
  readonly baseMs: number;
  /** maxMs caps the pause however often the peer failed. */
  readonly maxMs: number;
}

/** DEFAULT_BACKOFF: 10 minutes after a first failure (lnd's wished-for wake-up period), capped at a week. */
export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({ baseMs: 10 * 60_000, maxMs: 7 * 24 * 3_600_000 });

/** recordFailure returns the record after one more failure at `now`: pause = base × 2^(failures-1), capped. */
export function recordFailure(previous: FailureRecord | undefined, now: number, policy: BackoffPolicy = DEFAULT_BACKOFF): FailureRecord {
  const failures = (previous?.failures ?? 0) + 1;
  const pause = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(failures - 1, 52));
  return { failures, failedUntil: now + pause };
}

/** isFailureActive tells whether a failure still excludes its peer at `now`. */
export function isFailureActive(failedUntil: number, now: number): boolean {
  return now < failedUntil;
}
