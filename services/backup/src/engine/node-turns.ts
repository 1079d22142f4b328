/**
 * NodeTurns remembers, per node, the stream sequences of events that failed and wait for their
 * retry, so that the node's later events are not applied before them. Pure bookkeeping: the
 * caller passes the time. An entry older than `maxWaitMs` no longer holds anything back (the
 * event was applied by another replica, or dead-lettered).
 */
export class NodeTurns {
  private readonly waiting = new Map<string, Map<number, number>>();

  constructor(private readonly maxWaitMs: number) {}

  /** earlierWaiting returns the earliest sequence below `sequence` still waiting for `nodeId`, or null. */
  earlierWaiting(nodeId: string, sequence: number, nowMs: number): number | null {
    const entries = this.waiting.get(nodeId);
    if (entries === undefined) return null;
    let earliest: number | null = null;
    for (const [waiting, sinceMs] of entries) {
      if (nowMs - sinceMs >= this.maxWaitMs) {
        entries.delete(waiting);
        continue;
      }
      if (waiting < sequence && (earliest === null || waiting < earliest)) earliest = waiting;
    }
    if (entries.size === 0) this.waiting.delete(nodeId);
    return earliest;
  }

  /** wait records that the event at `sequence` failed or was put back and will come again. */
  wait(nodeId: string, sequence: number, nowMs: number): void {
    let entries = this.waiting.get(nodeId);
    if (entries === undefined) {
      entries = new Map();
      this.waiting.set(nodeId, entries);
    }
    if (!entries.has(sequence)) entries.set(sequence, nowMs);
  }

  /** done records that the event at `sequence` was applied. */
  done(nodeId: string, sequence: number): void {
    const entries = this.waiting.get(nodeId);
    if (entries === undefined) return;
    entries.delete(sequence);
    if (entries.size === 0) this.waiting.delete(nodeId);
  }

  /** size is the number of nodes with events waiting. */
  get size(): number {
    return this.waiting.size;
  }
}

/** OutOfTurnError puts an event back because an earlier event of its node has not been applied yet. */
export class OutOfTurnError extends Error {
  override readonly name = 'OutOfTurnError';

  constructor(
    readonly nodeId: string,
    readonly sequence: number,
    readonly waitingFor: number,
  ) {
    super(`event #${sequence} of node ${nodeId} waits for #${waitingFor} to be applied first (its retry is pending)`);
  }
}
