/**
 * The CLI's errors: each says what went wrong in words a user can act on, and carries the exit
 * code the process ends with, so scripts can tell bad input from an unreachable server.
 */

/** ExitCode lists the process exit codes `lnfleet` uses. */
export const ExitCode = {
  /** ok: the command did what it was asked. */
  ok: 0,
  /** failure: anything not listed below (a bug, a failed switch-over). */
  failure: 1,
  /** usage: unknown command or option, a bad value (time, node id, service). */
  usage: 2,
  /** notFound: the node, service schema or stream asked about does not exist. */
  notFound: 3,
  /** unavailable: NATS or PostgreSQL cannot be reached. */
  unavailable: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** CliError is an error the CLI reports as one line, ending the process with `exitCode`. */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** UsageError says the command line was wrong; the command's help is printed with it. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** NotFoundError says what was asked about does not exist (node, stream, schema). */
export class NotFoundError extends CliError {
  override readonly name = 'NotFoundError';
  constructor(message: string) {
    super(message, ExitCode.notFound);
  }
}

/** UnavailableError says a server the command needs cannot be reached. */
export class UnavailableError extends CliError {
  override readonly name = 'UnavailableError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.unavailable, options);
  }
}
