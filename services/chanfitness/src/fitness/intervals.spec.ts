import { clipIntervals, intervalDuration, normalizeIntervals, subtractIntervals, totalDuration } from './intervals.js';

const iv = (start: number, end: number) => ({ start, end });

describe('intervals', () => {
  it('measures durations, treating inverted intervals as empty', () => {
    expect(intervalDuration(iv(10, 25))).toBe(15);
    expect(intervalDuration(iv(25, 10))).toBe(0);
    expect(totalDuration([iv(0, 5), iv(10, 12)])).toBe(7);
  });

  it('normalizes: sorts, drops empty intervals, merges overlapping and touching ones', () => {
    expect(normalizeIntervals([iv(20, 30), iv(5, 5), iv(0, 10), iv(8, 12), iv(30, 31), iv(40, 45)])).toEqual([
      iv(0, 12),
      iv(20, 31),
      iv(40, 45),
    ]);
  });

  it('clips to a window', () => {
    expect(clipIntervals([iv(0, 10), iv(15, 25), iv(30, 40)], iv(5, 20))).toEqual([iv(5, 10), iv(15, 20)]);
  });

  it.each([
    { name: 'nothing to remove', intervals: [iv(0, 10)], removals: [], expected: [iv(0, 10)] },
    { name: 'a hole in the middle', intervals: [iv(0, 10)], removals: [iv(3, 5)], expected: [iv(0, 3), iv(5, 10)] },
    { name: 'the head', intervals: [iv(0, 10)], removals: [iv(-5, 4)], expected: [iv(4, 10)] },
    { name: 'the tail', intervals: [iv(0, 10)], removals: [iv(7, 20)], expected: [iv(0, 7)] },
    { name: 'everything', intervals: [iv(0, 10)], removals: [iv(-1, 11)], expected: [] },
    {
      name: 'several holes, unsorted and overlapping',
      intervals: [iv(0, 10), iv(20, 30)],
      removals: [iv(25, 27), iv(2, 4), iv(3, 6), iv(9, 22)],
      expected: [iv(0, 2), iv(6, 9), iv(22, 25), iv(27, 30)],
    },
  ])('subtracts $name', ({ intervals, removals, expected }) => {
    expect(subtractIntervals(intervals, removals)).toEqual(expected);
  });
});
