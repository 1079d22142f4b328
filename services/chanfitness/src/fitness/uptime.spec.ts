import { InvalidWindowError } from './errors.js';
import { onlinePeriods, type PresenceEvent } from './online-periods.js';
import { HOUR } from './time.js';
import { assertWindow, measureUptime, uptime } from './uptime.js';

const testNow = 1_592_465_134_000;
const on = (offset: number): PresenceEvent => ({ at: testNow + offset, online: true });
const off = (offset: number): PresenceEvent => ({ at: testNow + offset, online: false });

describe('uptime', () => {
  // lnd's uptime test vectors: events relative to testNow, window [start, end].
  it.each([
    { name: 'online for the whole window', events: [on(-4 * HOUR)], start: -4 * HOUR, end: 0, expected: 4 * HOUR },
    { name: 'online for part of the window', events: [on(-3 * HOUR), off(-2 * HOUR)], start: -4 * HOUR, end: 0, expected: HOUR },
    { name: 'online since before the window', events: [on(-3 * HOUR)], start: -2 * HOUR, end: 0, expected: 2 * HOUR },
    { name: 'offline event after the window', events: [on(-4 * HOUR), off(HOUR)], start: -2 * HOUR, end: 0, expected: 2 * HOUR },
    { name: 'window ends before now', events: [on(-2 * HOUR)], start: -3 * HOUR, end: -HOUR, expected: HOUR },
    {
      name: 'several online periods',
      events: [on(-7 * HOUR), off(-6 * HOUR), on(-5 * HOUR), off(-4 * HOUR), on(-3 * HOUR)],
      start: -8 * HOUR,
      end: -HOUR,
      expected: 4 * HOUR,
    },
  ])('$name -> $expected ms', ({ events, start, end, expected }) => {
    expect(uptime(onlinePeriods(events, testNow), testNow + start, testNow + end)).toBe(expected);
  });

  it('rejects an end before the start', () => {
    expect(() => uptime(onlinePeriods([on(-HOUR)], testNow), testNow, testNow - HOUR)).toThrow(InvalidWindowError);
  });

  it('rejects an unset (zero) end', () => {
    expect(() => uptime([], 0, 0)).toThrow(InvalidWindowError);
  });

  it('rejects non-finite bounds', () => {
    expect(() => {
      assertWindow(Number.NaN, testNow);
    }).toThrow(InvalidWindowError);
    expect(() => {
      assertWindow(testNow, Number.POSITIVE_INFINITY);
    }).toThrow(InvalidWindowError);
  });

  it('is zero for an empty window', () => {
    expect(uptime(onlinePeriods([on(-HOUR)], testNow), testNow, testNow)).toBe(0);
  });
});

describe('measureUptime', () => {
  const periods = onlinePeriods([on(-4 * HOUR), off(-2 * HOUR)], testNow);
  const window = { start: testNow - 4 * HOUR, end: testNow };

  it('observes the whole window when nothing is excluded', () => {
    expect(measureUptime(periods, window)).toEqual({ observed: 4 * HOUR, online: 2 * HOUR, excluded: 0 });
  });

  it('leaves excluded time out of both the window and the online time', () => {
    // Our node was down from -3h to -1h: one hour of the peer's online time and one hour of its
    // offline time fall into the outage, leaving 1h online out of 2h observed.
    const outage = { start: testNow - 3 * HOUR, end: testNow - HOUR };
    expect(measureUptime(periods, window, [outage])).toEqual({ observed: 2 * HOUR, online: HOUR, excluded: 2 * HOUR });
  });

  it('ignores excluded time outside the window', () => {
    const outage = { start: testNow - 10 * HOUR, end: testNow - 5 * HOUR };
    expect(measureUptime(periods, window, [outage])).toEqual({ observed: 4 * HOUR, online: 2 * HOUR, excluded: 0 });
  });

  it('observes nothing when the whole window is excluded', () => {
    expect(measureUptime(periods, window, [{ start: testNow - 5 * HOUR, end: testNow + HOUR }])).toEqual({
      observed: 0,
      online: 0,
      excluded: 4 * HOUR,
    });
  });
});
