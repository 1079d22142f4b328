import type { ChannelPoint, PendingChannel, Pubkey } from '@lnfleet/contracts';

/** Initiator says which side opened a channel (lnd's Initiator enum, as in the contracts). */
export type Initiator = PendingChannel['initiator'];

/** CommitmentType is a channel's commitment format (lnd's CommitmentType enum, as in the contracts). */
export type CommitmentType = PendingChannel['commitmentType'];

/**
 * BackupChannel is what a backup records about one channel: enough to find the channel and its
 * peer again after losing the node's database (lnd's static channel backup carries the same facts,
 * plus key material only the node has). Values are canonical: `peerAddresses` is sorted and free
 * of duplicates, and `shortChannelId` is null rather than "0" while the channel has none.
 */
export interface BackupChannel {
  /** channelPoint is the funding outpoint `txid:index`. */
  readonly channelPoint: ChannelPoint;
  /** peer is the remote node's public key. */
  readonly peer: Pubkey;
  /** peerAddresses are where the peer listens, sorted ascending and unique (may be empty). */
  readonly peerAddresses: readonly string[];
  /** capacitySat is the channel's capacity in satoshis. */
  readonly capacitySat: number;
  /** initiator says which side opened the channel. */
  readonly initiator: Initiator;
  /** commitmentType is the channel's commitment format (UNKNOWN_COMMITMENT_TYPE when never learnt). */
  readonly commitmentType: CommitmentType;
  /** shortChannelId is lnd's chan_id as a decimal string, null while unknown (pending channels). */
  readonly shortChannelId: string | null;
}

/** ChannelSetSnapshot is a node's backup-relevant channel set at one moment, in canonical order. */
export interface ChannelSetSnapshot {
  /** nodeId is the managed node the channels belong to. */
  readonly nodeId: Pubkey;
  /** channels are sorted by `compareChannelPoints` and unique by channel point. */
  readonly channels: readonly BackupChannel[];
}

/**
 * canonicalAddresses returns addresses sorted ascending (by UTF-16 code unit, which for the ASCII
 * addresses the contracts allow is byte order) with duplicates removed. Address order carries no
 * meaning for a restore, so fixing it keeps equal sets byte-identical.
 */
export function canonicalAddresses(addresses: readonly string[]): readonly string[] {
  return [...new Set(addresses)].sort(compareStrings);
}

/**
 * canonicalShortChannelId maps lnd's "0" (no short channel id yet) to null and keeps others.
 */
export function canonicalShortChannelId(chanId: string | null | undefined): string | null {
  return chanId === undefined || chanId === null || chanId === '0' ? null : chanId;
}

/**
 * compareChannelPoints orders channel points by funding txid (as its display hex, i.e. byte order
 * of the displayed txid), then by output index numerically, so `…:2` sorts before `…:10`.
 */
export function compareChannelPoints(a: ChannelPoint, b: ChannelPoint): number {
  const byTxid = compareStrings(a.slice(0, 64), b.slice(0, 64));
  return byTxid !== 0 ? byTxid : Number(a.slice(65)) - Number(b.slice(65));
}

/** sameBackupChannel reports whether two channels would serialize to the same bytes. */
export function sameBackupChannel(a: BackupChannel, b: BackupChannel): boolean {
  return (
    a.channelPoint === b.channelPoint &&
    a.peer === b.peer &&
    a.capacitySat === b.capacitySat &&
    a.initiator === b.initiator &&
    a.commitmentType === b.commitmentType &&
    a.shortChannelId === b.shortChannelId &&
    a.peerAddresses.length === b.peerAddresses.length &&
    a.peerAddresses.every((address, i) => address === b.peerAddresses[i])
  );
}

function compareStrings(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}
