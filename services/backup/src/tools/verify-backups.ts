/**
 * verifyBackups: for every node, check that its latest stored backup holds exactly the channels
 * the event stream says need one. The expected set is rebuilt here from the stream itself (every
 * node fact up to the stream's end, folded with the same rules), independently of the service's
 * projection; the backup is decrypted with the master key, so a wrong key or a modified backup is
 * reported too. With a target directory, each node's current file is checked against the
 * database's latest version as well.
 */
import { join } from 'node:path';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { loadNatsConfig, type Env } from '@lnfleet/config';
import { decodeMessage, Topology } from '@lnfleet/contracts';
import { connectNats } from '@lnfleet/messaging';
import { sameBackupChannel, type BackupChannel } from '../channel-set/backup-channel.js';
import { evolve, initialChannelSet, isChannelSetEvent, snapshotOf, type ChannelSet, type ChannelSetEvent } from '../channel-set/channel-set.js';
import type { MasterKey } from '../crypto/backup-crypto.js';
import { isBackupError } from '../errors.js';
import { contentHash, serializeChannelSet } from '../format/serialize.js';
import { openBackup } from '../restore/restore.js';
import { equalBytes } from '../format/bytes.js';
import { CHANNEL_SET_FILE, nodeDirectory } from '../storage/backup-files.js';
import { readIfExists } from '../storage/atomic-file.js';
import { findVersion, knownNodes, type Queryable } from '../store/backup-store.js';
import { resolveMasterKey, withDatabase, type DatabaseTarget, type KeyInput } from './tool-context.js';

/** VerifyBackupsOptions says where to look. Everything defaults to the environment, as the service reads it. */
export interface VerifyBackupsOptions {
  /** masterKey decrypts the backups; default BACKUP_MASTER_KEY / BACKUP_MASTER_KEY_FILE. */
  readonly masterKey?: KeyInput;
  /** database is the service's database; default DATABASE_URL and DATABASE_SCHEMA (or `backup`). */
  readonly database?: DatabaseTarget;
  /** connection is an open NATS connection to use; default: connect with NATS_* from `env`. */
  readonly connection?: NatsConnection;
  /** namespace prefixes the streams; default LNFLEET_NAMESPACE. */
  readonly namespace?: string;
  /** directory is the service's target directory; when given, each node's current file is checked too. */
  readonly directory?: string;
  /** consumer is the service's durable consumer, to tell whether it has caught up; default BACKUP_CONSUMER or `backup`. */
  readonly consumer?: string;
  readonly env?: Env;
}

/** FileCheck is what the node's current file in the target directory holds, compared with the database. */
export type FileCheck = 'ok' | 'missing' | 'older' | 'different' | 'unreadable' | 'not-checked';

/** ChannelDifference is a channel backed up with other details than the stream says. */
export interface ChannelDifference {
  readonly channelPoint: string;
  readonly expected: BackupChannel;
  readonly backedUp: BackupChannel;
}

/** NodeVerification is one node's result. */
export interface NodeVerification {
  readonly nodeId: string;
  /** ok is true when the latest backup holds exactly the expected channels (and the file, if checked, is that backup). */
  readonly ok: boolean;
  /** expectedChannels is how many channels the stream says need a backup. */
  readonly expectedChannels: number;
  /** expectedHash is the content hash the expected set serializes to. */
  readonly expectedHash: string | null;
  /** backupVersion is the latest stored version, null when there is none. */
  readonly backupVersion: number | null;
  readonly backupHash: string | null;
  /** missing are channels that need a backup but are not in it. */
  readonly missing: readonly string[];
  /** unexpected are channels in the backup that need none. */
  readonly unexpected: readonly string[];
  readonly differing: readonly ChannelDifference[];
  readonly file: FileCheck;
  /** problems say in words what is wrong; empty when ok. */
  readonly problems: readonly string[];
}

