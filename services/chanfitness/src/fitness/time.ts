/**
 * Time in the fitness core is plain numbers: instants are milliseconds since the Unix epoch and
 * durations are milliseconds. The core never reads a clock; the shell passes `now` and each
 * event's time in, so a replay of the stream gives the same answers as live processing.
 */

/** EpochMs is an instant in milliseconds since the Unix epoch. */
export type EpochMs = number;

/** DurationMs is a length of time in milliseconds. */
export type DurationMs = number;

/** SECOND is one second in milliseconds. */
export const SECOND: DurationMs = 1_000;

/** MINUTE is one minute in milliseconds. */
export const MINUTE: DurationMs = 60 * SECOND;

/** HOUR is one hour in milliseconds. */
export const HOUR: DurationMs = 60 * MINUTE;

/** DAY is 24 hours in milliseconds. */
export const DAY: DurationMs = 24 * HOUR;
