/**
 * restoreBackup: write one stored backup of a node to a file, after checking it. The channel-set
 * backup is decrypted, authenticated and parsed, and written as JSON; the node's own packed
 * backup is written verbatim (what `lncli restorechanbackup --multi_file` takes) once its bytes
 * match the hash stored with them. Any failed check throws before the output is touched.
 */
import { access } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import type { Env } from '@lnfleet/config';
import { Pubkey } from '@lnfleet/contracts';
import { BackupNotFoundError, ContentMismatchError, OutputExistsError } from '../errors.js';
import { openBackup, restoredBackupJson } from '../restore/restore.js';
import { CHANNEL_SET_FILE, nodeDirectory, OWN_BACKUP_FILE } from '../storage/backup-files.js';
import { ARCHIVE_DIR, readIfExists, writeAtomically } from '../storage/atomic-file.js';
import { findVersion, type VersionChoice } from '../store/backup-store.js';
import { readBackupHeader } from '../crypto/backup-crypto.js';
import { resolveMasterKey, withDatabase, type DatabaseTarget, type KeyInput } from './tool-context.js';

/** RestoreKind says which backup to restore: lnfleet's channel set (default) or the node's own packed backup. */
export type RestoreKind = 'channel-set' | 'node-packed';

/** RestoreBackupOptions says which backup of which node to write where. */
export interface RestoreBackupOptions {
  readonly nodeId: string;
  /** version picks a version number; `at` the newest stored at or before a time; neither: the latest. */
  readonly version?: number;
  readonly at?: Date | string;
  readonly latest?: boolean;
  /** outFile is the file to write; its directory is created if needed. */
  readonly outFile: string;
  /** overwrite allows replacing an existing outFile (default false: it is an error). */
  readonly overwrite?: boolean;
  readonly kind?: RestoreKind;
  /** masterKey decrypts channel-set backups; default BACKUP_MASTER_KEY / BACKUP_MASTER_KEY_FILE from `env`. */
  readonly masterKey?: KeyInput;
  /**
   * from is where the backup is read: the service's database (default; DATABASE_URL and
   * DATABASE_SCHEMA, or `backup`), or its target directory (latest or a version number only).
   */
  readonly from?: { readonly database: DatabaseTarget } | { readonly directory: string };
  /** env supplies defaults (DATABASE_URL, DATABASE_SCHEMA, BACKUP_MASTER_KEY[_FILE]); process.env by default. */
  readonly env?: Env;
}

/** RestoreBackupResult says what was written. */
export interface RestoreBackupResult {
  readonly nodeId: string;
  readonly kind: RestoreKind;
  readonly version: number;
  /** contentHash is the SHA-256 of the serialized channel set, or of the packed backup. */
  readonly contentHash: string;
  /** channelCount is the channels the backup covers (null for an own backup read from the directory). */
  readonly channelCount: number | null;
  /** createdAt is when the version was stored (null when read from the directory). */
  readonly createdAt: Date | null;
  readonly outFile: string;
  readonly bytesWritten: number;
}

/** Candidate is a stored backup found for a request, before its checks. */
interface Candidate {
  readonly version: number;
  readonly bytes: Uint8Array;
  /** contentHash is the hash recorded with it (database), null for a file (decryption checks it). */
  readonly contentHash: string | null;
  /** channelCount is recorded in the database; null for a file. */
  readonly channelCount: number | null;
  readonly createdAt: Date | null;
}

/**
 * restoreBackup writes the chosen backup to `outFile`. Throws BackupNotFoundError (no such node or
 * version), WrongKeyOrTamperedError (wrong master key, or the encrypted backup was modified),
 * ContentMismatchError (stored bytes differ from their recorded hash or version),
 * MalformedBackupError, NodeMismatchError, or OutputExistsError; in every case nothing is written.
 */
