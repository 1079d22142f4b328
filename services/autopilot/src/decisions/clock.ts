/**
 * The autopilot shell's clock. The pure core never reads time; the shell reads it here, so tests
 * control time (expire pending opens, let failures lapse) without sleeping.
 */

/** Clock tells the current time in milliseconds since the epoch. */
export interface Clock {
  now(): number;
}

/** systemClock is the real clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** ManualClock is a clock tests set and advance by hand. */
export class ManualClock implements Clock {
  constructor(private current: number) {}

  now(): number {
    return this.current;
  }

  /** advance moves the clock forward by `ms`. */
  advance(ms: number): void {
    this.current += ms;
  }

  /** set moves the clock to `ms` since the epoch. */
  set(ms: number): void {
    this.current = ms;
  }
}
