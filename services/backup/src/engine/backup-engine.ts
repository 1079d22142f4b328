/**
 * BackupEngine is the backup service's shell. For a node event it takes the node's advisory lock
 * in a PostgreSQL transaction, folds the event into the node's channel set, and when the set
 * changed stores the new version (row and encrypted file), writes it to the target directory,
 * publishes BackupStored, and commits.
 *
 * Why this order: everything that leaves the process (the file, the message) happens before the
 * commit. If the process dies in between, nothing was recorded, the event comes back, and the
 * same inputs give the same version with the same bytes (encryption is deterministic): the file
 * in place is recognised, and the message id is the same, so JetStream drops the copy. Once
 * committed, a redelivered event changes nothing and makes no version. The lock makes replicas
 * take turns per node (one writer per node directory); within a replica a node's events also take
 * turns in arrival order, so versions are numbered in stream order.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { BackupStored, createMessage, deterministicId, type BackupKind, type MessageByType, type Pubkey } from '@lnfleet/contracts';
import { ServiceContext } from '@lnfleet/service-kit';
import { evolve, snapshotOf, type ChannelSetEvent } from '../channel-set/channel-set.js';
import { BACKUP_CONFIG, type BackupConfig } from '../config.js';
import { deriveNodeKey, encryptBackup, type NodeKey } from '../crypto/backup-crypto.js';
import { contentHash, serializeChannelSet } from '../format/serialize.js';
import { isNewOwnBackup, ownBackupOf } from '../own-backup/own-backup.js';
import { versionsToDelete } from '../retention/retention.js';
import {
  archivedChannelSetVersions,
  removeArchivedChannelSets,
  removeArchivedOwnBackups,
  writeChannelSetBackup,
  writeOwnBackup,
  type BackupWriteOptions,
} from '../storage/backup-files.js';
import {
  deleteVersions,
  findVersion,
  insertChannelSetVersion,
  insertOwnVersion,
  knownNodes,
  listVersions,
  loadNode,
  lockNode,
  saveNode,
  type BackupTable,
  type NewVersion,
  type NodeBackupState,
  type Queryable,
  type VersionInfo,
} from '../store/backup-store.js';
import { KeyedQueue } from './keyed-queue.js';
import { NodeTurns, OutOfTurnError } from './node-turns.js';

/**
 * TURN_WAIT_MS bounds how long a failed event holds back its node's later events in this replica:
 * about the transport's whole redelivery schedule. Past it the event was probably applied by
 * another replica or dead-lettered, and waiting longer would only stop the node's backups.
 */
export const TURN_WAIT_MS = 5 * 60_000;

/** BACKUP_CLOCK injects the engine's {@link Clock}. */
export const BACKUP_CLOCK = Symbol('BACKUP_CLOCK');
/** BACKUP_HOOKS injects the {@link EngineHooks}. */
export const BACKUP_HOOKS = Symbol('BACKUP_HOOKS');

/** Clock tells the time versions are stored at (and retention measures ages from). */
export interface Clock {
  now(): number;
}

/** systemClock is the wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * EngineHooks lets tests inject faults where a crash matters: `beforeCommit` runs after a
 * version's file was written and its message published, before the transaction commits; throwing
 * there rolls the transaction back as a crash would, and the transport redelivers the event.
 */
export interface EngineHooks {
  readonly beforeCommit?: (nodeId: string, sequence: number) => void | Promise<void>;
}

/** EngineCounters counts what the engine did, for the status endpoint and tests. */
export interface EngineCounters {
  /** applied counts events that changed a node's projection. */
  applied: number;
  /** duplicates counts events that changed nothing (redelivered, repeated or stale). */
  duplicates: number;
  /** channelSetVersions counts channel-set versions stored. */
  channelSetVersions: number;
  /** ownVersions counts own packed backups stored. */
  ownVersions: number;
  /** channelSetFilesWritten counts channel-set files written to the target directory (not those found in place). */
  channelSetFilesWritten: number;
  /** ownFilesWritten counts own packed backups written to the target directory (not those found in place). */
  ownFilesWritten: number;
  /** outOfTurn counts events put back because an earlier event of their node is still to be applied. */
  outOfTurn: number;
  /** pruned counts versions deleted by retention. */
  pruned: number;
  /** archivesPruned counts archived files deleted from the target directory with their pruned versions. */
  archivesPruned: number;
}

@Injectable()
export class BackupEngine implements OnApplicationBootstrap {
  private readonly logger = new Logger('BackupEngine');
  private readonly counters: EngineCounters = {
    applied: 0,
    duplicates: 0,
    channelSetVersions: 0,
    ownVersions: 0,
    channelSetFilesWritten: 0,
    ownFilesWritten: 0,
    outOfTurn: 0,
    pruned: 0,
    archivesPruned: 0,
  };
  private readonly queue = new KeyedQueue();
  private readonly turns = new NodeTurns(TURN_WAIT_MS);
  private readonly keys = new Map<string, NodeKey>();
  private readonly writeOptions: BackupWriteOptions;

