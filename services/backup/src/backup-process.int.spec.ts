/**
 * The backup service as its own Node process (compiled from this source) against real NATS and
 * PostgreSQL, fed a stream of channel events so it writes versions continuously, and killed with
 * SIGKILL again and again: in the middle of a file write (the test setting
 * BACKUP_TEST_RENAME_DELAY_MS holds each write between its fsynced temp file and the rename, and
 * the kill lands while the temp file is there) and right after a commit. After every kill the
 * target directory must hold, for every node, a complete file that decrypts and is the version
 * the stream says (the stored one, or the next one when the kill fell between the rename and the
 * commit); after the last restart the service catches up and PostgreSQL holds exactly the
 * expected versions, none lost, none twice.
 *
 * Each node has at most one event whose version is not stored yet (the feeder publishes a node's
 * next event once the previous one's version is in PostgreSQL), so the expected sequence does not
 * depend on the order JetStream redelivers what a killed process held (see the README).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { KnownMessage, MessageByType, Pubkey } from '@lnfleet/contracts';
import { ensureStreams, JetStreamPublisher } from '@lnfleet/messaging';
import { testNats, testSchema, waitFor, type TestNats, type TestSchema } from '@lnfleet/testing';
import { compileBackup, type CompiledBackup } from './backup-process.fixture.js';
import { evolve, initialChannelSet, snapshotOf, type ChannelSet, type ChannelSetEvent } from './channel-set/channel-set.js';
import { NODE, OTHER_NODE, channelPoint, closed, opened, pending, pubkey } from './channel-set/events.fixture.js';
import { deriveNodeKey, encryptBackup, parseMasterKey } from './crypto/backup-crypto.js';
import { equalBytes } from './format/bytes.js';
import { contentHash, serializeChannelSet } from './format/serialize.js';
import { openBackup } from './restore/restore.js';
import { readIfExists, TEMP_SUFFIX } from './storage/atomic-file.js';
import { CHANNEL_SET_FILE } from './storage/backup-files.js';

const MASTER_HEX = '3c'.repeat(32);
const master = parseMasterKey(MASTER_HEX);
const NODES: readonly Pubkey[] = [NODE, OTHER_NODE, pubkey(0x7a, '03')];
const EVENTS_PER_NODE = 12;
/** How long each write holds its fsynced temp file before the rename: the window the kill aims at. */
const RENAME_DELAY_MS = 800;

/** script is one node's events: channels pending, opening, closing; each changes the set, so each makes a version. */
function script(node: Pubkey, base: number): ChannelSetEvent[] {
  const events: ChannelSetEvent[] = [];
  for (let i = 0; events.length < EVENTS_PER_NODE; i++) {
    events.push(pending(channelPoint(base + i), {}, node));
    if (i % 2 === 1) events.push(opened(channelPoint(base + i), {}, node));
    if (i % 3 === 2) events.push(closed(channelPoint(base + i - 2), 'COOPERATIVE_CLOSE', node));
  }
  return events.slice(0, EVENTS_PER_NODE);
}

/** ExpectedVersion is what a version must be: computed by the pure core and the deterministic encryption. */
interface ExpectedVersion {
  readonly version: number;
  readonly contentHash: string;
  readonly sequence: number;
  readonly file: Uint8Array;
}

interface StoredRow {
  node_id: string;
  version: number;
  content_hash: string;
  stream_seq: string;
  file: Buffer;
}

interface BackupProcess {
  readonly child: ChildProcess;
  readonly output: string[];
  readonly exited: Promise<NodeJS.Signals | number | null>;
  readonly startedAtMs: number;
}

