/**
 * Where the summary goes: on a terminal it is redrawn in place every refresh; otherwise (a pipe,
 * a CI log) one summary line is printed every few seconds and service errors as they come.
 */
import type { WriteStream } from 'node:tty';
import { renderSummary, summaryLine } from './summary.js';
import type { FleetState } from './state.js';

/** PLAIN_INTERVAL_MS is the least time between two plain summary lines. */
const PLAIN_INTERVAL_MS = 5_000;

export class Dashboard {
  private timer: NodeJS.Timeout | undefined;
  private lastPlainMs = 0;

  constructor(
    private readonly state: FleetState,
    private readonly out: NodeJS.WriteStream | WriteStream,
    private readonly refreshMs: number,
    private readonly footer: readonly string[],
  ) {}

  get interactive(): boolean {
    return this.out.isTTY;
  }

  start(): void {
    if (this.interactive) this.out.write('\x1b[?25l');
    this.timer = setInterval(() => {
      this.draw();
    }, this.refreshMs);
    this.draw();
  }

  /** errorLine shows a service's error at once when the output is not redrawn (a terminal shows it in the summary). */
  errorLine(line: string): void {
    if (!this.interactive) process.stderr.write(`${line}\n`);
  }

  /** message prints a line that must stay visible (start-up progress, shutdown). */
  message(line: string): void {
    this.out.write(`${line}\n`);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.interactive) this.out.write('\x1b[?25h');
  }

  private draw(): void {
    const now = Date.now();
    if (this.interactive) {
      const width = Math.max(40, (this.out.columns || 100) - 1);
      const lines = [...renderSummary(this.state, now, width), '', ...this.footer];
      this.out.write(`\x1b[H\x1b[2J${lines.join('\n')}\n`);
    } else if (now - this.lastPlainMs >= Math.max(this.refreshMs, PLAIN_INTERVAL_MS)) {
      this.lastPlainMs = now;
      this.out.write(`${summaryLine(this.state, now)}\n`);
    }
  }
}
