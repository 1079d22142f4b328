import { createHash } from 'node:crypto';
import { link, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';

// This module imports only Node built-ins on purpose: the kill test runs it, transpiled, in a
// child process that is SIGKILLed mid-write (see atomic-file.kill.spec.ts).

/**
 * Atomic replacement of a file, with lnd's discipline for channel.backup (chanbackup's
 * BackupFile.UpdateAndSwap): remove a stale temp file, write the temp file, fsync and close it,
 * archive the current file, rename the temp file over it. We add an fsync of the directory, so
 * the rename itself survives a power cut, and archive by hard link (a copy where links are not
 * supported) so the main file never disappears, not even between the archive and the rename.
 *
 * Whatever moment the process dies at, `dir/<fileName>` is either the complete previous file or
 * the complete new one; a partial write can only ever be in `<fileName>.tmp`, which readers never
 * open and the next write removes. Archived files are complete too: each is the old main file.
 *
 * One writer per file at a time: two processes writing the same file concurrently could remove
 * each other's temp file. The service serializes writes per node (the temp file is opened with
 * O_EXCL, so a collision fails loudly rather than interleaving).
 */

/** TEMP_SUFFIX is appended to a file's name for its temp file, e.g. `lnfleet.backup.tmp`. */
export const TEMP_SUFFIX = '.tmp';

/** ARCHIVE_DIR is the sub-directory, relative to the target directory, where previous files go by default. */
export const ARCHIVE_DIR = 'archive';

/** WriteAtomicallyOptions tune `writeAtomically`. */
export interface WriteAtomicallyOptions {
  /**
   * archiveName names the archived copy of the previous file, relative to the target directory,
   * given that file's bytes. The default, `contentArchiveName`, is `archive/<fileName>.<first 16
   * hex digits of its SHA-256>`: deterministic and timestamp-free, so a repeated write archives
   * to the same name. null keeps no archive. Names must stay inside the target directory.
   */
  readonly archiveName?: ((previous: Uint8Array) => string) | null;
  /** mode is the new file's permission bits; default 0o600 (backups are for the operator only). */
  readonly mode?: number;
  /**
   * beforeRename runs after the temp file is written and fsynced, before the current file is
   * archived and replaced. For tests that kill the process mid-write (it widens that window).
   */
  readonly beforeRename?: () => Promise<void>;
}

/** WriteResult says where the bytes went. */
export interface WriteResult {
  /** path is the main file's path. */
  readonly path: string;
  /** archivedAs is the archived previous file's path, null when there was none (or no archiving). */
  readonly archivedAs: string | null;
}

/**
 * contentArchiveName is the default archive name: the previous file's content hash, so archives
 * need no clock and the same content always lands under the same name.
 */
export function contentArchiveName(fileName: string): (previous: Uint8Array) => string {
  return (previous) => `${ARCHIVE_DIR}/${fileName}.${createHash('sha256').update(previous).digest('hex').slice(0, 16)}`;
}

/**
 * writeAtomically replaces `dir/fileName` with `bytes` so that a crash at any point leaves either
 * the old or the new file complete (see above). Steps: create `dir` if needed; remove a stale
 * `<fileName>.tmp`; write it (exclusive create), fsync, close; archive the current file under
 * `options.archiveName`; rename the temp file over `fileName`; fsync the directory.
 */
export async function writeAtomically(
  dir: string,
  fileName: string,
  bytes: Uint8Array,
  options: WriteAtomicallyOptions = {},
): Promise<WriteResult> {
  assertPlainName(fileName);
  const mode = options.mode ?? 0o600;
  const archiveName = options.archiveName === undefined ? contentArchiveName(fileName) : options.archiveName;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, fileName);
  const tempPath = path + TEMP_SUFFIX;

  await rm(tempPath, { force: true });
  await writeAndSync(tempPath, bytes, mode);
  await options.beforeRename?.();

  let archivedAs: string | null = null;
  const previous = await readIfExists(path);
  if (previous !== null && archiveName !== null) {
    archivedAs = insideDir(dir, archiveName(previous));
    if (archivedAs === path || archivedAs === tempPath) {
      throw new RangeError(`archive name for "${fileName}" must differ from the file and its temp file`);
    }
    await archive(path, archivedAs, previous, mode);
  }

  await rename(tempPath, path);
  await syncDir(dir);
  return { path, archivedAs };
}

/** readIfExists returns a file's bytes, or null when it does not exist. */
export async function readIfExists(path: string): Promise<Uint8Array | null> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
}

async function writeAndSync(path: string, bytes: Uint8Array, mode: number): Promise<void> {
  const handle = await open(path, 'wx', mode);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * archive keeps the current main file under `archivePath`: a hard link to it (instant, and the
 * main file stays in place), or a written copy where the file system has no hard links. Either
 * way the archive appears by rename, complete.
 */
async function archive(mainPath: string, archivePath: string, previous: Uint8Array, mode: number): Promise<void> {
  const archiveDir = dirname(archivePath);
  await mkdir(archiveDir, { recursive: true, mode: 0o700 });
  const tempPath = archivePath + TEMP_SUFFIX;
  await rm(tempPath, { force: true });
  try {
    await link(mainPath, tempPath);
  } catch (err) {
    if (!isErrno(err, 'EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS')) throw err;
    await writeAndSync(tempPath, previous, mode);
  }
  await rename(tempPath, archivePath);
  // rename onto another link of the same file does nothing, leaving the temp link: drop it.
  await rm(tempPath, { force: true });
  await syncDir(archiveDir);
}

/** syncDir fsyncs a directory so renames in it are durable; platforms that cannot are tolerated. */
async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
  } catch (err) {
    if (isErrno(err, 'EISDIR', 'EPERM', 'EACCES')) return;
    throw err;
  }
  try {
    await handle.sync();
  } catch (err) {
    if (!isErrno(err, 'EINVAL', 'EPERM', 'EISDIR', 'ENOTSUP')) throw err;
  } finally {
    await handle.close();
  }
}

function assertPlainName(fileName: string): void {
  if (fileName === '' || fileName === '.' || fileName === '..' || fileName.includes('/') || fileName.includes(sep)) {
    throw new RangeError(`file name "${fileName}" must be a plain name, not a path`);
  }
}

function insideDir(dir: string, relative: string): string {
  const normalized = normalize(relative);
  if (isAbsolute(normalized) || normalized === '..' || normalized.startsWith(`..${sep}`) || normalized === '.') {
    throw new RangeError(`archive name "${relative}" must stay inside the target directory`);
  }
  return join(dir, normalized);
}

/** isErrno checks a system error's code (not with instanceof: errors may come from another realm). */
function isErrno(err: unknown, ...codes: string[]): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' && codes.includes(err.code);
}
