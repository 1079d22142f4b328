import { formatProgress, progressFigures, ProgressReporter } from './progress.js';

describe('progress', () => {
  it('computes the rate over the last seconds and the time left at that rate', () => {
    const samples = [
      { atMs: 0, done: 0 },
      { atMs: 1_000, done: 5_000 },
      { atMs: 7_000, done: 20_000 },
      { atMs: 8_000, done: 30_000 },
    ];
    // The window is the last 5 s: from 7 s (20,000) to 8 s (30,000) is 10,000 events/s; 70,000 left.
    expect(progressFigures(samples, 100_000)).toEqual({ done: 30_000, total: 100_000, rate: 10_000, etaSeconds: 7 });
    expect(progressFigures([], 10)).toEqual({ done: 0, total: 10, rate: null, etaSeconds: null });
    expect(progressFigures([{ atMs: 5, done: 10 }], 10).etaSeconds).toBe(0);
  });

  it('draws a bar on a terminal and a plain line elsewhere', () => {
    const figures = { done: 25_000, total: 100_000, rate: 12_345.6, etaSeconds: 3_725 };
    expect(formatProgress('replay autopilot', figures, true)).toBe(
      'replay autopilot [########......................] 25,000/100,000 events (25%)  12,346 events/s  ETA 1:02:05',
    );
    expect(formatProgress('replay autopilot', figures, false)).toBe('replay autopilot: 25,000/100,000 events (25%), 12,346 events/s, ETA 1:02:05');
    expect(formatProgress('r', { done: 0, total: 0, rate: null, etaSeconds: null }, false)).toBe('r: 0/0 events (100%), - events/s, ETA -');
  });

  it('prints plain lines no more often than asked, and redraws in place on a terminal', () => {
    let now = 0;
    const plain: string[] = [];
    const reporter = new ProgressReporter({ write: (text: string) => plain.push(text) }, false, 'r', () => now, 2_000);
    for (now = 0; now <= 5_000; now += 500) reporter.update(now, 10_000);
    expect(plain).toHaveLength(3);
    expect(plain.every((line) => line.endsWith('\n') && !line.includes('\r'))).toBe(true);
    reporter.finish(10_000, 'caught up in 5.0 s');
    expect(plain[plain.length - 1]).toBe('r: 10000 events, caught up in 5.0 s\n');

    const drawn: string[] = [];
    const bar = new ProgressReporter({ write: (text: string) => drawn.push(text) }, true, 'r', () => now);
    for (now = 0; now <= 1_000; now += 50) bar.update(now, 1_000);
    expect(drawn.length).toBeGreaterThan(5);
    expect(drawn.every((text) => text.startsWith('\r\x1b[2K'))).toBe(true);
  });
});
