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
  deleteVersionsOf,
  findVersion,
  insertChannelSetVersions,
  insertOwnVersions,
  knownNodes,
  listVersions,
  listVersionsOf,
  loadNodes,
  lockNode,
  lockNodes,
  saveNodes,
  type BackupTable,
  type NewVersion,
  type NodeBackupState,
  type NodeOwnVersion,
  type NodeVersion,
  type Queryable,
  type VersionInfo,
} from '../store/backup-store.js';
import { Batcher, runLimited, type BatchOutcome } from './batcher.js';
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
  /** batches counts the transactions that applied events (several events each, when they come fast). */
  batches: number;
}

/** BatchItem is one node event waiting for its batch. */
type BatchItem =
  | { readonly kind: 'channel'; readonly event: ChannelSetEvent; readonly sequence: number }
  | { readonly kind: 'own'; readonly event: MessageByType<'ChannelBackupUpdated'>; readonly sequence: number };

/** StoredCause is what a BackupStored takes from the event that made the version. */
type StoredCause = { readonly nodeId: Pubkey; readonly id: string; readonly correlationId: string; readonly occurredAt: string };

/** FILE_WRITES_IN_FLIGHT bounds the node files a batch writes at once (each is a few fsyncs on libuv's pool). */
const FILE_WRITES_IN_FLIGHT = 8;

/** PUBLISHES_IN_FLIGHT bounds the BackupStored messages awaiting their JetStream ack at once. */
const PUBLISHES_IN_FLIGHT = 256;