  constructor(
    private readonly context: ServiceContext,
    @Inject(BACKUP_CONFIG) private readonly config: BackupConfig,
    @Inject(BACKUP_CLOCK) private readonly clock: Clock,
    @Inject(BACKUP_HOOKS) private readonly hooks: EngineHooks,
  ) {
    const holdMs = config.testRenameDelayMs;
    // BACKUP_TEST_RENAME_DELAY_MS: a process-kill test needs time to kill mid-write.
    this.writeOptions = holdMs > 0 ? { beforeRename: () => delay(holdMs) } : {};
  }

  /**
   * onApplicationBootstrap brings the target directory up to date with the database before the
   * consumers start: a file lost, or never written because the process died after a commit,
   * is written again from the stored version.
   */
  async onApplicationBootstrap(): Promise<void> {
    const source = this.config.masterKeySource;
    if (source.kind === 'insecure-dev') {
      this.logger.warn(
        `BACKUP_INSECURE_DEV_KEY: ${source.generated ? 'generated a' : 'using the'} development master key in ${source.path}; ` +
          'anyone who can read that directory can read the backups. Set BACKUP_MASTER_KEY or BACKUP_MASTER_KEY_FILE for real nodes.',
      );
    }
    // Before the HTTP server listens: the service is not ready before its files are.
    const written = await this.syncFiles();
    this.logger.log(`target directory ${this.config.directory} is up to date (${written} files written at start)`);
  }

  /** stats returns a copy of the counters. */
  stats(): EngineCounters {
    return { ...this.counters };
  }

  /** onChannelEvent folds a node event found at `sequence` into the node's channel set. */
  async onChannelEvent(event: ChannelSetEvent, sequence: number): Promise<void> {
    await this.inTurn(event.nodeId, sequence, () => this.applyChannelEvent(event, sequence));
  }

  /** onOwnBackup stores a node's own packed backup found at `sequence`, if it is new. */
  async onOwnBackup(event: MessageByType<'ChannelBackupUpdated'>, sequence: number): Promise<void> {
    await this.inTurn(event.nodeId, sequence, () => this.applyOwnBackup(event, sequence));
  }

  /**
   * inTurn applies a node's events in stream order: after the queue (arrival order), an event
   * whose node has an earlier event waiting for its retry is put back (the transport retries it
   * later) rather than applied before it, so versions are numbered as a replay would number them.
   */
  private async inTurn(nodeId: string, sequence: number, apply: () => Promise<void>): Promise<void> {
    await this.queue.run(nodeId, async () => {
      const waitingFor = this.turns.earlierWaiting(nodeId, sequence, this.clock.now());
      if (waitingFor !== null) {
        this.turns.wait(nodeId, sequence, this.clock.now());
        this.counters.outOfTurn++;
        throw new OutOfTurnError(nodeId, sequence, waitingFor);
      }
      try {
        await apply();
      } catch (error) {
        this.turns.wait(nodeId, sequence, this.clock.now());
        throw error;
      }
      this.turns.done(nodeId, sequence);
    });
  }

  /** syncFiles writes each node's newest stored backups to the target directory where they are missing or older. */
  async syncFiles(): Promise<number> {
    let written = 0;
    for (const nodeId of await knownNodes(this.context.dataSource.manager)) {
      await this.context.dataSource.transaction(async (manager) => {
        await lockNode(manager, nodeId);
        const channelSet = await findVersion(manager, 'backup_version', nodeId, { latest: true });
        if (channelSet !== null && (await writeChannelSetBackup(this.config.directory, channelSet.bytes, this.nodeKey(nodeId), this.writeOptions)).written) {
          this.counters.channelSetFilesWritten++;
          written++;
        }
        // Archives whose versions retention deleted (a crash between the commit and the unlink, or
        // archives older than this rule): only below the newest stored version, never a newer one.
        if (channelSet !== null) {
          const stored = new Set((await listVersions(manager, 'backup_version', nodeId)).map((v) => v.version));
          const orphans = (await archivedChannelSetVersions(this.config.directory, nodeId)).filter((v) => v < channelSet.version && !stored.has(v));
          this.counters.archivesPruned += await removeArchivedChannelSets(this.config.directory, nodeId, orphans);
        }
        const own = await findVersion(manager, 'backup_own', nodeId, { latest: true });
        if (own !== null && (await writeOwnBackup(this.config.directory, nodeId, own.bytes, this.writeOptions)).written) {
          this.counters.ownFilesWritten++;
          written++;
        }
      });
    }
    return written;
  }

