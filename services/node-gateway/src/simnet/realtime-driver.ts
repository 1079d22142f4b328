import type { SimClock } from './sim-clock.js';

/** RealtimeDriverOptions says how fast simulated time runs against the wall clock. */
export interface RealtimeDriverOptions {
  /** speed is simulated ms per wall-clock ms (60 runs an hour per minute). Default 1. */
  readonly speed?: number;
  /** tickMs is how often, in wall-clock ms, the clock is advanced. Default 100. */
  readonly tickMs?: number;
  /** wallNow reads the wall clock; tests pass their own. Default Date.now. */
  readonly wallNow?: () => number;
  /** onError receives an exception thrown by a simulated event; the driver keeps going. Default: rethrow asynchronously. */
  readonly onError?: (error: unknown) => void;
}

/** RealtimeDriver advances a SimClock with the wall clock; stop() ends it. */
export interface RealtimeDriver {
  stop(): void;
}

/**
 * driveInRealtime is the demo's engine: every tick it advances the simulated clock by the wall
 * time elapsed times `speed`. Tests do not use it; they advance the clock themselves.
 */
export function driveInRealtime(clock: SimClock, options: RealtimeDriverOptions = {}): RealtimeDriver {
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new RangeError(`speed must be positive, got ${speed}`);
  const wallNow = options.wallNow ?? Date.now;
  let last = wallNow();
  const timer = setInterval(() => {
    const now = wallNow();
    const elapsed = Math.max(0, now - last);
    last = now;
    try {
      clock.advance(Math.round(elapsed * speed));
    } catch (error) {
      if (options.onError === undefined) throw error;
      options.onError(error);
    }
  }, options.tickMs ?? 100);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
    },
  };
}
