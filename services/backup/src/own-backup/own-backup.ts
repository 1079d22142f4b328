import { createHash } from 'node:crypto';
import type { ChannelPoint, MessageByType, Pubkey } from '@lnfleet/contracts';
import { compareChannelPoints } from '../channel-set/backup-channel.js';

/**
 * OwnBackup: the node's own packed multi-channel backup, as lnd's SubscribeChannelBackups gives it
 * (ChannelBackupUpdated). Only the node can decrypt it, and only it can restore funds (it holds the
 * key material our channel-set backup lacks), so we keep it byte for byte, never re-encoded. Its
 * content hash identifies it: the same backup delivered twice is one backup.
 */

/** OwnBackup is one packed multi-channel backup of a node. */
export interface OwnBackup {
  readonly nodeId: Pubkey;
  /** packed is lnd's packed multi-channel backup, exactly as the node produced it. */
  readonly packed: Uint8Array;
  /** contentHash is the SHA-256 of `packed`, lowercase hex. */
  readonly contentHash: string;
  /** channelPoints are the channels the node says the backup covers, sorted. */
  readonly channelPoints: readonly ChannelPoint[];
}

/** ownBackupOf decodes a ChannelBackupUpdated event into the bytes to store. */
export function ownBackupOf(event: MessageByType<'ChannelBackupUpdated'>): OwnBackup {
  const packed = new Uint8Array(Buffer.from(event.data.multiChanBackup, 'base64'));
  return {
    nodeId: event.nodeId,
    packed,
    contentHash: createHash('sha256').update(packed).digest('hex'),
    channelPoints: [...new Set(event.data.channelPoints)].sort(compareChannelPoints),
  };
}

/**
 * isNewOwnBackup reports whether `backup` differs from the last one stored (by content hash);
 * a redelivered or repeated backup is not new and makes no new version.
 */
export function isNewOwnBackup(lastContentHash: string | null, backup: OwnBackup): boolean {
  return lastContentHash !== backup.contentHash;
}
