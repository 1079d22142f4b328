/**
 * `lnfleet backup restore` and `lnfleet backup verify`: the backup service's own tools
 * (`restoreBackup`, `verifyBackups` from @lnfleet/backup) behind the CLI's options, output and
 * exit codes. The CLI checks that PostgreSQL (and, for verify, NATS) answer first, so an
 * unreachable server exits 4 as everywhere else.
 */
import {
  BackupError,
  formatRestoreResult,
  formatVerifyReport,
  restoreBackup,
  verifyBackups,
  type RestoreBackupResult,
  type RestoreKind,
  type VerifyReport,
} from '@lnfleet/backup';
import { ConfigError, type Env } from '@lnfleet/config';
import { connectFleetNats, connectPostgres, databaseConfig } from './connections.js';
import { CliError, ExitCode, NotFoundError, UsageError } from './errors.js';

/** RestoreRequest is what `lnfleet backup restore` was asked. */
export interface RestoreRequest {
  readonly nodeId: string;
  readonly outFile: string;
  readonly version?: number;
  readonly atMs?: number;
  readonly kind: RestoreKind;
  readonly overwrite: boolean;
  /** fromDirectory reads the backup from the service's target directory instead of its database. */
  readonly fromDirectory?: string;
}

/** runRestore restores one backup of a node to a file (nothing is written when a check fails). */
export async function runRestore(request: RestoreRequest, env: Env): Promise<{ result: RestoreBackupResult; text: string }> {
  if (request.fromDirectory === undefined) await (await connectPostgres(databaseConfig(env))).end();
  const result = await backupCall(() =>
    restoreBackup({
      nodeId: request.nodeId,
      outFile: request.outFile,
      kind: request.kind,
      overwrite: request.overwrite,
      ...(request.version !== undefined ? { version: request.version } : {}),
      ...(request.atMs !== undefined ? { at: new Date(request.atMs) } : {}),
      ...(request.fromDirectory !== undefined ? { from: { directory: request.fromDirectory } } : {}),
      env,
    }),
  );
  return { result, text: formatRestoreResult(result) };
}

/** runVerify compares every node's latest backup with the channel set the event stream gives. */
export async function runVerify(options: { readonly directory?: string }, env: Env): Promise<{ report: VerifyReport; text: string }> {
  await (await connectPostgres(databaseConfig(env))).end();
  const nats = await connectFleetNats(env);
  try {
    const report = await backupCall(() =>
      verifyBackups({ connection: nats.connection, ...(options.directory !== undefined ? { directory: options.directory } : {}), env }),
    );
    return { report, text: formatVerifyReport(report) };
  } finally {
    await nats.close();
  }
}

/** backupCall maps the backup tools' errors to the CLI's exit codes. */
async function backupCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ConfigError || error instanceof RangeError) throw new UsageError(error.message);
    if (error instanceof BackupError) {
      if (error.code === 'BACKUP_NOT_FOUND') throw new NotFoundError(error.message);
      if (error.code === 'OUTPUT_EXISTS' || error.code === 'INVALID_MASTER_KEY') throw new UsageError(error.message);
      throw new CliError(error.message, ExitCode.failure, { cause: error });
    }
    throw error;
  }
}
