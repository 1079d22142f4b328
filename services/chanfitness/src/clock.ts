import type { EpochMs } from './fitness/index.js';

/**
 * Clock is where the shell reads the time for queries that do not name one. The core never reads
 * a clock; tests provide a fixed one (or pass `at` explicitly) so answers do not depend on when
 * they run.
 */
export abstract class Clock {
  /** now is the current time in epoch milliseconds. */
  abstract now(): EpochMs;
}

/** SystemClock reads the machine's wall clock. */
export class SystemClock extends Clock {
  now(): EpochMs {
    return Date.now();
  }
}

/** FixedClock always answers the same instant (or whatever `set` last made it). */
export class FixedClock extends Clock {
  constructor(private instant: EpochMs) {
    super();
  }

  now(): EpochMs {
    return this.instant;
  }

  /** set moves the clock to `instant`. */
  set(instant: EpochMs): void {
    this.instant = instant;
  }
}
