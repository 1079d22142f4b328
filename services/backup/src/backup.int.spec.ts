import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DeliverPolicy } from '@nats-io/jetstream';
import { createMessage, decodeMessage, deterministicId, encodeMessage, PeerOnline, type Envelope, type KnownMessage, type MessageByType } from '@lnfleet/contracts';
import { ensureStreams, JetStreamPublisher } from '@lnfleet/messaging';
import { bootstrapService, type RunningService } from '@lnfleet/service-kit';
import { testNats, testSchema, waitFor, type TestNats, type TestSchema } from '@lnfleet/testing';
import { evolve, initialChannelSet, isChannelSetEvent, snapshotOf, type ChannelSet } from './channel-set/channel-set.js';
import {
  NODE,
  OTHER_NODE,
  backupUpdated,
  channelPoint,
  closed,
  openData,
  opened,
  pending,
  pendingData,
  pubkey,
  resolved,
  snapshot,
} from './channel-set/events.fixture.js';
import { deriveNodeKey, encryptBackup, parseMasterKey } from './crypto/backup-crypto.js';
import { BackupEngine } from './engine/backup-engine.js';
import { ContentMismatchError, OutputExistsError, WrongKeyOrTamperedError } from './errors.js';
import { contentHash, serializeChannelSet } from './format/serialize.js';
import { openBackup } from './restore/restore.js';
import { createBackupService, type BackupDependencies } from './service.js';
import { CHANNEL_SET_FILE, OWN_BACKUP_FILE } from './storage/backup-files.js';
import { restoreBackup } from './tools/restore-backup.js';
import { verifyBackups } from './tools/verify-backups.js';

/*
 * The acceptance test of the backup service against real NATS JetStream and PostgreSQL: a scripted
 * history of two nodes gives the expected sequence of versions (checked against the pure core
 * folding the same stream), through a restart mid-stream and a crash before commit, and again,
 * with the very same bytes, after the projection is dropped and the stream replayed. The target
 * directory holds a decryptable file at every moment; restore and verify work on what it stored.
 */

const MASTER_HEX = '8f'.repeat(32);
const master = parseMasterKey(MASTER_HEX);
const C1 = channelPoint(0xc1);
const C2 = channelPoint(0xc2);
const C3 = channelPoint(0xc3);
const C4 = channelPoint(0xc4);
const PACKED_1 = new Uint8Array(Buffer.from('packed multi-channel backup one, as lnd sealed it'));
const PACKED_2 = new Uint8Array(Buffer.from('packed multi-channel backup two, as lnd sealed it'));

/** history is the scripted node facts, in publishing order; comments say what each does to the set. */
function history(): Envelope[] {
  return [
    snapshot({ open: [openData(C1)], pending: [pendingData(C2)] }, 'first'), // A v1: C1, C2
    opened(C2), // A v2: C2 gets its short channel id
    pending(C3), // A v3: + C3
    closed(C1, 'COOPERATIVE_CLOSE'), // A v4: - C1
    snapshot({}, 'first', OTHER_NODE), // B v1: no channels
    snapshot({ open: [openData(C2)], pending: [pendingData(C3)] }, 'confirming'), // nothing new
    closed(C3, 'LOCAL_FORCE_CLOSE'), // A v5: C3 stays, short channel id from the close
    backupUpdated(PACKED_1, [C2, C3]), // A own v1
    pending(C4, {}, OTHER_NODE), // B v2: + C4
    resolved(C3), // A v6: - C3
    snapshot({}, 'unlisting'), // nothing: C2 stays until its close arrives
    backupUpdated(PACKED_2, [C2]), // A own v2
  ];
}

/** Expected channel-set versions of the history: node, version, channel count. */
const EXPECTED = [
  [NODE, 1, 2],
  [NODE, 2, 2],
  [NODE, 3, 3],
  [NODE, 4, 2],
  [NODE, 5, 2],
  [NODE, 6, 1],
  [OTHER_NODE, 1, 0],
  [OTHER_NODE, 2, 1],
] as const;

interface VersionRow {
  node_id: string;
  version: number;
  content_hash: string;
  channel_count: number;
  stream_seq: string;
  file: Buffer;
}

class Harness {
  service: RunningService | undefined;
  readonly publisher: JetStreamPublisher;