  private async applyChannelEvent(event: ChannelSetEvent, sequence: number): Promise<void> {
    const pruned = await this.context.dataSource.transaction(async (manager): Promise<readonly VersionInfo[]> => {
      await lockNode(manager, event.nodeId);
      const loaded = await loadNode(manager, event.nodeId);
      const { state, changed } = evolve(loaded.channelSet, event, sequence);
      if (state === loaded.channelSet) {
        this.counters.duplicates++;
        return [];
      }
      this.counters.applied++;
      await saveNode(manager, loaded, { ...loaded, channelSet: state, lastSequence: Math.max(loaded.lastSequence, sequence) });
      let doomed: readonly VersionInfo[] = [];
      if (changed) {
        const snapshot = snapshotOf(state);
        const plaintext = serializeChannelSet(snapshot);
        const key = this.nodeKey(event.nodeId);
        const file = encryptBackup(plaintext, key, state.version);
        const version = this.newVersion(state.version, contentHash(plaintext), file, snapshot.channels.length, sequence);
        await insertChannelSetVersion(manager, event.nodeId, version);
        doomed = await this.prune(manager, 'backup_version', event.nodeId);
        if ((await writeChannelSetBackup(this.config.directory, file, key, this.writeOptions)).written) this.counters.channelSetFilesWritten++;
        await this.publishStored(event, 'CHANNEL_SET', version);
        this.counters.channelSetVersions++;
      }
      await this.hooks.beforeCommit?.(event.nodeId, sequence);
      return doomed;
    });
    // Only once their deletion is committed: a crash before leaves files, never a row without its file.
    this.counters.archivesPruned += await removeArchivedChannelSets(this.config.directory, event.nodeId, pruned.map((v) => v.version));
  }

  private async applyOwnBackup(event: MessageByType<'ChannelBackupUpdated'>, sequence: number): Promise<void> {
    const goneHashes = await this.context.dataSource.transaction(async (manager): Promise<readonly string[]> => {
      await lockNode(manager, event.nodeId);
      const loaded = await loadNode(manager, event.nodeId);
      // Own backups replace each other: one older than the newest applied is stale (or a redelivery).
      if (loaded.own.sequence !== null && sequence <= loaded.own.sequence) {
        this.counters.duplicates++;
        return [];
      }
      this.counters.applied++;
      const own = ownBackupOf(event);
      const isNew = isNewOwnBackup(loaded.own.contentHash, own);
      const next: NodeBackupState = {
        ...loaded,
        own: { version: isNew ? loaded.own.version + 1 : loaded.own.version, sequence, contentHash: own.contentHash },
        lastSequence: Math.max(loaded.lastSequence, sequence),
      };
      await saveNode(manager, loaded, next);
      let gone: string[] = [];
      if (isNew) {
        const version = this.newVersion(next.own.version, own.contentHash, own.packed, own.channelPoints.length, sequence);
        await insertOwnVersion(manager, event.nodeId, version, own.channelPoints);
        const doomed = await this.prune(manager, 'backup_own', event.nodeId);
        // Archived own backups are named by content: one goes when no kept version has its content.
        const kept = new Set((await listVersions(manager, 'backup_own', event.nodeId)).map((v) => v.contentHash));
        gone = [...new Set(doomed.map((v) => v.contentHash))].filter((hash) => !kept.has(hash));
        if ((await writeOwnBackup(this.config.directory, event.nodeId, own.packed, this.writeOptions)).written) this.counters.ownFilesWritten++;
        await this.publishStored(event, 'NODE_PACKED', version);
        this.counters.ownVersions++;
      }
      await this.hooks.beforeCommit?.(event.nodeId, sequence);
      return gone;
    });
    this.counters.archivesPruned += await removeArchivedOwnBackups(this.config.directory, event.nodeId, goneHashes);
  }

  private newVersion(version: number, hash: string, bytes: Uint8Array, channelCount: number, sequence: number): NewVersion {
    return { version, contentHash: hash, sizeBytes: bytes.length, channelCount, streamSequence: sequence, createdAt: new Date(this.clock.now()), bytes };
  }

  /** prune deletes the node's versions the retention policy lets go (never the newest N, never the young). */
  private async prune(manager: Queryable, table: BackupTable, nodeId: string): Promise<VersionInfo[]> {
    const versions = await listVersions(manager, table, nodeId);
    const doomed = new Set(
      versionsToDelete(
        versions.map((v) => ({ version: v.version, createdAtMs: v.createdAt.getTime() })),
        this.config.retention,
        this.clock.now(),
      ),
    );
    await deleteVersions(manager, table, nodeId, [...doomed]);
    this.counters.pruned += doomed.size;
    return versions.filter((v) => doomed.has(v.version));
  }

  private async publishStored(cause: { readonly nodeId: Pubkey; readonly id: string; readonly correlationId: string; readonly occurredAt: string }, backup: BackupKind, version: NewVersion): Promise<void> {
    const id = deterministicId('BackupStored', cause.nodeId, backup, version.version, version.contentHash);
    const message = createMessage(BackupStored, {
      id,
      nodeId: cause.nodeId,
      // The node time of the fact that made the version: a replay gives the same message.
      occurredAt: cause.occurredAt,
      causationId: cause.id,
      correlationId: cause.correlationId,
      data: {
        backup,
        version: version.version,
        contentHash: version.contentHash,
        channelCount: version.channelCount,
        sizeBytes: version.sizeBytes,
        streamSequence: version.streamSequence,
      },
    });
    await this.context.publisher.publishDerived('backup', message);
  }

  private nodeKey(nodeId: string): NodeKey {
    let key = this.keys.get(nodeId);
    if (key === undefined) {
      key = deriveNodeKey(this.config.masterKey, nodeId);
      this.keys.set(nodeId, key);
    }
    return key;
  }
}
