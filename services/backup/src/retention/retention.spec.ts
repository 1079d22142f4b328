import { versionsToDelete, type StoredVersion } from './retention.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 22);

/** history makes versions 1..n, version v stored `ageDays(v)` days before NOW. */
function history(n: number, ageDays: (version: number) => number): StoredVersion[] {
  return Array.from({ length: n }, (_, i) => ({ version: i + 1, createdAtMs: NOW - ageDays(i + 1) * DAY }));
}

describe('retention', () => {
  it('deletes what is both beyond the latest N and older than D', () => {
    // Ten versions, version v is (11 - v) days old: 1 is 10 days old, 10 is 1 day old.
    const versions = history(10, (v) => 11 - v);
    expect(versionsToDelete(versions, { retainLatest: 3, retainMs: 5 * DAY }, NOW)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('never deletes the latest N, however old', () => {
    const versions = history(5, () => 400);
    expect(versionsToDelete(versions, { retainLatest: 5, retainMs: DAY }, NOW)).toEqual([]);
    expect(versionsToDelete(versions, { retainLatest: 2, retainMs: DAY }, NOW)).toEqual([1, 2, 3]);
  });

  it('never deletes anything younger than D, however many', () => {
    const versions = history(50, () => 1);
    expect(versionsToDelete(versions, { retainLatest: 1, retainMs: 2 * DAY }, NOW)).toEqual([]);
  });

  it('ranks by version number, not by time, when the clock stepped back', () => {
    // Version 3 claims to be older than version 1: it is still among the newest.
    const versions: StoredVersion[] = [
      { version: 1, createdAtMs: NOW - 10 * DAY },
      { version: 2, createdAtMs: NOW - 9 * DAY },
      { version: 3, createdAtMs: NOW - 30 * DAY },
    ];
    expect(versionsToDelete(versions, { retainLatest: 1, retainMs: DAY }, NOW)).toEqual([1, 2]);
  });

  it('keeps a version exactly D old only when the age is below D', () => {
    const versions: StoredVersion[] = [
      { version: 1, createdAtMs: NOW - DAY },
      { version: 2, createdAtMs: NOW - DAY + 1 },
      { version: 3, createdAtMs: NOW },
    ];
    expect(versionsToDelete(versions, { retainLatest: 1, retainMs: DAY }, NOW)).toEqual([1]);
  });

  it('accepts the versions in any order and answers ascending', () => {
    const versions = history(6, (v) => 10 - v).reverse();
    expect(versionsToDelete(versions, { retainLatest: 2, retainMs: 0 }, NOW)).toEqual([1, 2, 3, 4]);
  });

  it('has nothing to delete for a node without versions', () => {
    expect(versionsToDelete([], { retainLatest: 1, retainMs: 0 }, NOW)).toEqual([]);
  });

  it.each([0, -1, 1.5])('refuses retainLatest %p, which could delete the newest backup', (retainLatest) => {
    expect(() => versionsToDelete(history(2, () => 9), { retainLatest, retainMs: 0 }, NOW)).toThrow(RangeError);
  });

  it('refuses a negative age', () => {
    expect(() => versionsToDelete([], { retainLatest: 1, retainMs: -1 }, NOW)).toThrow(RangeError);
  });
});
