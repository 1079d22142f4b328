/**
 * Retention of stored backup versions. A version may be deleted only when it is neither among the
 * node's `retainLatest` newest versions nor younger than `retainMs`: both guards must let it go.
 * So the newest versions survive any clock, and a burst of changes cannot push a recent version
 * out. Pure: the caller passes the versions and the time.
 */

/** RetentionPolicy says which versions of a node's backups must be kept. */
export interface RetentionPolicy {
  /** retainLatest is how many of the newest versions are always kept (at least 1). */
  readonly retainLatest: number;
  /** retainMs is the age below which a version is always kept, in milliseconds. */
  readonly retainMs: number;
}

/** StoredVersion is what retention needs to know about a stored version. */
export interface StoredVersion {
  readonly version: number;
  /** createdAtMs is when the version was stored, epoch milliseconds. */
  readonly createdAtMs: number;
}

/**
 * versionsToDelete returns the versions the policy lets go at `nowMs`, ascending. Versions are
 * ranked by number, not by time (clocks step; numbers do not). Throws RangeError for a policy
 * that would keep nothing (retainLatest below 1) or a negative age.
 */
export function versionsToDelete(versions: readonly StoredVersion[], policy: RetentionPolicy, nowMs: number): number[] {
  if (!Number.isInteger(policy.retainLatest) || policy.retainLatest < 1) {
    throw new RangeError(`retainLatest must be a whole number of at least 1, got ${policy.retainLatest}`);
  }
  if (!(policy.retainMs >= 0)) throw new RangeError(`retainMs must not be negative, got ${policy.retainMs}`);
  const newestFirst = [...versions].sort((a, b) => b.version - a.version);
  return newestFirst
    .slice(policy.retainLatest)
    .filter((stored) => nowMs - stored.createdAtMs >= policy.retainMs)
    .map((stored) => stored.version)
    .sort((a, b) => a - b);
}
