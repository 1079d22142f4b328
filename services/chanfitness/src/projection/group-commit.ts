/**
 * GroupCommit batches concurrent submissions into few writes. Each `submit` returns a promise that
 * settles when the batch containing its item has been written and applied; items submitted while
 * a write runs go into the next batch.
 *
 * A batch goes through two stages: `write` (the database round trip) and `apply` (bringing the
 * in-memory state up to date, publishing). Writes run one after the other, in batch order, and so
 * do applies; but a batch's apply runs while the next batch is written, so the database and the
 * process work at the same time. Up to `maxPending` written batches may wait for their apply
 * before writing pauses.
 *
 * This is what lets a projection absorb tens of thousands of events per second: a consumer with
 * many messages in flight hands them over one by one, and they reach the database in a few large
 * statements instead of one round trip each. Each message is still acknowledged only after its
 * batch was written and applied.
 */
export interface CommitStages<T, W> {
  /** write stores one batch; it must store all of it or throw. */
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
  private writing = false;
  private pendingApplies = 0;
  private batches = 0;
  private applied: Promise<void> = Promise.resolve();

  /**
   * @param stages write and apply a batch.
   * @param maxBatch is the most items one batch holds.
   * @param maxPending is how many written batches may wait for (or be in) their apply.
   */
  constructor(
    private readonly stages: CommitStages<T, W>,
    private readonly maxBatch: number,
    private readonly maxPending = 2,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${maxBatch}`);
    if (!Number.isInteger(maxPending) || maxPending < 1) throw new RangeError(`maxPending must be a positive integer, got ${maxPending}`);
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
    if (this.scheduled || this.writing) return;
    this.scheduled = true;
    // Wait for the rest of this turn of the event loop: handlers for the other messages of the
    // same fetch submit in it, and they should share the batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.writeAll();
    });
  }

  /** writeAll writes batches while items are queued; the next batch forms while one is written. */
  private async writeAll(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        if (this.pendingApplies >= this.maxPending) {
          await this.applied;
          continue;
        }
        const batch = this.queue.slice(0, this.maxBatch);
        this.queue = this.queue.slice(batch.length);
        this.batches++;
        const items = batch.map((entry) => entry.item);
        let written: W;
        try {
          written = await this.stages.write(items);
        } catch (error) {
          for (const entry of batch) entry.reject(error);
          continue;
        }
        this.pendingApplies++;
        const done = this.applied.then(async () => this.stages.apply(items, written));
        this.applied = done.then(
          () => undefined,
          () => undefined,
        );
        void done
          .then(
            () => {
              for (const entry of batch) entry.resolve();
            },
            (error: unknown) => {
              for (const entry of batch) entry.reject(error);
            },
          )
          .finally(() => {
            this.pendingApplies--;
          });
      }
    } finally {
      this.writing = false;
    }
  }
}