function groupBy<T extends { readonly nodeId: string }>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const list = out.get(item.nodeId);
    if (list === undefined) out.set(item.nodeId, [item]);
    else list.push(item);
  }
  return out;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
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
    batches: 0,
  };
  private readonly batcher: Batcher<BatchItem>;
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
    this.batcher = new Batcher((items) => this.applyBatch(items), config.batchSize);
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

  /** onChannelEvent folds a node event found at `sequence` into the node's channel set; resolves once its batch is committed. */
  onChannelEvent(event: ChannelSetEvent, sequence: number): Promise<void> {
    return this.batcher.submit({ kind: 'channel', event, sequence });
  }

  /** onOwnBackup stores a node's own packed backup found at `sequence`, if it is new; resolves once its batch is committed. */
  onOwnBackup(event: MessageByType<'ChannelBackupUpdated'>, sequence: number): Promise<void> {
    return this.batcher.submit({ kind: 'own', event, sequence });
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

  /**
   * applyBatch applies a batch of node events, in arrival order per node, in one transaction. An
   * event whose node has an earlier event waiting for its retry is put back first (so versions
   * are numbered in stream order). When the batch fails and held more than one event, its events
   * are applied one by one, so one bad event fails alone and the others go on.
   */
  private async applyBatch(items: readonly BatchItem[]): Promise<readonly BatchOutcome[]> {
    const now = this.clock.now();
    const outcomes: BatchOutcome[] = items.map(() => ({ ok: true }));
    const inTurn: { item: BatchItem; index: number }[] = [];
    for (const [index, item] of items.entries()) {
      const waitingFor = this.turns.earlierWaiting(item.event.nodeId, item.sequence, now);
      if (waitingFor !== null) {
        this.turns.wait(item.event.nodeId, item.sequence, now);
        this.counters.outOfTurn++;
        outcomes[index] = { ok: false, error: new OutOfTurnError(item.event.nodeId, item.sequence, waitingFor) };
      } else {
        inTurn.push({ item, index });
      }
    }
    if (inTurn.length === 0) return outcomes;
    try {
      await this.commitBatch(inTurn.map((entry) => entry.item));
      for (const { item } of inTurn) this.turns.done(item.event.nodeId, item.sequence);
    } catch (error) {
      if (inTurn.length === 1) {
        const [{ item, index }] = inTurn as [{ item: BatchItem; index: number }];
        this.turns.wait(item.event.nodeId, item.sequence, this.clock.now());
        outcomes[index] = { ok: false, error };
        return outcomes;
      }
      this.logger.warn(`a batch of ${inTurn.length} events failed (${describe(error)}); applying them one by one`);
      for (const { item, index } of inTurn) {
        const [outcome] = await this.applyBatch([item]);
        if (outcome !== undefined) outcomes[index] = outcome;
      }
    }
    return outcomes;
  }

  /**
   * commitBatch folds the events into their nodes' projections in memory, and in one transaction
   * under the nodes' advisory locks stores the new versions, writes each node's newest version to
   * the target directory (once per batch), publishes every BackupStored, and commits. Counters
   * move only after the commit.
   */
  private async commitBatch(items: readonly BatchItem[]): Promise<void> {
    const nodeIds = [...new Set(items.map((item) => item.event.nodeId))];
    const tally = { changed: 0, unchanged: 0 };
    const createdAt = new Date(this.clock.now());
    const result = await this.context.dataSource.transaction(async (manager) => {
      await lockNodes(manager, nodeIds);
      const loaded = await loadNodes(manager, nodeIds);
      const current = new Map(loaded);
      const channelSetVersions: (NodeVersion & { cause: BatchItem })[] = [];
      const ownVersions: (NodeOwnVersion & { cause: BatchItem })[] = [];
      for (const item of items) {
        const nodeId = item.event.nodeId;
        const state = current.get(nodeId);
        if (state === undefined) throw new Error(`node ${nodeId} was not loaded`);
        if (item.kind === 'channel') {
          const { state: channelSet, changed } = evolve(state.channelSet, item.event, item.sequence);
          if (channelSet === state.channelSet) {
            tally.unchanged++;
            continue;
          }
          tally.changed++;
          current.set(nodeId, { ...state, channelSet, lastSequence: Math.max(state.lastSequence, item.sequence) });
          if (changed) {
            const snapshot = snapshotOf(channelSet);
            const plaintext = serializeChannelSet(snapshot);
            const file = encryptBackup(plaintext, this.nodeKey(nodeId), channelSet.version);
            channelSetVersions.push({ nodeId, cause: item, version: this.newVersion(channelSet.version, contentHash(plaintext), file, snapshot.channels.length, item.sequence, createdAt) });
          }
        } else {
          // Own backups replace each other: one older than the newest applied is stale (or a redelivery).
          if (state.own.sequence !== null && item.sequence <= state.own.sequence) {
            tally.unchanged++;
            continue;
          }
          tally.changed++;
          const own = ownBackupOf(item.event);
          const isNew = isNewOwnBackup(state.own.contentHash, own);
          const next: NodeBackupState = {
            ...state,
            own: { version: isNew ? state.own.version + 1 : state.own.version, sequence: item.sequence, contentHash: own.contentHash },
            lastSequence: Math.max(state.lastSequence, item.sequence),
          };
          current.set(nodeId, next);
          if (isNew) {
            ownVersions.push({
              nodeId,
              cause: item,
              channelPoints: own.channelPoints,
              version: this.newVersion(next.own.version, own.contentHash, own.packed, own.channelPoints.length, item.sequence, createdAt),
            });
          }
        }
      }
      const changes = nodeIds.flatMap((nodeId) => {
        const before = loaded.get(nodeId);
        const after = current.get(nodeId);
        return before === undefined || after === undefined || before === after ? [] : [{ loaded: before, next: after }];
      });
      await saveNodes(manager, changes);
      await insertChannelSetVersions(manager, channelSetVersions);
      await insertOwnVersions(manager, ownVersions);
      const prunedChannelSets = await this.prune(manager, 'backup_version', channelSetVersions);
      const prunedOwn = await this.prune(manager, 'backup_own', ownVersions);
      // Own archives are named by content: one goes when no kept version of its node has that content.
      const ownArchivesGone = await this.ownHashesGone(manager, prunedOwn);

      // Each node's newest version of the batch to the directory; the intermediate ones are in PostgreSQL.
      const files = await this.writeNewestFiles(channelSetVersions, ownVersions);
      await this.publishAll([
        ...channelSetVersions.map((v) => ({ cause: v.cause.event, backup: 'CHANNEL_SET' as const, version: v.version })),
        ...ownVersions.map((v) => ({ cause: v.cause.event, backup: 'NODE_PACKED' as const, version: v.version })),
      ]);
      for (const item of items) await this.hooks.beforeCommit?.(item.event.nodeId, item.sequence);
      return { channelSetVersions, ownVersions, prunedChannelSets, prunedOwn, ownArchivesGone, files };
    });
    // Only once their deletion is committed: a crash before leaves files, never a row without its file.
    let archivesPruned = 0;
    for (const [nodeId, versions] of groupBy(result.prunedChannelSets)) {
      archivesPruned += await removeArchivedChannelSets(this.config.directory, nodeId, versions.map((v) => v.version));
    }
    for (const [nodeId, hashes] of groupBy(result.ownArchivesGone)) {
      archivesPruned += await removeArchivedOwnBackups(this.config.directory, nodeId, hashes.map((h) => h.contentHash));
    }
    this.counters.applied += tally.changed;
    this.counters.duplicates += tally.unchanged;
    this.counters.channelSetVersions += result.channelSetVersions.length;
    this.counters.ownVersions += result.ownVersions.length;
    this.counters.channelSetFilesWritten += result.files.channelSet;
    this.counters.ownFilesWritten += result.files.own;
    this.counters.pruned += result.prunedChannelSets.length + result.prunedOwn.length;
    this.counters.archivesPruned += archivesPruned;
    this.counters.batches++;
  }

  /** writeNewestFiles writes each node's newest new version (channel set and own) to the target directory, a few nodes at a time. */
  private async writeNewestFiles(channelSets: readonly NodeVersion[], owns: readonly NodeVersion[]): Promise<{ channelSet: number; own: number }> {
    const newest = (versions: readonly NodeVersion[]): NodeVersion[] => [...new Map(versions.map((v) => [v.nodeId, v])).values()];
    const written = { channelSet: 0, own: 0 };
    const tasks: (() => Promise<void>)[] = [
      ...newest(channelSets).map((v) => async () => {
        if ((await writeChannelSetBackup(this.config.directory, v.version.bytes, this.nodeKey(v.nodeId), this.writeOptions)).written) written.channelSet++;
      }),
      ...newest(owns).map((v) => async () => {
        if ((await writeOwnBackup(this.config.directory, v.nodeId, v.version.bytes, this.writeOptions)).written) written.own++;
      }),
    ];
    await runLimited(tasks, FILE_WRITES_IN_FLIGHT);
    return written;
  }

  private newVersion(version: number, hash: string, bytes: Uint8Array, channelCount: number, sequence: number, createdAt: Date): NewVersion {
    return { version, contentHash: hash, sizeBytes: bytes.length, channelCount, streamSequence: sequence, createdAt, bytes };
  }

  /**
   * prune deletes, for the nodes that got new versions, the versions the retention policy lets go
   * (never the newest N, never the young). Nodes with at most N versions have nothing to prune.
   */
  private async prune(manager: Queryable, table: BackupTable, added: readonly NodeVersion[]): Promise<(VersionInfo & { nodeId: string })[]> {
    const newest = new Map<string, number>();
    for (const { nodeId, version } of added) newest.set(nodeId, Math.max(newest.get(nodeId) ?? 0, version.version));
    const candidates = [...newest].filter(([, version]) => version > this.config.retention.retainLatest).map(([nodeId]) => nodeId);
    const doomed: (VersionInfo & { nodeId: string })[] = [];
    for (const [nodeId, versions] of await listVersionsOf(manager, table, candidates)) {
      const gone = new Set(
        versionsToDelete(
          versions.map((v) => ({ version: v.version, createdAtMs: v.createdAt.getTime() })),
          this.config.retention,
          this.clock.now(),
        ),
      );
      for (const v of versions) if (gone.has(v.version)) doomed.push({ ...v, nodeId });
    }
    await deleteVersionsOf(manager, table, doomed);
    return doomed;
  }

  /** ownHashesGone lists the pruned own backups' contents that no kept version of their node has. */
  private async ownHashesGone(manager: Queryable, pruned: readonly (VersionInfo & { nodeId: string })[]): Promise<{ nodeId: string; contentHash: string }[]> {
    if (pruned.length === 0) return [];
    const kept = await listVersionsOf(manager, 'backup_own', [...new Set(pruned.map((v) => v.nodeId))]);
    const gone = new Map<string, { nodeId: string; contentHash: string }>();
    for (const v of pruned) {
      if (!(kept.get(v.nodeId) ?? []).some((k) => k.contentHash === v.contentHash)) gone.set(`${v.nodeId}/${v.contentHash}`, { nodeId: v.nodeId, contentHash: v.contentHash });
    }
    return [...gone.values()];
  }

  /** publishAll publishes the BackupStored of every version, a bounded number awaiting their acks at once. */
  private async publishAll(stored: readonly { cause: StoredCause; backup: BackupKind; version: NewVersion }[]): Promise<void> {
    await runLimited(
      stored.map((s) => () => this.publishStored(s.cause, s.backup, s.version)),
      PUBLISHES_IN_FLIGHT,
    );
  }

  private async publishStored(cause: StoredCause, backup: BackupKind, version: NewVersion): Promise<void> {
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
