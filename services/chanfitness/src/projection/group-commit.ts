/**
 * GroupCommit batches concurrent submissions into few writes. Each `submit` returns a promise that
 * settles when the batch containing its item has been written and applied; items submitted while
 * writes run go into a later batch.
 *
 * A batch goes through two stages: `write` (the database round trip) and `apply` (bringing the
 * in-memory state up to date, publishing). Up to `maxWrites` batches may be in their write stage
 * at once, so the database works on one batch while the process applies the previous one, but
 * batches are applied strictly one at a time, in the order they were formed, so `apply` may keep
 * state between batches without locks.
 *
 * This is what lets a projection absorb tens of thousands of events per second: a consumer with
 * many messages in flight hands them over one by one, and they reach the database in a few large
 * statements instead of one round trip each. Each message is still acknowledged only after its
 * batch was written and applied.
 */
export interface CommitStages<T, W> {
  /** write stores one batch; it must store all of it or throw. Batches may be written concurrently. */
  write(items: readonly T[]): Promise<W>;
  /** apply runs after the batch's write succeeded, one batch at a time, in batch order. */
  apply(items: readonly T[], written: W): Promise<void>;
}

interface Pending<T> {
  readonly item: T;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class GroupCommit<T, W> {
  private queue: Pending<T>[] = [];
  private scheduled = false;
  private writing = 0;
  private batches = 0;
  private applied: Promise<void> = Promise.resolve();

  /**
   * @param stages write and apply a batch.
   * @param maxBatch is the most items one batch holds.
   * @param maxWrites is how many batches may be in flight (written, not yet applied) at once.
   */
  constructor(
    private readonly stages: CommitStages<T, W>,
    private readonly maxBatch: number,
    private readonly maxWrites = 2,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${maxBatch}`);
    if (!Number.isInteger(maxWrites) || maxWrites < 1) throw new RangeError(`maxWrites must be a positive integer, got ${maxWrites}`);
  }

  /** writes counts the batches formed so far (for metrics and tests). */
  get writes(): number {
    return this.batches;
  }

  /** submit adds an item to the next batch and resolves once that batch was written and applied. */
  submit(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.writing >= this.maxWrites) return;
    this.scheduled = true;
    // Wait for the rest of this turn of the event loop: handlers for the other messages of the
    // same fetch submit in it, and they should share the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.start();
    });
  }

  private start(): void {
    while (this.queue.length > 0 && this.writing < this.maxWrites) {
      const batch = this.queue.slice(0, this.maxBatch);
      this.queue = this.queue.slice(batch.length);
      this.batches++;
      this.writing++;
      const items = batch.map((entry) => entry.item);
      const written = this.stages.write(items);
      // Its failure is handled below, once the batches before it are applied.
      written.catch(() => undefined);
      // Applied in order: wait for the previous batch (whatever its outcome), then for this write.
      const done = this.applied.then(async () => this.stages.apply(items, await written));
      this.applied = done.catch(() => undefined);
      void done.then(
        () => {
          for (const entry of batch) entry.resolve();
        },
        (error: unknown) => {
          for (const entry of batch) entry.reject(error);
        },
      ).finally(() => {
        this.writing--;
        if (this.queue.length > 0) this.schedule();
      });
    }
  }
}
