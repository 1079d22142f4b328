import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Pubkey } from '@lnfleet/contracts';
import { decryptBackup, readBackupHeader, type BackupHeader, type NodeKey } from '../crypto/backup-crypto.js';
import { NodeMismatchError, isBackupError } from '../errors.js';
import { equalBytes } from '../format/bytes.js';
import { ARCHIVE_DIR, contentArchiveName, readIfExists, writeAtomically, type WriteAtomicallyOptions } from './atomic-file.js';

/**
 * The target directory's layout, one sub-directory per managed node:
 *
 * ```
 * <root>/<nodeId>/lnfleet-channels.backup            newest encrypted channel-set backup
 * <root>/<nodeId>/archive/lnfleet-channels.backup.v7 each earlier version, by version number
 * <root>/<nodeId>/channel.backup                     the node's own packed multi backup, verbatim
 * <root>/<nodeId>/archive/channel.backup.<hash16>    earlier ones, by content hash
 * ```
 *
 * Archived files follow the database's retention: when a version is deleted from PostgreSQL, its
 * archived file goes too (`removeArchivedChannelSets`, `removeArchivedOwnBackups`).
 *
 * `channel.backup` has lnd's file name, so it can be handed to `lncli restorechanbackup
 * --multi_file` as it is. Both files are replaced with `writeAtomically`. Writes are idempotent:
 * a channel-set version that is not newer than the verified file in place is not written again,
 * and an own backup equal to the one in place is not rewritten.
 */

/** CHANNEL_SET_FILE is the name of the newest encrypted channel-set backup in a node's directory. */
export const CHANNEL_SET_FILE = 'lnfleet-channels.backup';

/** OWN_BACKUP_FILE is the name of the node's own packed backup, lnd's own file name. */
export const OWN_BACKUP_FILE = 'channel.backup';

/** FileWriteResult says what a backup write did. */
export interface FileWriteResult {
  /** written is false when the file in place already held this backup (or a newer version). */
  readonly written: boolean;
  /** path is the main file's path. */
  readonly path: string;
  /** archivedAs is where the replaced file went, null when nothing was replaced. */
  readonly archivedAs: string | null;
}

/** BackupWriteOptions passes the writer's test hook through (see WriteAtomicallyOptions.beforeRename). */
export type BackupWriteOptions = Pick<WriteAtomicallyOptions, 'beforeRename'>;

/** nodeDirectory is the directory of one node's backup files under the target root. */
export function nodeDirectory(root: string, nodeId: string): string {
  if (!Pubkey.safeParse(nodeId).success) throw new RangeError(`node id "${nodeId}" is not a compressed public key`);
  return join(root, nodeId);
}

/**
 * writeChannelSetBackup writes an encrypted channel-set backup (from `encryptBackup`) as the node's
 * current file. It first checks that `key` opens the new file, so a file we could not read back is
 * never written. It writes nothing when the file in place opens with `key` and is a newer version,
 * or the same bytes (a replay, or a late retry); the same version with other content (written by a
 * run whose transaction then rolled back) is replaced. A file in place that does not open (corrupt, other
 * key) is replaced and archived as `.unverified-<hash16>`. Throws NodeMismatchError when the file is
 * for another node than the key, and the errors of `decryptBackup` when the new file does not open.
 */
