/**
 * KeyedQueue runs tasks one at a time per key, in the order they were submitted, while tasks of
 * different keys run side by side. The backup engine keys by node, so a replica handling several
 * events at once still applies one node's events in the order the stream delivered them.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** run starts `task` once every earlier task of `key` has settled, and returns its outcome. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    // An earlier task's failure is its caller's business; the next one runs regardless.
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** size is the number of keys with a task queued or running. */
  get size(): number {
    return this.tails.size;
  }
}
