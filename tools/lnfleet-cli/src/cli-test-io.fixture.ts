import type { CliIo } from './cli.js';

/** CapturedIo is a CliIo whose output tests read back. */
export interface CapturedIo extends CliIo {
  readonly out: () => string;
  readonly err: () => string;
}

/** capturedIo runs the CLI with the given variables, a fixed clock, and output kept in memory. */
export function capturedIo(env: Record<string, string>, nowMs = Date.UTC(2026, 0, 2)): CapturedIo {
  let out = '';
  let err = '';
  return {
    env,
    now: () => nowMs,
    stdout: {
      write(text: string) {
        out += text;
        return true;
      },
    },
    stderr: {
      write(text: string) {
        err += text;
        return true;
      },
    },
    out: () => out,
    err: () => err,
  };
}