export async function writeChannelSetBackup(root: string, file: Uint8Array, key: NodeKey, options: BackupWriteOptions = {}): Promise<FileWriteResult> {
  const header = readBackupHeader(file);
  if (header.nodeId !== key.nodeId) throw new NodeMismatchError(key.nodeId, header.nodeId);
  decryptBackup(file, key);
  const dir = nodeDirectory(root, header.nodeId);
  const path = join(dir, CHANNEL_SET_FILE);
  const current = await readIfExists(path);
  const currentHeader = current === null ? null : verifiedHeader(current, key);
  // Encryption is deterministic, so the same version of the same set is the same bytes: a replay
  // or a retried write finds it in place. A newer version in place is never replaced by an older.
  if (currentHeader !== null && (currentHeader.backupVersion > header.backupVersion || (currentHeader.backupVersion === header.backupVersion && current !== null && equalBytes(current, file)))) {
    return { written: false, path, archivedAs: null };
  }
  const result = await writeAtomically(dir, CHANNEL_SET_FILE, file, {
    ...options,
    archiveName: (previous) => {
      // Usually the file just checked: no need to decrypt it again.
      const verified = current !== null && equalBytes(previous, current) ? currentHeader : verifiedHeader(previous, key);
      return verified === null
        ? contentArchiveName(`${CHANNEL_SET_FILE}.unverified`)(previous)
        : `${ARCHIVE_DIR}/${CHANNEL_SET_FILE}.v${verified.backupVersion}`;
    },
  });
  return { written: true, ...result };
}

/**
 * writeOwnBackup stores the node's own packed backup verbatim as `channel.backup`; the previous
 * one is archived under its content hash. Writes nothing when the same bytes are already in place.
 */
export async function writeOwnBackup(root: string, nodeId: string, packed: Uint8Array, options: BackupWriteOptions = {}): Promise<FileWriteResult> {
  const dir = nodeDirectory(root, nodeId);
  const path = join(dir, OWN_BACKUP_FILE);
  const current = await readIfExists(path);
  if (current !== null && equalBytes(current, packed)) return { written: false, path, archivedAs: null };
  const result = await writeAtomically(dir, OWN_BACKUP_FILE, packed, options);
  return { written: true, ...result };
}

/** verifiedHeader returns a file's header if `key` opens it, else null. */
function verifiedHeader(file: Uint8Array, key: NodeKey): BackupHeader | null {
  try {
    return decryptBackup(file, key).header;
  } catch (err) {
    if (isBackupError(err)) return null;
    throw err;
  }
}

/** channelSetArchiveName is the file name, inside the node's archive directory, of an archived channel-set version. */
export function channelSetArchiveName(version: number): string {
  return `${CHANNEL_SET_FILE}.v${version}`;
}

/** ownArchiveName is the file name, inside the node's archive directory, of an archived own backup with this SHA-256 (hex). */
export function ownArchiveName(contentHash: string): string {
  return `${OWN_BACKUP_FILE}.${contentHash.slice(0, 16)}`;
}

/** archivedChannelSetVersions lists the version numbers of a node's archived channel-set files, ascending. */
export async function archivedChannelSetVersions(root: string, nodeId: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(join(nodeDirectory(root, nodeId), ARCHIVE_DIR));
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
  const prefix = `${CHANNEL_SET_FILE}.v`;
  return names
    .filter((name) => name.startsWith(prefix) && /^[1-9][0-9]*$/.test(name.slice(prefix.length)))
    .map((name) => Number(name.slice(prefix.length)))
    .sort((a, b) => a - b);
}

/** removeArchivedChannelSets deletes the archived files of these channel-set versions (absent ones are fine); returns how many it removed. */
export async function removeArchivedChannelSets(root: string, nodeId: string, versions: readonly number[]): Promise<number> {
  const archive = join(nodeDirectory(root, nodeId), ARCHIVE_DIR);
  return removeAll(versions.map((version) => join(archive, channelSetArchiveName(version))));
}

/** removeArchivedOwnBackups deletes the archived own backups with these content hashes; returns how many it removed. */
export async function removeArchivedOwnBackups(root: string, nodeId: string, contentHashes: readonly string[]): Promise<number> {
  const archive = join(nodeDirectory(root, nodeId), ARCHIVE_DIR);
  return removeAll(contentHashes.map((hash) => join(archive, ownArchiveName(hash))));
}

async function removeAll(paths: readonly string[]): Promise<number> {
  let removed = 0;
  for (const path of paths) {
    try {
      await rm(path);
      removed++;
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
  }
  return removed;
}

function isMissing(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENOENT';
}