/** VerifyReport is the result of one verification. */
export interface VerifyReport {
  /** ok is true when every node verified. */
  readonly ok: boolean;
  /** streamLastSequence is the events-stream position the expected sets were rebuilt up to. */
  readonly streamLastSequence: number;
  /**
   * lagging is true when the service had not yet acknowledged every event up to that position:
   * mismatches may then only mean it is behind. Run again once it caught up.
   */
  readonly lagging: boolean;
  readonly nodes: readonly NodeVerification[];
}

/**
 * verifyBackups compares every node's latest backup with the channel set rebuilt from the event
 * stream. Nodes in either place are reported; a node with channel events but no backup, or a backup
 * without events, is a mismatch. Throws only when it cannot look (NATS, PostgreSQL, bad key).
 */
export async function verifyBackups(options: VerifyBackupsOptions = {}): Promise<VerifyReport> {
  const env = options.env ?? process.env;
  const masterKey = resolveMasterKey(options.masterKey, env);
  const natsConfig = options.connection === undefined || options.namespace === undefined ? loadNatsConfig(env) : undefined;
  const namespace = options.namespace ?? natsConfig?.namespace;
  const topology = new Topology(namespace === undefined ? {} : { namespace });
  const consumer = options.consumer ?? env.BACKUP_CONSUMER ?? 'backup';
  const connection = options.connection ?? (await connectNats(natsConfig ?? loadNatsConfig(env), 'lnfleet-backup-verify'));
  try {
    const stream = await expectedSets(connection, topology);
    const ackFloor = await consumerAckFloor(connection, topology, consumer);
    const nodes = await withDatabase(options.database, env, async (db) => {
      const ids = new Set<string>([...stream.sets.keys(), ...(await knownNodes(db))]);
      const results: NodeVerification[] = [];
      for (const nodeId of [...ids].sort()) {
        results.push(await verifyNode(db, nodeId, stream.sets.get(nodeId) ?? null, masterKey, options.directory));
      }
      return results;
    });
    return {
      ok: nodes.every((node) => node.ok),
      streamLastSequence: stream.lastSequence,
      lagging: ackFloor < stream.lastSequence,
      nodes,
    };
  } finally {
    if (options.connection === undefined) await connection.close();
  }
}

/** expectedSets folds every node fact in the events stream, up to its current end, into per-node channel sets. */
async function expectedSets(connection: NatsConnection, topology: Topology): Promise<{ sets: Map<string, ChannelSet>; lastSequence: number }> {
  const streamName = topology.streamName('events');
  const jsm = await jetstreamManager(connection);
  const info = await jsm.streams.info(streamName);
  const last = info.state.last_seq;
  const sets = new Map<string, ChannelSet>();
  if (info.state.messages === 0) return { sets, lastSequence: last };
  // The events stream holds node facts only (and NATS 2.9 has no filter_subjects for ordered consumers).
  const reader = await jetstream(connection).consumers.get(streamName, { deliver_policy: DeliverPolicy.All });
  const messages = await reader.consume();
  try {
    for await (const message of messages) {
      const decoded = decodeMessage(message.data);
      // The service dead-letters what it cannot decode, so it counts for nothing here either.
      if (decoded.ok && isChannelSetEvent(decoded.message)) fold(sets, decoded.message, message.seq);
      if (message.seq >= last || message.info.pending === 0) break;
    }
  } finally {
    await messages.close();
  }
  return { sets, lastSequence: last };
}

function fold(sets: Map<string, ChannelSet>, event: ChannelSetEvent, sequence: number): void {
  const state = sets.get(event.nodeId) ?? initialChannelSet(event.nodeId);
  sets.set(event.nodeId, evolve(state, event, sequence).state);
}

async function consumerAckFloor(connection: NatsConnection, topology: Topology, consumer: string): Promise<number> {
  const jsm = await jetstreamManager(connection);
  try {
    return (await jsm.consumers.info(topology.streamName('events'), consumer)).ack_floor.stream_seq;
  } catch {
    // No consumer: the service never ran on this stream.
    return 0;
  }
}

