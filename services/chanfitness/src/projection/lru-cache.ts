/**
 * LruCache is a small least-recently-used map: reading or writing an entry makes it the newest,
 * and once `capacity` is exceeded the oldest entry is dropped.
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  /** size is the number of entries held. */
  get size(): number {
    return this.entries.size;
  }

  /** get returns the entry for `key` and marks it most recently used. */
  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  /** peek returns the entry for `key` without marking it used. */
  peek(key: K): V | undefined {
    return this.entries.get(key);
  }

  /** set stores an entry as the most recently used, dropping the least recently used beyond capacity. */
  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
  }

  /** delete drops the entry for `key`. */
  delete(key: K): void {
    this.entries.delete(key);
  }

  /** clear drops every entry. */
  clear(): void {
    this.entries.clear();
  }
}
