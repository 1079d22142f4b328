import { UsageError } from './errors.js';

const ISO_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const EPOCH_MS = /^\d{1,16}$/;

/** INSTANT_FORMATS describes what {@link parseInstant} accepts, for help and error messages. */
export const INSTANT_FORMATS =
  'an ISO-8601 time with a zone (2026-11-22T01:30:00Z, 2026-11-22T02:30:00+01:00), a date (2026-11-22, midnight UTC), milliseconds since the epoch, or "now"';

/**
 * parseInstant reads a time given on the command line as epoch milliseconds. A time without a
 * zone is refused rather than read in the machine's zone: an audit must not depend on where it
 * runs. Calendar-impossible dates (2026-02-30) are refused too.
 */
export function parseInstant(text: string, option: string, nowMs: number): number {
  const value = text.trim();
  if (value === 'now') return nowMs;
  if (EPOCH_MS.test(value)) return Number(value);
  const date = DATE_ONLY.exec(value);
  const iso = ISO_WITH_ZONE.exec(value);
  const parts = date ?? iso;
  if (parts === null) {
    throw new UsageError(`${option} "${text}" is not a time: give ${INSTANT_FORMATS}`);
  }
  const ms = Date.parse(date === null ? value : `${value}T00:00:00Z`);
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  // Date.parse rolls 2026-02-30 over to March; the calendar date must survive the round trip.
  const calendar = new Date(Date.UTC(year, month - 1, day));
  const valid =
    !Number.isNaN(ms) && calendar.getUTCFullYear() === year && calendar.getUTCMonth() === month - 1 && calendar.getUTCDate() === day;
  if (!valid || (iso !== null && (Number(iso[4]) > 23 || Number(iso[5]) > 59 || Number(iso[6] ?? 0) > 59))) {
    throw new UsageError(`${option} "${text}" is not a valid date or time`);
  }
  return ms;
}
