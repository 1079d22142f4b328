/**
 * @lnfleet/backup: the backup service's definition, its core, and its tools.
 *
 * Tools (what `backup restore` / `backup verify` and the lnfleet CLI call):
 * - `restoreBackup(options)`: write one stored backup of a node to a file after checking it.
 * - `verifyBackups(options)`: compare every node's latest backup with the channel set rebuilt from
 *   the event stream.
 * Both read their defaults (DATABASE_URL, DATABASE_SCHEMA, NATS_*, LNFLEET_NAMESPACE,
 * BACKUP_MASTER_KEY[_FILE]) from `options.env`, or process.env.
 */
import 'reflect-metadata';

export * from './backup-core.js';
export * from './retention/retention.js';
export { restoreBackup, type RestoreBackupOptions, type RestoreBackupResult, type RestoreKind } from './tools/restore-backup.js';
export {
  verifyBackups,
  type ChannelDifference,
  type FileCheck,
  type NodeVerification,
  type VerifyBackupsOptions,
  type VerifyReport,
} from './tools/verify-backups.js';
export { formatRestoreResult, formatVerifyReport } from './tools/report.js';
export type { DatabaseTarget, KeyInput } from './tools/tool-context.js';
export { BACKUP_HTTP_PORT, DEFAULT_BACKUP_DIR, loadBackupConfig, masterKeyFromEnv, type BackupConfig } from './config.js';
export { backupService, createBackupService, type BackupDependencies } from './service.js';
