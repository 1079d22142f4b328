/**
 * BackupQueries answers the HTTP API from the projection: which versions of a node's backups are
 * stored, and what the newest one holds.
 */
import { BadRequestException, NotFoundException } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { Pubkey } from '@lnfleet/contracts';
import type { BackupChannel } from '../channel-set/backup-channel.js';
import { snapshotOf, unlistedBySnapshot } from '../channel-set/channel-set.js';
import { findVersion, listVersions, loadNode, type VersionInfo } from '../store/backup-store.js';

/** VersionAnswer is a stored version as the API shows it. */
export interface VersionAnswer {
  readonly version: number;
  readonly contentHash: string;
  readonly sizeBytes: number;
  readonly channelCount: number;
  readonly streamSequence: number;
  readonly createdAt: string;
}

/** BackupsAnswer lists every stored version of a node's backups, oldest first. */
export interface BackupsAnswer {
  readonly nodeId: string;
  readonly channelSet: readonly VersionAnswer[];
  readonly nodePacked: readonly VersionAnswer[];
}

/** LatestAnswer is a node's newest backups and the channels the channel-set version holds. */
export interface LatestAnswer {
  readonly nodeId: string;
  readonly channelSet: VersionAnswer | null;
  readonly nodePacked: (VersionAnswer & { readonly channelPoints: readonly string[] }) | null;
  /** channels are the channels in the newest channel-set version (the projection's current set). */
  readonly channels: readonly BackupChannel[];
  /** unlistedBySnapshot are channels kept although the newest snapshot no longer lists them (close not seen yet). */
  readonly unlistedBySnapshot: readonly string[];
}

function answer(info: VersionInfo): VersionAnswer {
  return { ...info, createdAt: info.createdAt.toISOString() };
}

export class BackupQueries {
  constructor(private readonly dataSource: DataSource) {}

  /** backups lists a node's stored versions; 400 for a malformed node id, 404 for a node never seen. */
  async backups(nodeId: string): Promise<BackupsAnswer> {
    await this.knownNode(nodeId);
    const manager = this.dataSource.manager;
    const [channelSet, nodePacked] = await Promise.all([listVersions(manager, 'backup_version', nodeId), listVersions(manager, 'backup_own', nodeId)]);
    return { nodeId, channelSet: channelSet.map(answer), nodePacked: nodePacked.map(answer) };
  }

  /** latest describes a node's newest backups. */
  async latest(nodeId: string): Promise<LatestAnswer> {
    await this.knownNode(nodeId);
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const state = await loadNode(manager, nodeId);
      const channelSet = await findVersion(manager, 'backup_version', nodeId, { latest: true });
      const own = await findVersion(manager, 'backup_own', nodeId, { latest: true });
      const ownPoints =
        own === null
          ? []
          : (await manager.query<{ channel_points: string[] }[]>('SELECT channel_points FROM backup_own WHERE node_id = $1 AND version = $2', [nodeId, own.version]))[0]
              ?.channel_points ?? [];
      const unlisted = [...state.channelSet.records.values()].filter(unlistedBySnapshot).map((record) => record.channelPoint).sort();
      return {
        nodeId,
        channelSet: channelSet === null ? null : answer(channelSet),
        nodePacked: own === null ? null : { ...answer(own), channelPoints: ownPoints },
        channels: snapshotOf(state.channelSet).channels,
        unlistedBySnapshot: unlisted,
      };
    });
  }

  private async knownNode(nodeId: string): Promise<void> {
    if (!Pubkey.safeParse(nodeId).success) {
      throw new BadRequestException({ error: { code: 'INVALID_NODE_ID', message: 'node id must be a 33-byte compressed public key in lowercase hex' } });
    }
    const rows = await this.dataSource.query<unknown[]>('SELECT 1 FROM backup_node WHERE node_id = $1', [nodeId]);
    if (rows.length === 0) throw new NotFoundException({ error: { code: 'UNKNOWN_NODE', message: `no backups of node ${nodeId}` } });
  }
}
