import { UsageError } from './errors.js';
import { parseInstant } from './instant.js';

const NOW = Date.UTC(2026, 10, 22, 1, 30);

describe('parseInstant', () => {
  it.each([
    ['2026-11-22T01:30:00Z', Date.UTC(2026, 10, 22, 1, 30)],
    ['2026-11-22T01:30Z', Date.UTC(2026, 10, 22, 1, 30)],
    ['2026-11-22T02:30:00.250+01:00', Date.UTC(2026, 10, 22, 1, 30, 0, 250)],
    ['2026-11-22', Date.UTC(2026, 10, 22)],
    ['1763775000000', 1_763_775_000_000],
    ['now', NOW],
  ])('reads %s', (text, expected) => {
    expect(parseInstant(text, '--at', NOW)).toBe(expected);
  });

  it.each([
    ['2026-11-22T01:30:00', /is not a time: give an ISO-8601 time with a zone/],
    ['yesterday', /is not a time/],
    ['', /is not a time/],
    ['2026-02-30', /is not a valid date or time/],
    ['2026-13-01T00:00:00Z', /is not a valid date or time/],
    ['2026-11-22T25:00:00Z', /is not a valid date or time/],
  ])('refuses %j naming the option', (text, message) => {
    expect(() => parseInstant(text, '--at', NOW)).toThrow(UsageError);
    expect(() => parseInstant(text, '--at', NOW)).toThrow(message);
    expect(() => parseInstant(text, '--at', NOW)).toThrow(/^--at /);
  });
});
