import { readFile } from 'node:fs/promises';
import type { BackupChannel } from '../channel-set/backup-channel.js';
import { decryptBackup, deriveNodeKey, readBackupHeader, type MasterKey } from '../crypto/backup-crypto.js';
import { MalformedBackupError, NodeMismatchError } from '../errors.js';
import { contentHash, parseChannelSet } from '../format/serialize.js';
import { writeAtomically, type WriteResult } from '../storage/atomic-file.js';

/**
 * Restore and verify: open an encrypted channel-set backup with the master key, check it, and hand
 * back (or write out) the channel set it holds. Every check comes before any output: a wrong key,
 * a modified byte, a backup of another node or a malformed plaintext throws a clear BackupError
 * and nothing is written.
 */

/** RestoredBackup is a verified backup's content. */
export interface RestoredBackup {
  readonly nodeId: string;
  readonly backupVersion: number;
  /** contentHash is the SHA-256 of the serialized channel set, lowercase hex. */
  readonly contentHash: string;
  /** channels are the backed-up channels, sorted by channel point. */
  readonly channels: readonly BackupChannel[];
}

/**
 * openBackup decrypts, authenticates and parses an encrypted backup file. The node's key is derived
 * from the master key for the node the header names; pass `expectedNodeId` to insist on a node.
 * Throws MalformedBackupError (not a backup we read, or an inner node id that differs from the
 * header), NodeMismatchError (another node than expected) or WrongKeyOrTamperedError.
 */
export function openBackup(file: Uint8Array, masterKey: MasterKey, expectedNodeId?: string): RestoredBackup {
  const header = readBackupHeader(file);
  if (expectedNodeId !== undefined && header.nodeId !== expectedNodeId) {
    throw new NodeMismatchError(expectedNodeId, header.nodeId);
  }
  const { plaintext } = decryptBackup(file, deriveNodeKey(masterKey, header.nodeId));
  const snapshot = parseChannelSet(plaintext);
  if (snapshot.nodeId !== header.nodeId) {
    // Authenticated, so written by us: a bug, not an attack. Still, do not hand it out.
    throw new MalformedBackupError(`channel set belongs to node ${snapshot.nodeId} but the file header names ${header.nodeId}`);
  }
  return {
    nodeId: header.nodeId,
    backupVersion: header.backupVersion,
    contentHash: contentHash(plaintext),
    channels: snapshot.channels,
  };
}

/**
 * restoredBackupJson renders a verified backup as stable, indented JSON (keys in a fixed order,
 * channels sorted), the format `restoreBackupFile` writes.
 */
export function restoredBackupJson(restored: RestoredBackup): string {
  const channels = restored.channels.map((channel) => ({
    channelPoint: channel.channelPoint,
    peer: channel.peer,
    peerAddresses: channel.peerAddresses,
    capacitySat: channel.capacitySat,
    initiator: channel.initiator,
    commitmentType: channel.commitmentType,
    shortChannelId: channel.shortChannelId,
  }));
  const document = {
    nodeId: restored.nodeId,
    backupVersion: restored.backupVersion,
    contentHash: restored.contentHash,
    channels,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** RestoreFileRequest says which backup to restore and where to. */
export interface RestoreFileRequest {
  /** backup is the encrypted backup's bytes, or the path of the file to read. */
  readonly backup: Uint8Array | string;
  readonly masterKey: MasterKey;
  /** expectedNodeId, when given, must be the backup's node. */
  readonly expectedNodeId?: string;
  /** outputDir is where the restored channel set is written. */
  readonly outputDir: string;
  /** outputName is the file name; default `<nodeId>.v<version>.channels.json`. */
  readonly outputName?: string;
}

/** RestoreFileResult is the verified backup and where it was written. */
export interface RestoreFileResult {
  readonly restored: RestoredBackup;
  readonly written: WriteResult;
}

/**
 * restoreBackupFile verifies a backup (see `openBackup`) and only then writes its channel set as
 * JSON (`restoredBackupJson`) to `outputDir`, atomically. On any verification failure it throws
 * before touching `outputDir`: no file, no temp file, no directory is created.
 */
export async function restoreBackupFile(request: RestoreFileRequest): Promise<RestoreFileResult> {
  const bytes = typeof request.backup === 'string' ? new Uint8Array(await readFile(request.backup)) : request.backup;
  const restored = openBackup(bytes, request.masterKey, request.expectedNodeId);
  const outputName = request.outputName ?? `${restored.nodeId}.v${restored.backupVersion}.channels.json`;
  const written = await writeAtomically(request.outputDir, outputName, new TextEncoder().encode(restoredBackupJson(restored)));
  return { restored, written };
}
