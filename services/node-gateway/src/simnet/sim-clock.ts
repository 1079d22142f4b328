/**
 * SimClock is simulated time: it never reads the wall clock. Events are scheduled at simulated
 * instants and run, in time order (ties in scheduling order), only when a caller advances the
 * clock. Tests advance it explicitly; the demo drives it faster than the wall clock with a
 * realtime driver. Nothing in simnet reads time any other way.
 */

/** TimerHandle identifies a scheduled event so that it can be cancelled. */
export interface TimerHandle {
  readonly atMs: number;
}

interface Entry extends TimerHandle {
  readonly seq: number;
  readonly action: () => void;
  cancelled: boolean;
}

/** SimClock holds the simulated current time and a queue of scheduled events. */
export class SimClock {
  private current: number;
  private nextSeq = 0;
  private readonly heap: Entry[] = [];
  private running = false;

  /** startMs is the simulated epoch time (ms) the clock starts at. */
  constructor(startMs: number) {
    if (!Number.isFinite(startMs)) throw new RangeError(`startMs must be finite, got ${startMs}`);
    this.current = startMs;
  }

  /** now is the current simulated time in epoch milliseconds. */
  now(): number {
    return this.current;
  }

  /** pending is how many scheduled events have not run (cancelled ones included until they surface). */
  get pending(): number {
    return this.heap.length;
  }

  /** schedule runs `action` when the clock reaches `atMs` (an instant in the past runs on the next advance). */
  schedule(atMs: number, action: () => void): TimerHandle {
    const entry: Entry = { atMs: Math.max(atMs, this.current), seq: this.nextSeq++, action, cancelled: false };
    this.push(entry);
    return entry;
  }

  /** after runs `action` `delayMs` after now. */
  after(delayMs: number, action: () => void): TimerHandle {
    return this.schedule(this.current + Math.max(0, delayMs), action);
  }

  /** cancel stops a scheduled event from running; cancelling twice or after it ran does nothing. */
  cancel(handle: TimerHandle): void {
    (handle as Entry).cancelled = true;
  }

  /**
   * advance moves time forward by `ms`, running every event due up to the new time in order (the
   * clock reads each event's own time while it runs; events an event schedules within the window
   * run too). Returns how many events ran.
   */
  advance(ms: number): number {
    if (!(ms >= 0)) throw new RangeError(`cannot advance by ${ms} ms`);
    return this.advanceTo(this.current + ms);
  }

  /** advanceTo moves time forward to `targetMs` (never backwards); see advance. */
  advanceTo(targetMs: number): number {
    if (this.running) throw new Error('SimClock.advance was called from inside a scheduled event');
    if (targetMs < this.current) throw new RangeError(`cannot move the clock back from ${this.current} to ${targetMs}`);
    this.running = true;
    let ran = 0;
    try {
      for (;;) {
        const top = this.heap[0];
        if (top === undefined || top.atMs > targetMs) break;
        this.pop();
        if (top.cancelled) continue;
        this.current = top.atMs;
        top.action();
        ran++;
      }
      this.current = targetMs;
    } finally {
      this.running = false;
    }
    return ran;
  }

  private before(a: Entry, b: Entry): boolean {
    return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as Entry;
      if (!this.before(entry, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const l = heap[left] as Entry;
      const r = heap[right];
      const child = r !== undefined && this.before(r, l) ? right : left;
      const c = heap[child] as Entry;
      if (!this.before(c, last)) break;
      heap[i] = c;
      i = child;
    }
    heap[i] = last;
  }
}
