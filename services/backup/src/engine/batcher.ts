/**
 * Batcher gathers the items submitted while the previous batch runs (or within one turn of the
 * event loop) into batches of at most `maxBatch`, and runs them one at a time, in submission
 * order. Each `submit` settles with its own item's outcome once its batch has run: the transport
 * acknowledges a message only then, so nothing is acknowledged before its batch is durable.
 */

/** BatchOutcome is what became of one item of a batch. */
export type BatchOutcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

interface Waiting<T> {
  readonly item: T;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class Batcher<T> {
  private queue: Waiting<T>[] = [];
  private running = false;
  private scheduled = false;

  /**
   * @param run applies one batch and says, item by item (same order), how it went.
   * @param maxBatch is the most items one batch holds.
   */
  constructor(
    private readonly run: (items: readonly T[]) => Promise<readonly BatchOutcome[]>,
    private readonly maxBatch: number,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${maxBatch}`);
  }

  /** submit adds an item to the next batch; resolves when it was applied, rejects with its error. */
  submit(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** queued is the number of items waiting for a batch. */
  get queued(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    // The rest of this turn of the event loop: the other messages of the same pull join the batch.
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
        let outcomes: readonly BatchOutcome[];
        try {
          outcomes = await this.run(batch.map((waiting) => waiting.item));
        } catch (error) {
          outcomes = batch.map(() => ({ ok: false, error }));
        }
        for (const [i, waiting] of batch.entries()) {
          const outcome = outcomes[i] ?? { ok: false, error: new Error('the batch gave no outcome for this item') };
          if (outcome.ok) waiting.resolve();
          else waiting.reject(outcome.error);
        }
      }
    } finally {
      this.running = false;
    }
  }
}

/** runLimited runs the tasks with at most `limit` at once; rejects with the first failure after all settled. */
export async function runLimited(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const task = tasks[next++];
      if (task === undefined) return;
      try {
        await task();
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  if (failures.length > 0) throw failures[0];
}