export async function restoreBackup(options: RestoreBackupOptions): Promise<RestoreBackupResult> {
  const env = options.env ?? process.env;
  const { nodeId } = options;
  if (!Pubkey.safeParse(nodeId).success) throw new RangeError(`node id "${nodeId}" is not a compressed public key in lowercase hex`);
  const choice = versionChoice(options);
  const kind = options.kind ?? 'channel-set';
  const outFile = resolve(options.outFile);
  if (options.overwrite !== true && (await exists(outFile))) throw new OutputExistsError(outFile);
  // The key is checked first: a bad key must fail before anything is read or written.
  const masterKey = kind === 'channel-set' ? resolveMasterKey(options.masterKey, env) : null;

  const from = options.from ?? { database: {} };
  const stored: Candidate | null =
    'directory' in from
      ? await readFromDirectory(from.directory, nodeId, kind, choice)
      : await withDatabase(from.database, env, (db) => findVersion(db, kind === 'channel-set' ? 'backup_version' : 'backup_own', nodeId, choice));
  if (stored === null) throw new BackupNotFoundError(`no ${kind} backup of node ${nodeId} matches ${describeChoice(choice)}`);

  let output: Uint8Array;
  let contentHash: string;
  let channelCount: number | null;
  if (masterKey !== null) {
    const restored = openBackup(stored.bytes, masterKey, nodeId);
    if (restored.backupVersion !== stored.version || (stored.contentHash !== null && restored.contentHash !== stored.contentHash)) {
      throw new ContentMismatchError(
        `stored channel-set version ${stored.version} of node ${nodeId} holds version ${restored.backupVersion} with content hash ` +
          `${restored.contentHash}, not what was recorded with it; do not trust it`,
      );
    }
    output = new TextEncoder().encode(restoredBackupJson(restored));
    contentHash = restored.contentHash;
    channelCount = restored.channels.length;
  } else {
    contentHash = createHash('sha256').update(stored.bytes).digest('hex');
    if (stored.contentHash !== null && contentHash !== stored.contentHash) {
      throw new ContentMismatchError(`stored own backup version ${stored.version} of node ${nodeId} does not match its recorded SHA-256; do not trust it`);
    }
    output = stored.bytes;
    channelCount = stored.channelCount;
  }
  await writeAtomically(dirname(outFile), basename(outFile), output, { archiveName: null });
  return { nodeId, kind, version: stored.version, contentHash, channelCount, createdAt: stored.createdAt, outFile, bytesWritten: output.length };
}

function versionChoice(options: RestoreBackupOptions): VersionChoice {
  const given = [options.version !== undefined, options.at !== undefined, options.latest === true].filter(Boolean).length;
  if (given > 1) throw new RangeError('give at most one of version, at and latest');
  if (options.version !== undefined) {
    if (!Number.isSafeInteger(options.version) || options.version < 1) throw new RangeError(`version must be a positive whole number, got ${options.version}`);
    return { version: options.version };
  }
  if (options.at !== undefined) {
    const at = options.at instanceof Date ? options.at : new Date(options.at);
    if (Number.isNaN(at.getTime())) throw new RangeError(`"${String(options.at)}" is not a time (use ISO-8601, e.g. 2026-11-22T03:00:00Z)`);
    return { at };
  }
  return { latest: true };
}

function describeChoice(choice: VersionChoice): string {
  if ('version' in choice) return `version ${choice.version}`;
  if ('at' in choice) return `a version stored at or before ${choice.at.toISOString()}`;
  return 'the latest version';
}

/**
 * readFromDirectory finds a backup in the service's target directory: the current file, or an
 * archived channel-set version. Files carry no recorded hash (the decryption checks them) and no
 * storage time, so "as of a time" needs the database.
 */
async function readFromDirectory(directory: string, nodeId: string, kind: RestoreKind, choice: VersionChoice): Promise<Candidate | null> {
  if ('at' in choice) throw new RangeError('restoring as of a time needs the database: the directory does not record when files were stored');
  const dir = nodeDirectory(directory, nodeId);
  if (kind === 'node-packed') {
    // Kept verbatim: the directory's channel.backup is the backup itself, nothing to check or decode.
    throw new RangeError(`the node's own backup in the directory is ${join(dir, OWN_BACKUP_FILE)} itself: copy it, or restore a version from the database`);
  }
  const current = await readIfExists(join(dir, CHANNEL_SET_FILE));
  if (current === null) return null;
  if ('latest' in choice) return fromFile(current, readBackupHeader(current).backupVersion);
  if (readBackupHeader(current).backupVersion === choice.version) return fromFile(current, choice.version);
  const archived = await readIfExists(join(dir, ARCHIVE_DIR, `${CHANNEL_SET_FILE}.v${choice.version}`));
  return archived === null ? null : fromFile(archived, choice.version);
}

function fromFile(bytes: Uint8Array, version: number): Candidate {
  return { version, bytes, contentHash: null, channelCount: null, createdAt: null };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
