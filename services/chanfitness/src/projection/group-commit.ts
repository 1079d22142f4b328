/**
 * GroupCommit batches concurrent submissions into one write. Each `submit` returns a promise that
 * settles when the write containing its item has finished; items submitted while a write runs go
 * into the next one. One write runs at a time, so writes happen in submission order and the
 * writer may keep state between them without locks.
 *
 * This is what lets a projection absorb tens of thousands of events per second: a consumer with
 * many messages in flight hands them over one by one, and they reach the database in a few large
 * statements instead of one round trip each. Each message is still acknowledged only after its
 * write committed.
 */
export class GroupCommit<T> {
  private queue: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private running = false;
  private scheduled = false;
  private batches = 0;

  /**
   * @param write stores one batch; it must store all of it or throw.
   * @param maxBatch is the most items one write receives.
   */
  constructor(
    private readonly write: (items: readonly T[]) => Promise<void>,
    private readonly maxBatch: number,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${maxBatch}`);
  }

  /** writes counts the batches written so far (for metrics and tests). */
  get writes(): number {
    return this.batches;
  }

  /** submit adds an item to the next write and resolves once that write succeeded. */
  submit(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    // Wait for the rest of this turn of the event loop: handlers for the other messages of the
    // same fetch submit in it, and they should share the write.
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.slice(0, this.maxBatch);
        this.queue = this.queue.slice(batch.length);
        this.batches++;
        try {
          await this.write(batch.map((entry) => entry.item));
          for (const entry of batch) entry.resolve();
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
