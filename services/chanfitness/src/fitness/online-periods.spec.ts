import { onlinePeriods, type PresenceEvent } from './online-periods.js';
import { HOUR } from './time.js';

const testNow = 1_592_465_134_000;
const on = (offset: number): PresenceEvent => ({ at: testNow + offset, online: true });
const off = (offset: number): PresenceEvent => ({ at: testNow + offset, online: false });
const period = (start: number, end: number) => ({ start: testNow + start, end: testNow + end });

describe('onlinePeriods', () => {
  // lnd's online period test vectors.
  it.each([
    { name: 'no events', events: [], expected: [] },
    { name: 'start on online, end on offline', events: [on(-3 * HOUR), off(-2 * HOUR)], expected: [period(-3 * HOUR, -2 * HOUR)] },
    { name: 'only an offline event', events: [off(-3 * HOUR)], expected: [] },
    { name: 'only an online event', events: [on(-4 * HOUR)], expected: [period(-4 * HOUR, 0)] },
    { name: 'two online events', events: [on(-4 * HOUR), on(-3 * HOUR)], expected: [period(-4 * HOUR, 0)] },
    {
      name: 'two online events, then offline',
      events: [on(-4 * HOUR), on(-3 * HOUR), off(-2 * HOUR)],
      expected: [period(-4 * HOUR, -2 * HOUR)],
    },
    {
      name: 'two offline events, then online',
      events: [off(-4 * HOUR), off(-3 * HOUR), on(-2 * HOUR)],
      expected: [period(-2 * HOUR, 0)],
    },
  ])('$name', ({ events, expected }) => {
    expect(onlinePeriods(events, testNow)).toEqual(expected);
  });

  it('gives one period per online stretch', () => {
    expect(onlinePeriods([on(-5 * HOUR), off(-4 * HOUR), on(-3 * HOUR), off(-2 * HOUR)], testNow)).toEqual([
      period(-5 * HOUR, -4 * HOUR),
      period(-3 * HOUR, -2 * HOUR),
    ]);
  });

  it('drops a still-open period that starts after now', () => {
    expect(onlinePeriods([on(HOUR)], testNow)).toEqual([]);
  });
});