async function verifyNode(db: Queryable, nodeId: string, expected: ChannelSet | null, masterKey: MasterKey, directory: string | undefined): Promise<NodeVerification> {
  const problems: string[] = [];
  const expectedChannels = expected === null || expected.version === 0 ? null : snapshotOf(expected).channels;
  const expectedHash = expected === null || expected.version === 0 ? null : contentHash(serializeChannelSet(snapshotOf(expected)));
  const stored = await findVersion(db, 'backup_version', nodeId, { latest: true });
  let backedUp: readonly BackupChannel[] | null = null;
  let backupHash: string | null = null;
  if (stored === null) {
    if (expectedChannels !== null) problems.push('no backup stored, but the event stream has channel facts for this node');
  } else {
    try {
      const restored = openBackup(stored.bytes, masterKey, nodeId);
      backedUp = restored.channels;
      backupHash = restored.contentHash;
      if (restored.backupVersion !== stored.version || restored.contentHash !== stored.contentHash) {
        problems.push(`stored version ${stored.version} holds version ${restored.backupVersion} with another content hash than recorded`);
      }
    } catch (error) {
      if (!isBackupError(error)) throw error;
      problems.push(`latest backup (version ${stored.version}) cannot be read: ${error.message}`);
    }
    if (expectedChannels === null) problems.push('a backup is stored, but the event stream has no channel facts for this node');
  }
  const comparison = compareChannels(expectedChannels ?? [], backedUp ?? []);
  if (backedUp !== null && expectedChannels !== null) {
    if (comparison.missing.length > 0) problems.push(`missing from the backup: ${comparison.missing.join(', ')}`);
    if (comparison.unexpected.length > 0) problems.push(`in the backup but needing none: ${comparison.unexpected.join(', ')}`);
    if (comparison.differing.length > 0) problems.push(`backed up with other details: ${comparison.differing.map((d) => d.channelPoint).join(', ')}`);
  }
  const file = directory === undefined || stored === null ? 'not-checked' : await checkFile(directory, nodeId, stored.version, stored.bytes, masterKey);
  if (file !== 'ok' && file !== 'not-checked') problems.push(`target directory file is ${file} (database latest is version ${stored?.version ?? '-'})`);
  return {
    nodeId,
    ok: problems.length === 0,
    expectedChannels: expectedChannels?.length ?? 0,
    expectedHash,
    backupVersion: stored?.version ?? null,
    backupHash,
    missing: backedUp === null ? (expectedChannels ?? []).map((c) => c.channelPoint) : comparison.missing,
    unexpected: comparison.unexpected,
    differing: comparison.differing,
    file,
    problems,
  };
}

function compareChannels(
  expected: readonly BackupChannel[],
  backedUp: readonly BackupChannel[],
): { missing: string[]; unexpected: string[]; differing: ChannelDifference[] } {
  const inBackup = new Map(backedUp.map((channel) => [channel.channelPoint, channel]));
  const wanted = new Map(expected.map((channel) => [channel.channelPoint, channel]));
  const missing = expected.filter((c) => !inBackup.has(c.channelPoint)).map((c) => c.channelPoint);
  const unexpected = backedUp.filter((c) => !wanted.has(c.channelPoint)).map((c) => c.channelPoint);
  const differing: ChannelDifference[] = [];
  for (const channel of expected) {
    const other = inBackup.get(channel.channelPoint);
    if (other !== undefined && !sameBackupChannel(channel, other)) differing.push({ channelPoint: channel.channelPoint, expected: channel, backedUp: other });
  }
  return { missing, unexpected, differing };
}

/** checkFile compares the node's current file with the database's latest version (encryption is deterministic: equal means identical). */
async function checkFile(directory: string, nodeId: string, version: number, bytes: Uint8Array, masterKey: MasterKey): Promise<FileCheck> {
  const current = await readIfExists(join(nodeDirectory(directory, nodeId), CHANNEL_SET_FILE));
  if (current === null) return 'missing';
  if (equalBytes(current, bytes)) return 'ok';
  try {
    return openBackup(current, masterKey, nodeId).backupVersion < version ? 'older' : 'different';
  } catch (error) {
    if (isBackupError(error)) return 'unreadable';
    throw error;
  }
}
