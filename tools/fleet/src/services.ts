/**
 * The four services as child processes: output to the log file (one prefixed line each), error
 * lines also to the caller, "<name> ready:" noticed, and a stop that waits for every child.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { WriteStream } from 'node:fs';
import type { ServiceName } from './plan.js';

/** LineBuffer turns chunks of text into whole lines. */
export class LineBuffer {
  private rest = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    const text = this.rest + chunk;
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    for (const line of lines) this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  flush(): void {
    if (this.rest !== '') this.onLine(this.rest);
    this.rest = '';
  }
}

/**
 * isErrorLine tells whether a service's output line reports an error: Nest's logger marks
 * the level (`ERROR`), a crash prints a stack or `Error:`, start-up failures name the problem.
 */
export function isErrorLine(line: string): boolean {
  return /\bERROR\b|\bFATAL\b|^\S*Error: |invalid configuration:|^\s+at .+\(.+:\d+:\d+\)$/.test(line);
}

/** ServiceEvents are what the fleet learns from its children. */
export interface ServiceEvents {
  ready(service: ServiceName): void;
  errorLine(service: ServiceName, line: string): void;
  exited(service: ServiceName, code: number | null, signal: NodeJS.Signals | null): void;
}

/** ServiceProcesses runs the services and stops them. */
export class ServiceProcesses {
  private readonly children = new Map<ServiceName, ChildProcess>();
  private readonly exits: Promise<void>[] = [];

  constructor(
    private readonly root: string,
    private readonly log: WriteStream,
    private readonly events: ServiceEvents,
  ) {}

  /** start runs services/<name>/dist/main.js with `env`. */
  start(service: ServiceName, env: Record<string, string>): void {
    // A process group of its own: Ctrl-C reaches the fleet command only, which stops the
    // services in order (and the infrastructure after them).
    const child = spawn(process.execPath, [`services/${service}/dist/main.js`], { cwd: this.root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.children.set(service, child);
    const prefix = `[${service.padEnd(12)}] `;
    const handle = (line: string): void => {
      this.log.write(`${prefix}${line}\n`);
      if (line.startsWith(`${service} ready:`)) this.events.ready(service);
      else if (isErrorLine(line)) this.events.errorLine(service, line);
    };
    const out = new LineBuffer(handle);
    const err = new LineBuffer(handle);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out.push(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err.push(chunk);
    });
    this.exits.push(
      new Promise<void>((resolve) => {
        child.once('exit', (code, signal) => {
          out.flush();
          err.flush();
          this.children.delete(service);
          this.log.write(`${prefix}exited (${signal ?? `code ${code ?? '?'}`})\n`);
          this.events.exited(service, code, signal);
          resolve();
        });
      }),
    );
  }

  /** running is how many children have not exited. */
  get running(): number {
    return this.children.size;
  }

  /**
   * stopAll asks every child to stop (SIGTERM: a service finishes what it started and hands back
   * the rest) and waits; one still running after `graceMs` is killed.
   */
  async stopAll(graceMs = 20_000): Promise<void> {
    for (const child of this.children.values()) child.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const child of this.children.values()) child.kill('SIGKILL');
    }, graceMs);
    await Promise.all(this.exits);
    clearTimeout(timer);
  }
}
