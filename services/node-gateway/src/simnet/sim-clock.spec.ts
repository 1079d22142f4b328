import { SimClock } from './sim-clock.js';

describe('SimClock', () => {
  it('runs due events in time order, ties in scheduling order, and reads each event time while it runs', () => {
    const clock = new SimClock(1_000);
    const seen: Array<[string, number]> = [];
    clock.schedule(1_300, () => seen.push(['c', clock.now()]));
    clock.schedule(1_100, () => seen.push(['a', clock.now()]));
    clock.schedule(1_100, () => seen.push(['b', clock.now()]));
    clock.schedule(5_000, () => seen.push(['late', clock.now()]));

    expect(clock.advance(500)).toBe(3);
    expect(seen).toEqual([['a', 1_100], ['b', 1_100], ['c', 1_300]]);
    expect(clock.now()).toBe(1_500);
    expect(clock.pending).toBe(1);
  });

  it('runs events scheduled by events inside the same window', () => {
    const clock = new SimClock(0);
    const seen: number[] = [];
    const tick = (): void => {
      seen.push(clock.now());
      clock.after(100, tick);
    };
    clock.after(100, tick);
    clock.advance(350);
    expect(seen).toEqual([100, 200, 300]);
  });

  it('does not run cancelled events', () => {
    const clock = new SimClock(0);
    let ran = false;
    const handle = clock.after(10, () => {
      ran = true;
    });
    clock.cancel(handle);
    expect(clock.advance(100)).toBe(0);
    expect(ran).toBe(false);
  });

  it('runs an event scheduled in the past on the next advance, at the current time', () => {
    const clock = new SimClock(1_000);
    let at = -1;
    clock.schedule(10, () => {
      at = clock.now();
    });
    clock.advance(0);
    expect(at).toBe(1_000);
  });

  it('never moves backwards and refuses to be advanced from inside an event', () => {
    const clock = new SimClock(100);
    expect(() => clock.advanceTo(50)).toThrow(RangeError);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    clock.after(1, () => clock.advance(1));
    expect(() => clock.advance(5)).toThrow(/inside a scheduled event/);
  });

  it('keeps order over many random events (heap property)', () => {
    const clock = new SimClock(0);
    const times: number[] = [];
    let x = 12_345;
    for (let i = 0; i < 5_000; i++) {
      x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
      clock.schedule(x % 100_000, () => times.push(clock.now()));
    }
    clock.advance(100_000);
    expect(times).toHaveLength(5_000);
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
  });
});