describe('the backup service process killed with SIGKILL and restarted', () => {
  let build: CompiledBackup;
  let nats: TestNats;
  let schema: TestSchema;
  let directory: string;
  let publisher: JetStreamPublisher;
  const processes: BackupProcess[] = [];

  beforeAll(async () => {
    build = await compileBackup();
  });

  afterAll(() => {
    build.remove();
  });

  beforeEach(async () => {
    nats = await testNats('bkproc');
    schema = await testSchema('bkproc');
    directory = await mkdtemp(join(tmpdir(), 'lnfleet-backup-proc-'));
    await ensureStreams(nats.jsm, Object.values(nats.topology.streams()));
    publisher = new JetStreamPublisher(nats.js, nats.topology);
  });

  afterEach(async () => {
    for (const { child, exited } of processes.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
    await nats.cleanup();
    await schema.drop();
    await rm(directory, { recursive: true, force: true });
  });

  function startBackup(): BackupProcess {
    const env = {
      PATH: process.env.PATH ?? '',
      NATS_URL: nats.natsUrl,
      DATABASE_URL: schema.databaseUrl,
      LNFLEET_NAMESPACE: nats.topology.namespace,
      DATABASE_SCHEMA: schema.schema,
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      BACKUP_DIR: directory,
      BACKUP_MASTER_KEY: MASTER_HEX,
      BACKUP_TEST_RENAME_DELAY_MS: String(RENAME_DELAY_MS),
      // What the killed process held comes back after 2 s instead of 30.
      BACKUP_ACK_WAIT_MS: '2000',
    };
    const startedAtMs = Date.now();
    const child = spawn(process.execPath, [build.mainPath], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => {
      child.once('exit', (code, signal) => {
        resolve(signal ?? code);
      });
    });
    const started = { child, output, exited, startedAtMs };
    processes.push(started);
    return started;
  }

  async function sql<T>(query: string, parameters: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: schema.databaseUrl, options: `-c search_path="${schema.schema}"` });
    await client.connect();
    try {
      return (await client.query(query, parameters)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /** storedRows reads every stored channel-set version (empty before the service made its tables). */
  async function storedRows(): Promise<StoredRow[]> {
    for (const { child, output } of processes) {
      if (child.exitCode !== null) throw new Error(`the backup service exited with ${child.exitCode}:\n${output.join('')}`);
    }
    const exists = await sql<{ t: string | null }>("SELECT to_regclass('backup_version')::text AS t");
    if (exists[0]?.t === null || exists[0]?.t === undefined) return [];
    return sql<StoredRow>('SELECT node_id, version, content_hash, stream_seq, file FROM backup_version ORDER BY node_id, version');
  }

  it('always leaves a complete, decryptable backup, and neither loses nor duplicates a version', async () => {
    const scripts = new Map(NODES.map((node, i) => [node, script(node, 0x5000 + 0x100 * i)]));
    const cursor = new Map(NODES.map((node) => [node, 0]));
    const sets = new Map<Pubkey, ChannelSet>(NODES.map((node) => [node, initialChannelSet(node)]));
    const expected = new Map<Pubkey, ExpectedVersion[]>(NODES.map((node) => [node, []]));

    /** publish sends a node's next event and folds it through the pure core: the version it must make. */
    const publishNext = async (node: Pubkey): Promise<void> => {
      const index = cursor.get(node) ?? 0;
      const event = scripts.get(node)?.[index];
      if (event === undefined) throw new Error(`no channel event ${index} for ${node}`);
      cursor.set(node, index + 1);
      const receipt = await publisher.publish(event);
      const { state, changed } = evolve(sets.get(node) ?? initialChannelSet(node), event, receipt.sequence);
      expect(changed).toBe(true);
      sets.set(node, state);
      const plaintext = serializeChannelSet(snapshotOf(state));
      expected.get(node)?.push({
        version: state.version,
        contentHash: contentHash(plaintext),
        sequence: receipt.sequence,
        file: encryptBackup(plaintext, deriveNodeKey(master, node), state.version),
      });
    };

    /** feed publishes each node's next event once its last one is stored: versions keep coming, one open per node. */
    const feed = async (): Promise<StoredRow[]> => {
      const rows = await storedRows();
      for (const node of NODES) {
        const stored = rows.filter((row) => row.node_id === node).length;
        const published = expected.get(node)?.length ?? 0;
        if (stored >= published && (cursor.get(node) ?? 0) < EVENTS_PER_NODE) await publishNext(node);
      }
      return rows;
    };

    const expectedFile = (node: Pubkey, version: number): Uint8Array => {
      const found = expected.get(node)?.find((v) => v.version === version);
      if (found === undefined) throw new Error(`version ${version} of ${node} was never due`);
      return found.file;
    };

    /** checkDirectory: every node's file is complete, decrypts, and is the stored version or the next one; archives too. */
    const checkDirectory = async (): Promise<void> => {
      const rows = await storedRows();
      for (const node of NODES) {
        const mine = rows.filter((row) => row.node_id === node);
        const latest = mine.at(-1)?.version ?? 0;
        const file = await readIfExists(join(directory, node, CHANNEL_SET_FILE));
        if (file === null) {
          expect([node, latest]).toEqual([node, 0]);
          continue;
        }
        const backup = openBackup(file, master, node);
        // Written before its commit: the stored version, or the next one if the kill fell between rename and commit.
        expect([latest, latest + 1]).toContain(backup.backupVersion);
        expect(equalBytes(file, expectedFile(node, backup.backupVersion))).toBe(true);
        const storedFile = mine.find((row) => row.version === backup.backupVersion)?.file;
        if (storedFile !== undefined) expect(equalBytes(file, new Uint8Array(storedFile))).toBe(true);
        const archived = (await readdir(join(directory, node, 'archive')).catch(() => [] as string[])).flatMap((name) => {
          const match = new RegExp(`^${CHANNEL_SET_FILE.replaceAll('.', '\\.')}\\.v(\\d+)$`).exec(name);
          return match === null ? [] : [{ name, version: Number(match[1]) }];
        });
        for (const { name, version } of archived) {
          const bytes = await readIfExists(join(directory, node, 'archive', name));
          expect(bytes !== null && equalBytes(bytes, expectedFile(node, version))).toBe(true);
        }
      }
    };

    /** tempFilesSince lists the nodes whose channel-set temp file was (re)written after `sinceMs`: a write in progress. */
    const tempFilesSince = async (sinceMs: number): Promise<string[]> => {
      const found: string[] = [];
      for (const node of NODES) {
        const info = await stat(join(directory, node, CHANNEL_SET_FILE + TEMP_SUFFIX)).catch(() => null);
        if (info !== null && info.mtimeMs >= sinceMs) found.push(node);
      }
      return found;
    };

    const kill = async (running: BackupProcess): Promise<void> => {
      running.child.kill('SIGKILL');
      expect(await running.exited).toBe('SIGKILL');
    };

    let running = startBackup();
    let killedMidWrite = 0;
    for (const moment of ['mid-write', 'mid-write', 'after a commit', 'mid-write', 'mid-write'] as const) {
      if (moment === 'mid-write') {
        const since = running.startedAtMs;
        const writing = await waitFor(
          'a backup file write in progress',
          async () => {
            await feed();
            return tempFilesSince(since);
          },
          (nodes) => nodes.length > 0,
          60_000,
        );
        await kill(running);
        // The kill landed before the rename: the temp file is still there, and the main file is whole.
        expect((await tempFilesSince(since)).filter((node) => writing.includes(node))).not.toEqual([]);
        killedMidWrite++;
      } else {
        const before = (await storedRows()).length;
        await waitFor('a version committed', feed, (rows) => rows.length > before, 60_000);
        await kill(running);
      }
      await checkDirectory();
      running = startBackup();
    }
    expect(killedMidWrite).toBe(4);

    // The last process catches up: every event published, every version stored, the consumer drained.
    const total = NODES.length * EVENTS_PER_NODE;
    await waitFor('every event published and its version stored', feed, (rows) => rows.length === total && [...cursor.values()].every((n) => n === EVENTS_PER_NODE), 120_000);
    const stream = nats.topology.streamName('events');
    await waitFor(
      'the consumer to acknowledge everything',
      () => nats.jsm.consumers.info(stream, 'backup'),
      (info) => info.num_pending === 0 && info.num_ack_pending === 0,
      30_000,
    );
    await checkDirectory();

    const rows = await storedRows();
    for (const node of NODES) {
      const wanted = expected.get(node) ?? [];
      const mine = rows.filter((row) => row.node_id === node);
      expect(mine.map((row) => [row.version, row.content_hash, Number(row.stream_seq)])).toEqual(wanted.map((v) => [v.version, v.contentHash, v.sequence]));
      for (const [i, row] of mine.entries()) expect(equalBytes(new Uint8Array(row.file), wanted[i]?.file ?? new Uint8Array())).toBe(true);
      const current = await readIfExists(join(directory, node, CHANNEL_SET_FILE));
      expect(current !== null && equalBytes(current, wanted.at(-1)?.file ?? new Uint8Array())).toBe(true);
    }

    // One BackupStored per version, though some were published by a process killed before its commit.
    const derived = nats.topology.streamName('derived');
    const info = await nats.jsm.streams.info(derived);
    const announced: MessageByType<'BackupStored'>[] = [];
    for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
      const message = (await nats.jsm.streams.getMessage(derived, { seq }))?.json<KnownMessage>();
      if (message?.type === 'BackupStored') announced.push(message);
    }
    expect(announced.map((m) => `${m.nodeId}:${m.data.version}`).sort()).toEqual(
      NODES.flatMap((node) => (expected.get(node) ?? []).map((v) => `${node}:${v.version}`)).sort(),
    );

    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
  }, 240_000);
});