  constructor(
    readonly nats: TestNats,
    readonly schema: TestSchema,
    readonly directory: string,
    readonly extraEnv: Record<string, string> = {},
  ) {
    this.publisher = new JetStreamPublisher(nats.js, nats.topology);
  }

  static async create(extraEnv: Record<string, string> = {}): Promise<Harness> {
    const nats = await testNats('bk');
    const schema = await testSchema('bk');
    const directory = await mkdtemp(join(tmpdir(), 'lnfleet-backup-int-'));
    const harness = new Harness(nats, schema, directory, extraEnv);
    await ensureStreams(nats.jsm, Object.values(nats.topology.streams()));
    return harness;
  }

  get env(): Record<string, string> {
    return {
      NATS_URL: this.nats.natsUrl,
      DATABASE_URL: this.schema.databaseUrl,
      LNFLEET_NAMESPACE: this.nats.topology.namespace,
      DATABASE_SCHEMA: this.schema.schema,
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      BACKUP_DIR: this.directory,
      BACKUP_MASTER_KEY: MASTER_HEX,
      ...this.extraEnv,
    };
  }

  async start(dependencies: BackupDependencies = {}): Promise<RunningService> {
    this.service = await bootstrapService(createBackupService(dependencies), this.env, { logger: false });
    return this.service;
  }

  async stop(): Promise<void> {
    await this.service?.stop();
    this.service = undefined;
  }

  async publishAll(events: readonly Envelope[]): Promise<void> {
    for (const event of events) await this.publisher.publish(event);
  }

  /** publishCopy stores the same message again under a new JetStream id, as a re-publish after the duplicate window would. */
  async publishCopy(event: Envelope, copy: number): Promise<void> {
    await this.publisher.publishRaw(this.nats.topology.nodeEventSubject(event.nodeId, event.type), encodeMessage(event), `${event.id}-copy-${copy}`);
  }

  /** caughtUp waits until the durable consumer has acknowledged everything in the events stream. */
  async caughtUp(): Promise<void> {
    const stream = this.nats.topology.streamName('events');
    const last = (await this.nats.jsm.streams.info(stream)).state.last_seq;
    await waitFor(
      `backup to acknowledge ${stream} up to #${last}`,
      async () => {
        const info = await this.nats.jsm.consumers.info(stream, 'backup');
        return { pending: info.num_pending, ackPending: info.num_ack_pending, ackFloor: info.ack_floor.stream_seq };
      },
      (c) => c.pending === 0 && c.ackPending === 0 && c.ackFloor >= last,
      30_000,
    );
  }

  async sql<T>(query: string, parameters: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: this.schema.databaseUrl, options: `-c search_path="${this.schema.schema}"` });
    await client.connect();
    try {
      return (await client.query(query, parameters)).rows as T[];
    } finally {
      await client.end();
    }
  }

  versions(): Promise<VersionRow[]> {
    return this.sql<VersionRow>('SELECT node_id, version, content_hash, channel_count, stream_seq, file FROM backup_version ORDER BY node_id DESC, version');
  }

  /** storedMessages reads every BackupStored from the derived stream, in order. */
  async storedMessages(): Promise<MessageByType<'BackupStored'>[]> {
    const stream = this.nats.topology.streamName('derived');
    const info = await this.nats.jsm.streams.info(stream);
    const found: MessageByType<'BackupStored'>[] = [];
    for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
      const stored = await this.nats.jsm.streams.getMessage(stream, { seq });
      const message = stored?.json<KnownMessage>();
      if (message?.type === 'BackupStored') found.push(message);
    }
    return found;
  }

  /** reference folds the events stream through the pure core: the versions the service must have made. */
  async reference(): Promise<{ nodeId: string; version: number; hash: string; channels: number; sequence: number }[]> {
    const stream = this.nats.topology.streamName('events');
    const last = (await this.nats.jsm.streams.info(stream)).state.last_seq;
    const consumer = await this.nats.js.consumers.get(stream, { deliver_policy: DeliverPolicy.All });
    const messages = await consumer.consume();
    const sets = new Map<string, ChannelSet>();
    const versions: { nodeId: string; version: number; hash: string; channels: number; sequence: number }[] = [];
    for await (const m of messages) {
      const decoded = decodeMessage(m.data);
      if (decoded.ok && isChannelSetEvent(decoded.message)) {
        const event = decoded.message;
        const { state, changed } = evolve(sets.get(event.nodeId) ?? initialChannelSet(event.nodeId), event, m.seq);
        sets.set(event.nodeId, state);
        if (changed) {
          const set = snapshotOf(state);
          versions.push({ nodeId: event.nodeId, version: state.version, hash: contentHash(serializeChannelSet(set)), channels: set.channels.length, sequence: m.seq });
        }
      }
      if (m.seq >= last) break;
    }
    await messages.close();
    return versions.sort((a, b) => (a.nodeId === b.nodeId ? a.version - b.version : a.nodeId < b.nodeId ? 1 : -1));
  }

  async dropProjection(): Promise<void> {
    await this.sql('DROP TABLE backup_own, backup_version, backup_channel, backup_node, migrations');
    await this.nats.jsm.consumers.delete(this.nats.topology.streamName('events'), 'backup');
  }

  async cleanup(): Promise<void> {
    await this.stop();
    await this.nats.cleanup();
    await this.schema.drop();
    await rm(this.directory, { recursive: true, force: true });
  }
}

