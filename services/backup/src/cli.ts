#!/usr/bin/env node
/**
 * The backup tools on the command line (built to dist/cli.js):
 *
 *   backup restore --node <id> [--version N | --at <time> | --latest] --out <file> [--own] [--overwrite] [--from-dir <dir>]
 *   backup verify [--dir <BACKUP_DIR>] [--json]
 *
 * Connection settings and the master key come from the environment, as the service reads them
 * (DATABASE_URL, DATABASE_SCHEMA, NATS_*, LNFLEET_NAMESPACE, BACKUP_MASTER_KEY or
 * BACKUP_MASTER_KEY_FILE). Exit codes: 0 done / all match, 1 failed / mismatch, 2 usage error.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '@lnfleet/config';
import { isBackupError } from './errors.js';
import { formatRestoreResult, formatVerifyReport } from './tools/report.js';
import { restoreBackup } from './tools/restore-backup.js';
import { verifyBackups } from './tools/verify-backups.js';

const USAGE = `usage:
  backup restore --node <nodeId> [--version <N> | --at <ISO time> | --latest] --out <file> [--own] [--overwrite] [--from-dir <dir>]
      write a node's channel-set backup (decrypted, as JSON), or with --own its own packed lnd backup
      (verbatim, for lncli restorechanbackup --multi_file); reads the database unless --from-dir
  backup verify [--dir <dir>] [--json]
      check every node's latest backup against the event stream (and, with --dir, the files)

environment: DATABASE_URL, DATABASE_SCHEMA (default backup), NATS_URL, LNFLEET_NAMESPACE,
             BACKUP_MASTER_KEY or BACKUP_MASTER_KEY_FILE`;

class UsageError extends Error {}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'restore') return restore(rest);
  if (command === 'verify') return verify(rest);
  if (command === undefined || command === 'help' || command === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  throw new UsageError(`unknown command "${command}"`);
}

async function restore(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      node: { type: 'string' },
      version: { type: 'string' },
      at: { type: 'string' },
      latest: { type: 'boolean' },
      out: { type: 'string' },
      own: { type: 'boolean' },
      overwrite: { type: 'boolean' },
      'from-dir': { type: 'string' },
    },
    strict: true,
  });
  if (values.node === undefined) throw new UsageError('restore needs --node <nodeId>');
  if (values.out === undefined) throw new UsageError('restore needs --out <file>');
  let version: number | undefined;
  if (values.version !== undefined) {
    if (!/^[1-9][0-9]*$/.test(values.version)) throw new UsageError('--version must be a positive whole number');
    version = Number(values.version);
  }
  const result = await restoreBackup({
    nodeId: values.node,
    outFile: values.out,
    ...(version !== undefined ? { version } : {}),
    ...(values.at !== undefined ? { at: values.at } : {}),
    ...(values.latest === true ? { latest: true } : {}),
    kind: values.own === true ? 'node-packed' : 'channel-set',
    overwrite: values.overwrite === true,
    ...(values['from-dir'] !== undefined ? { from: { directory: values['from-dir'] } } : {}),
  });
  process.stdout.write(`${formatRestoreResult(result)}\n`);
  return 0;
}

async function verify(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { dir: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
  const report = await verifyBackups(values.dir === undefined ? {} : { directory: values.dir });
  process.stdout.write(values.json === true ? `${JSON.stringify(report, null, 2)}\n` : `${formatVerifyReport(report)}\n`);
  return report.ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const usage = error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
    const known = usage || error instanceof ConfigError || isBackupError(error) || error instanceof RangeError;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`backup: ${known ? message : error instanceof Error ? (error.stack ?? message) : message}\n`);
    if (usage) process.stderr.write(`${USAGE}\n`);
    process.exitCode = usage ? 2 : 1;
  },
);
