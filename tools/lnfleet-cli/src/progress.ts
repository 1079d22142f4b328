/**
 * ProgressReporter shows how a long run is going: events done out of the total known so far,
 * events per second over the last few seconds, and the time left at that rate. On a terminal it
 * redraws one bar in place; elsewhere (a log, CI) it prints a plain line every few seconds.
 */

/** ProgressSink receives progress; the replay reports to it and tests can record it. */
export interface ProgressSink {
  /** update says `done` events are processed and `total` are known to exist so far. */
  update(done: number, total: number): void;
  /** finish ends the display with a final line. */
  finish(done: number, message: string): void;
}

/** ProgressFigures are what one progress line shows. */
export interface ProgressFigures {
  readonly done: number;
  readonly total: number;
  /** rate is events per second over the recent window, null before there is one. */
  readonly rate: number | null;
  /** etaSeconds is the time left at that rate, null when unknown. */
  readonly etaSeconds: number | null;
}

const BAR_WIDTH = 30;
const RATE_WINDOW_MS = 5_000;

/** progressFigures computes the figures from samples of (time, done) taken along the way. */
export function progressFigures(samples: readonly { readonly atMs: number; readonly done: number }[], total: number): ProgressFigures {
  const last = samples[samples.length - 1];
  if (last === undefined) return { done: 0, total, rate: null, etaSeconds: null };
  const first = samples.find((sample) => sample.atMs >= last.atMs - RATE_WINDOW_MS) ?? last;
  const elapsed = (last.atMs - first.atMs) / 1_000;
  const rate = elapsed > 0 ? (last.done - first.done) / elapsed : null;
  const left = Math.max(0, total - last.done);
  const etaSeconds = left === 0 ? 0 : rate === null || rate <= 0 ? null : left / rate;
  return { done: last.done, total, rate, etaSeconds };
}

/** formatProgress renders one line: a bar (on a terminal), counts, rate and time left. */
export function formatProgress(label: string, figures: ProgressFigures, bar: boolean): string {
  const share = figures.total > 0 ? Math.min(1, figures.done / figures.total) : 1;
  const filled = Math.round(share * BAR_WIDTH);
  const rate = figures.rate === null ? '- events/s' : `${Math.round(figures.rate).toLocaleString('en-US')} events/s`;
  const eta = figures.etaSeconds === null ? 'ETA -' : `ETA ${duration(figures.etaSeconds)}`;
  const counts = `${figures.done.toLocaleString('en-US')}/${figures.total.toLocaleString('en-US')} events (${Math.floor(share * 100)}%)`;
  return bar ? `${label} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${counts}  ${rate}  ${eta}` : `${label}: ${counts}, ${rate}, ${eta}`;
}

function duration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/** ProgressReporter writes progress to a stream (stderr, so stdout stays for results). */
export class ProgressReporter implements ProgressSink {
  private readonly samples: { atMs: number; done: number }[] = [];
  private lastDrawn = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly out: { write(text: string): unknown },
    private readonly terminal: boolean,
    private readonly label: string,
    private readonly clock: () => number = () => Date.now(),
    /** plainEveryMs is how often a plain line is printed when not on a terminal. */
    private readonly plainEveryMs = 2_000,
  ) {}

  update(done: number, total: number): void {
    const now = this.clock();
    this.samples.push({ atMs: now, done });
    while (this.samples.length > 2 && (this.samples[0]?.atMs ?? now) < now - RATE_WINDOW_MS) this.samples.shift();
    const every = this.terminal ? 100 : this.plainEveryMs;
    if (now - this.lastDrawn < every) return;
    this.lastDrawn = now;
    const line = formatProgress(this.label, progressFigures(this.samples, total), this.terminal);
    this.out.write(this.terminal ? `\r\x1b[2K${line}` : `${line}\n`);
  }

  finish(done: number, message: string): void {
    this.out.write(this.terminal ? `\r\x1b[2K${this.label}: ${done.toLocaleString('en-US')} events, ${message}\n` : `${this.label}: ${done} events, ${message}\n`);
  }
}