/** peerOnline is a node event the backup does not read. */
function peerOnline(n: number): Envelope {
  return createMessage(PeerOnline, { id: deterministicId('PeerOnline', NODE, n), nodeId: NODE, occurredAt: '2026-03-04T05:06:07.000Z', causationId: null, data: { peer: pubkey(0x900 + n) } });
}

function summary(rows: readonly VersionRow[]): [string, number, number][] {
  return rows.map((row) => [row.node_id, row.version, row.channel_count]);
}

describe('backup service (NATS + PostgreSQL)', () => {
  let harness: Harness;

  afterEach(async () => {
    await harness.cleanup();
  });

  it('turns a scripted history into the expected versions, files, messages and API answers', async () => {
    harness = await Harness.create();
    const events = history();
    await harness.publishAll(events);
    // A repeated fact (a re-publish past the duplicate window) makes no version: the pending event
    // of a channel since resolved.
    await harness.publishCopy(events[2] as Envelope, 1);
    // Two events of a type the backup does not read: acknowledged, never handed to the engine.
    await harness.publishAll([peerOnline(1), peerOnline(2)]);
    const service = await harness.start();
    await harness.caughtUp();

    const rows = await harness.versions();
    expect(summary(rows)).toEqual(EXPECTED);
    const reference = await harness.reference();
    expect(rows.map((row) => [row.node_id, row.version, row.content_hash, row.channel_count, Number(row.stream_seq)])).toEqual(
      reference.map((ref) => [ref.nodeId, ref.version, ref.hash, ref.channels, ref.sequence]),
    );
    // Each stored file decrypts to its recorded version and hash.
    for (const row of rows) {
      const opened = openBackup(new Uint8Array(row.file), master, row.node_id);
      expect([opened.backupVersion, opened.contentHash]).toEqual([row.version, row.content_hash]);
    }

    // The target directory: the latest version in place, every earlier one archived, no temp file.
    const nodeDir = join(harness.directory, NODE);
    const current = await readFile(join(nodeDir, CHANNEL_SET_FILE));
    expect(current.equals(rows.filter((row) => row.node_id === NODE).at(-1)?.file ?? Buffer.alloc(0))).toBe(true);
    // A file replaced is archived under its version. Versions made and superseded within one batch
    // were never the current file: they are only in PostgreSQL.
    const archived = (await readdir(join(nodeDir, 'archive')).catch(() => [] as string[])).filter((name) => name.startsWith(CHANNEL_SET_FILE));
    for (const name of archived) {
      const version = Number(name.slice(`${CHANNEL_SET_FILE}.v`.length));
      expect(version >= 1 && version <= 5).toBe(true);
      expect((await readFile(join(nodeDir, 'archive', name))).equals(rows.find((row) => row.node_id === NODE && row.version === version)?.file ?? Buffer.alloc(0))).toBe(true);
    }
    expect((await readdir(nodeDir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(new Uint8Array(await readFile(join(nodeDir, OWN_BACKUP_FILE)))).toEqual(PACKED_2);
    expect((await stat(join(nodeDir, CHANNEL_SET_FILE))).mode & 0o777).toBe(0o600);

    // Own backups: two versions, verbatim.
    const own = await harness.sql<{ version: number; packed: Buffer; channel_count: number }>('SELECT version, packed, channel_count FROM backup_own ORDER BY version');
    expect(own.map((row) => [row.version, new Uint8Array(row.packed), row.channel_count])).toEqual([
      [1, PACKED_1, 2],
      [2, PACKED_2, 1],
    ]);

    // One BackupStored per version, in order per node.
    const messages = await harness.storedMessages();
    expect(messages.filter((m) => m.data.backup === 'CHANNEL_SET').map((m) => [m.nodeId, m.data.version, m.data.channelCount]).sort()).toEqual(
      [...EXPECTED].map((e) => [...e]).sort(),
    );
    expect(messages.filter((m) => m.data.backup === 'NODE_PACKED').map((m) => m.data.version)).toEqual([1, 2]);
    expect(messages.find((m) => m.nodeId === NODE && m.data.version === 6)?.data.contentHash).toBe(rows.find((r) => r.node_id === NODE && r.version === 6)?.content_hash);

    // The HTTP API.
    const base = service.http?.url ?? '';
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok', service: 'backup' });
    expect(await (await fetch(`${base}/health/ready`)).json()).toEqual({ status: 'ok', nats: 'connected', database: 'reachable', directory: 'writable' });
    const listed = (await (await fetch(`${base}/nodes/${NODE}/backups`)).json()) as { channelSet: { version: number }[]; nodePacked: { version: number }[] };
    expect(listed.channelSet.map((v) => v.version)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(listed.nodePacked.map((v) => v.version)).toEqual([1, 2]);
    const latest = (await (await fetch(`${base}/nodes/${NODE}/backups/latest`)).json()) as {
      channelSet: { version: number; channelCount: number };
      channels: { channelPoint: string }[];
      unlistedBySnapshot: string[];
    };
    expect(latest.channelSet).toMatchObject({ version: 6, channelCount: 1 });
    expect(latest.channels.map((c) => c.channelPoint)).toEqual([C2]);
    expect(latest.unlistedBySnapshot).toEqual([C2]);
    // /status: each of the 12 history events changed the projection (a snapshot that lists nothing
    // new still moves the node's latest snapshot), and so did the copy (a later position of a known
    // fact updates the channel's record, though it makes no version); the two peer events were
    // acknowledged by the consumer without being handled: 13 handled, 15 acknowledged.
    const last = (await harness.nats.jsm.streams.info(harness.nats.topology.streamName('events'))).state.last_seq;
    expect(last).toBe(events.length + 3);
    expect(await (await fetch(`${base}/status`)).json()).toMatchObject({
      events: { handled: events.length + 1, changedProjection: events.length + 1, unchanged: 0, putBack: 0 },
      versions: { channelSetStored: EXPECTED.length, ownStored: 2, pruned: 0 },
      // Files: each node's newest version of each batch, so at least one per node and at most one per version.
      files: { archivesPruned: 0 },
      consumer: { name: 'backup', acknowledgedThrough: last, pending: 0, awaitingAck: 0 },
    });
    const { files } = (await (await fetch(`${base}/status`)).json()) as { files: { channelSetWritten: number; ownWritten: number } };
    expect(files.channelSetWritten).toBeGreaterThanOrEqual(2);
    expect(files.channelSetWritten).toBeLessThanOrEqual(EXPECTED.length);
    expect(files.ownWritten).toBeGreaterThanOrEqual(1);
    expect(files.ownWritten).toBeLessThanOrEqual(2);
    expect((await fetch(`${base}/nodes/02${'99'.repeat(32)}/backups`)).status).toBe(404);
    expect((await fetch(`${base}/nodes/not-a-node/backups`)).status).toBe(400);

    // Without its target directory the service is alive but not ready.
    await rm(harness.directory, { recursive: true });
    const notReady = await fetch(`${base}/health/ready`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ status: 'unavailable', directory: 'unwritable' });
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });

  it('neither loses nor duplicates a version across a restart mid-stream and a crash before commit', async () => {
    harness = await Harness.create();
    const events = history();
    await harness.publishAll(events.slice(0, 5));
    await harness.start();
    await harness.caughtUp();
    expect(summary(await harness.versions())).toEqual([
      [NODE, 1, 2],
      [NODE, 2, 2],
      [NODE, 3, 3],
      [NODE, 4, 2],
      [OTHER_NODE, 1, 0],
    ]);
    await harness.stop();

    // While it is down the rest of the history arrives; at its next start one event fails once
    // after its file was written and its message published, before the commit (a crash there).
    await harness.publishAll(events.slice(5));
    const failAt = 7; // closed(C3, LOCAL_FORCE_CLOSE): version 5 of NODE
    let failures = 0;
    await harness.start({
      hooks: {
        beforeCommit: (_nodeId, sequence) => {
          if (sequence === failAt && failures === 0) {
            failures++;
            throw new Error('simulated crash before commit');
          }
        },
      },
    });
    await harness.caughtUp();
    expect(failures).toBe(1);
    expect(summary(await harness.versions())).toEqual(EXPECTED);
    const reference = await harness.reference();
    expect((await harness.versions()).map((row) => row.content_hash)).toEqual(reference.map((ref) => ref.hash));
    // The message of the version whose commit failed was published twice, stored once.
    const messages = await harness.storedMessages();
    expect(messages.filter((m) => m.data.backup === 'CHANNEL_SET')).toHaveLength(EXPECTED.length);
    expect(messages.filter((m) => m.data.backup === 'NODE_PACKED')).toHaveLength(2);
    // The file written before the failed commit (its batch's newest version) was recognised when the
    // events were applied again; the file it replaced, version 4, is archived.
    const rows = await harness.versions();
    const current = await readFile(join(harness.directory, NODE, CHANNEL_SET_FILE));
    expect(current.equals(rows.find((row) => row.node_id === NODE && row.version === 6)?.file ?? Buffer.alloc(0))).toBe(true);
    const archived = await readFile(join(harness.directory, NODE, 'archive', `${CHANNEL_SET_FILE}.v4`));
    expect(archived.equals(rows.find((row) => row.node_id === NODE && row.version === 4)?.file ?? Buffer.alloc(0))).toBe(true);
  });

  it('gives identical versions, byte for byte, after the projection is dropped and the stream replayed', async () => {
    harness = await Harness.create();
    await harness.publishAll(history());
    await harness.start();
    await harness.caughtUp();
    const before = await harness.versions();
    const filesBefore = await readFile(join(harness.directory, NODE, CHANNEL_SET_FILE));
    const messagesBefore = (await harness.storedMessages()).length;
    await harness.stop();

    await harness.dropProjection();
    await harness.start();
    await harness.caughtUp();
    const after = await harness.versions();
    expect(after.map((row) => [row.node_id, row.version, row.content_hash, row.stream_seq])).toEqual(
      before.map((row) => [row.node_id, row.version, row.content_hash, row.stream_seq]),
    );
    for (const [i, row] of after.entries()) expect(row.file.equals(before[i]?.file ?? Buffer.alloc(0))).toBe(true);
    // The channel-set files in place were recognised, not rewritten; the messages were duplicates
    // (same ids). The own backup file is rewritten through its history (it carries no version).
    expect((await readFile(join(harness.directory, NODE, CHANNEL_SET_FILE))).equals(filesBefore)).toBe(true);
    const counters = harness.service?.app.get(BackupEngine, { strict: false }).stats();
    expect(counters).toMatchObject({ channelSetVersions: EXPECTED.length, channelSetFilesWritten: 0, ownVersions: 2 });
    expect(new Uint8Array(await readFile(join(harness.directory, NODE, OWN_BACKUP_FILE)))).toEqual(PACKED_2);
    expect((await harness.storedMessages()).length).toBe(messagesBefore);
  });

  it('always leaves a complete, decryptable file in the target directory while versions are written', async () => {
    harness = await Harness.create();
    await harness.start();
    const path = join(harness.directory, NODE, CHANNEL_SET_FILE);
    const points = Array.from({ length: 40 }, (_, i) => channelPoint(0x1000 + i));
    const progress = { reading: true, reads: 0, newestSeen: 0 };
    // A reader polls the file as fast as it can while the service replaces it 40 times.
    const reader = (async () => {
      while (progress.reading) {
        const bytes = await readFile(path).catch((error: unknown) => {
          // Before the first version there is no file yet; after it, there always is one.
          if ((error as NodeJS.ErrnoException).code === 'ENOENT' && progress.newestSeen === 0) return null;
          throw error;
        });
        if (bytes !== null) {
          const opened = openBackup(new Uint8Array(bytes), master, NODE);
          expect(opened.backupVersion).toBeGreaterThanOrEqual(progress.newestSeen);
          progress.newestSeen = opened.backupVersion;
          progress.reads++;
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await harness.publishAll(points.map((point) => pending(point)));
    await harness.caughtUp();
    progress.reading = false;
    await reader;
    expect(progress.newestSeen).toBe(40);
    expect(progress.reads).toBeGreaterThan(0);
    expect(openBackup(new Uint8Array(await readFile(path)), master, NODE).channels).toHaveLength(40);
  });

  it('keeps one writer per node with two replicas: consecutive versions ending in the stream’s set', async () => {
    harness = await Harness.create();
    const second = await bootstrapService(createBackupService(), harness.env, { logger: false });
    try {
      await harness.start();
      const events: Envelope[] = [];
      for (let i = 0; i < 25; i++) {
        events.push(pending(channelPoint(0x2000 + i)), pending(channelPoint(0x3000 + i), {}, OTHER_NODE));
      }
      await harness.publishAll(events);
      await harness.caughtUp();
      const rows = await harness.versions();
      const reference = await harness.reference();
      for (const node of [NODE, OTHER_NODE]) {
        const mine = rows.filter((row) => row.node_id === node);
        // Every pending adds a channel, in whatever order the replicas took them: 25 versions, no gap, no repeat.
        expect(mine.map((row) => row.version)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
        expect(mine.at(-1)?.content_hash).toBe(reference.filter((ref) => ref.nodeId === node).at(-1)?.hash);
        expect((await readFile(join(harness.directory, node, CHANNEL_SET_FILE))).equals(mine.at(-1)?.file ?? Buffer.alloc(0))).toBe(true);
      }
      // Together the replicas stored each version once.
      const stored = [harness.service, second].map((service) => service?.app.get(BackupEngine, { strict: false }).stats().channelSetVersions ?? 0);
      expect(stored.reduce((a, b) => a + b, 0)).toBe(50);
    } finally {
      await second.stop();
    }
  });

  it('rewrites a lost file from the database at start', async () => {
    harness = await Harness.create();
    await harness.publishAll(history());
    await harness.start();
    await harness.caughtUp();
    await harness.stop();
    await rm(join(harness.directory, NODE, CHANNEL_SET_FILE));
    await rm(join(harness.directory, NODE, OWN_BACKUP_FILE));
    await harness.start();
    const rows = await harness.versions();
    const latest = rows.filter((row) => row.node_id === NODE).at(-1);
    expect((await readFile(join(harness.directory, NODE, CHANNEL_SET_FILE))).equals(latest?.file ?? Buffer.alloc(0))).toBe(true);
    expect(new Uint8Array(await readFile(join(harness.directory, NODE, OWN_BACKUP_FILE)))).toEqual(PACKED_2);
  });

  it('keeps only what the retention policy requires: the latest N once they are older than D', async () => {
    harness = await Harness.create({ BACKUP_RETAIN_LATEST: '2', BACKUP_RETAIN_DAYS: '1' });
    let now = Date.UTC(2026, 0, 1);
    await harness.start({ clock: { now: () => now } });
    // One at a time, so every version is the current file once (and is archived when replaced).
    const publishEach = async (events: readonly Envelope[]): Promise<void> => {
      for (const event of events) {
        await harness.publishAll([event]);
        await harness.caughtUp();
      }
    };
    await publishEach([pending(C1), pending(C2)]);
    // Two days later, two more versions: 1 and 2 are older than a day and not among the latest two.
    now += 2 * 86_400_000;
    await publishEach([pending(C3), pending(C4)]);
    expect(summary(await harness.versions())).toEqual([
      [NODE, 3, 3],
      [NODE, 4, 4],
    ]);
    // Their archived files went with them: the directory keeps what the database keeps.
    const archive = join(harness.directory, NODE, 'archive');
    const archivedChannelSets = async (): Promise<string[]> => (await readdir(archive)).filter((name) => name.startsWith(CHANNEL_SET_FILE)).sort();
    expect(await archivedChannelSets()).toEqual([`${CHANNEL_SET_FILE}.v3`]);
    // Young versions are all kept, beyond N, and so are their files.
    await publishEach([closed(C1, 'COOPERATIVE_CLOSE'), closed(C2, 'COOPERATIVE_CLOSE')]);
    expect((await harness.versions()).map((row) => row.version)).toEqual([3, 4, 5, 6]);
    expect(await archivedChannelSets()).toEqual([3, 4, 5].map((v) => `${CHANNEL_SET_FILE}.v${v}`));

    // Own backups likewise: the first, two days old and not among the latest two, goes with its archived file.
    const packed = (n: number): Uint8Array => new Uint8Array(Buffer.from(`packed multi-channel backup number ${n}, as lnd sealed it`));
    const ownArchive = (n: number): string => `${OWN_BACKUP_FILE}.${createHash('sha256').update(packed(n)).digest('hex').slice(0, 16)}`;
    await publishEach([backupUpdated(packed(1), [C3])]);
    now += 2 * 86_400_000;
    await publishEach([backupUpdated(packed(2), [C3]), backupUpdated(packed(3), [C3, C4])]);
    expect((await harness.sql<{ version: number }>('SELECT version FROM backup_own ORDER BY version')).map((row) => row.version)).toEqual([2, 3]);
    const ownArchives = (await readdir(archive)).filter((name) => name.startsWith(OWN_BACKUP_FILE));
    expect(ownArchives).toEqual([ownArchive(2)]);
    expect(ownArchives).not.toContain(ownArchive(1));
    expect(harness.service?.app.get(BackupEngine, { strict: false }).stats()).toMatchObject({ pruned: 3, archivesPruned: 3 });

    // An archived file left behind (a crash between the commit and the unlink) goes at the next start.
    await harness.stop();
    await writeFile(join(archive, `${CHANNEL_SET_FILE}.v1`), await readFile(join(archive, `${CHANNEL_SET_FILE}.v3`)));
    await harness.start({ clock: { now: () => now } });
    expect(await archivedChannelSets()).toEqual([3, 4, 5].map((v) => `${CHANNEL_SET_FILE}.v${v}`));
  });

  describe('tools', () => {
    let out: string;

    beforeEach(async () => {
      out = await mkdtemp(join(tmpdir(), 'lnfleet-backup-restore-'));
    });

    afterEach(async () => {
      await rm(out, { recursive: true, force: true });
    });

    /** storeHistory stores the history in two parts, so NODE's version 4 was its current file once (and is archived). */
    async function storeHistory(): Promise<void> {
      harness = await Harness.create();
      await harness.publishAll(history().slice(0, 4));
      await harness.start();
      await harness.caughtUp();
      await harness.publishAll(history().slice(4));
      await harness.caughtUp();
    }

    const database = (): { url: string; schema: string } => ({ url: harness.schema.databaseUrl, schema: harness.schema.schema });

    it('restores the latest, a numbered and a dated version, and the node’s own backup verbatim', async () => {
      await storeHistory();
      const latest = await restoreBackup({ nodeId: NODE, outFile: join(out, 'latest.json'), masterKey: master, from: { database: database() }, env: {} });
      expect(latest).toMatchObject({ version: 6, channelCount: 1, kind: 'channel-set' });
      const document = JSON.parse(await readFile(join(out, 'latest.json'), 'utf8')) as { backupVersion: number; channels: { channelPoint: string }[] };
      expect(document.backupVersion).toBe(6);
      expect(document.channels.map((c) => c.channelPoint)).toEqual([C2]);

      const third = await restoreBackup({ nodeId: NODE, version: 3, outFile: join(out, 'v3.json'), masterKey: MASTER_HEX, from: { database: database() }, env: {} });
      expect(third).toMatchObject({ version: 3, channelCount: 3 });
      const created = (await harness.sql<{ created_at: Date }>('SELECT created_at FROM backup_version WHERE node_id = $1 AND version = 2', [NODE]))[0]?.created_at;
      const dated = await restoreBackup({ nodeId: NODE, at: created, outFile: join(out, 'at.json'), masterKey: master, from: { database: database() }, env: {} });
      expect(dated.version).toBeGreaterThanOrEqual(2);

      const fromDirectory = await restoreBackup({ nodeId: NODE, version: 4, outFile: join(out, 'dir-v4.json'), masterKey: master, from: { directory: harness.directory }, env: {} });
      expect(fromDirectory).toMatchObject({ version: 4, channelCount: 2 });

      const packed = await restoreBackup({ nodeId: NODE, kind: 'node-packed', version: 1, outFile: join(out, 'channel.backup'), from: { database: database() }, env: {} });
      expect(packed).toMatchObject({ version: 1, channelCount: 2 });
      expect(new Uint8Array(await readFile(join(out, 'channel.backup')))).toEqual(PACKED_1);
      await expect(restoreBackup({ nodeId: NODE, outFile: join(out, 'latest.json'), masterKey: master, from: { database: database() }, env: {} })).rejects.toThrow(
        OutputExistsError,
      );
    });

    it('fails with a clear error and writes nothing under a wrong key or for a tampered backup', async () => {
      await storeHistory();
      const target = join(out, 'nested', 'restored.json');
      const wrongKey = parseMasterKey('11'.repeat(32));
      await expect(restoreBackup({ nodeId: NODE, outFile: target, masterKey: wrongKey, from: { database: database() }, env: {} })).rejects.toThrow(WrongKeyOrTamperedError);
      await expect(restoreBackup({ nodeId: NODE, outFile: target, masterKey: wrongKey, from: { directory: harness.directory }, env: {} })).rejects.toThrow(
        'the master key is wrong or the file was modified',
      );

      // Flip one byte of the stored ciphertext of the latest version.
      await harness.sql("UPDATE backup_version SET file = set_byte(file, 120, get_byte(file, 120) # 1) WHERE node_id = $1 AND version = 6", [NODE]);
      await expect(restoreBackup({ nodeId: NODE, outFile: target, masterKey: master, from: { database: database() }, env: {} })).rejects.toThrow(WrongKeyOrTamperedError);
      // And of the node's own backup: its bytes no longer match the recorded hash.
      await harness.sql("UPDATE backup_own SET packed = set_byte(packed, 0, get_byte(packed, 0) # 1) WHERE node_id = $1 AND version = 2", [NODE]);
      await expect(restoreBackup({ nodeId: NODE, kind: 'node-packed', outFile: target, from: { database: database() }, env: {} })).rejects.toThrow(ContentMismatchError);

      expect(await readdir(out)).toEqual([]);
    });

    it('verify finds every node matching the stream, then reports a planted mismatch and a lost file', async () => {
      await storeHistory();
      const options = { masterKey: master, connection: harness.nats.connection, namespace: harness.nats.topology.namespace, database: database(), directory: harness.directory, env: {} };
      const clean = await verifyBackups(options);
      expect(clean.ok).toBe(true);
      expect(clean.lagging).toBe(false);
      // Sorted by node id: 0277... before 035e...
      expect(clean.nodes.map((node) => [node.nodeId, node.backupVersion, node.expectedChannels, node.file])).toEqual([
        [OTHER_NODE, 2, 1, 'ok'],
        [NODE, 6, 1, 'ok'],
      ]);

      // Plant a latest backup of NODE that lacks C2 (validly encrypted, as a bug would store it).
      const empty = serializeChannelSet({ nodeId: NODE, channels: [] });
      const forged = encryptBackup(empty, deriveNodeKey(master, NODE), 6);
      await harness.sql('UPDATE backup_version SET file = $2, content_hash = $3 WHERE node_id = $1 AND version = 6', [NODE, Buffer.from(forged), contentHash(empty)]);
      await rm(join(harness.directory, OTHER_NODE, CHANNEL_SET_FILE));

      const report = await verifyBackups(options);
      expect(report.ok).toBe(false);
      const node = report.nodes.find((n) => n.nodeId === NODE);
      expect(node).toMatchObject({ ok: false, missing: [C2], unexpected: [], file: 'different' });
      expect(node?.problems.join('\n')).toContain(`missing from the backup: ${C2}`);
      expect(report.nodes.find((n) => n.nodeId === OTHER_NODE)).toMatchObject({ ok: false, missing: [], file: 'missing' });
    });
  });
});
