/**
 * `lnfleet backup restore|verify` against the backup service running on real NATS JetStream and
 * PostgreSQL: a node's channels are opened on the stream, the service stores its backups, and the
 * CLI restores and verifies them through the service's own tools (and audit sees the versions).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ensureStreams, JetStreamPublisher } from '@lnfleet/messaging';
import { bootstrapService, type RunningService } from '@lnfleet/service-kit';
import { testNats, testSchema, waitFor, type TestNats, type TestSchema } from '@lnfleet/testing';
import { createBackupService } from '@lnfleet/backup';
import { runCli } from './cli.js';
import { capturedIo } from './cli-test-io.fixture.js';
import { ExitCode } from './errors.js';
import { fleetChannel, fleetHistory, fleetNode } from './fleet-history.fixture.js';

const MASTER_HEX = '5c'.repeat(32);

describe('lnfleet backup (NATS + PostgreSQL + the backup service)', () => {
  let nats: TestNats;
  let schema: TestSchema;
  let directory: string;
  let out: string;
  let service: RunningService;
  let env: Record<string, string>;

  beforeAll(async () => {
    nats = await testNats('bkcli');
    schema = await testSchema('bkcli');
    directory = await mkdtemp(join(tmpdir(), 'lnfleet-cli-backup-'));
    out = await mkdtemp(join(tmpdir(), 'lnfleet-cli-restore-'));
    await ensureStreams(nats.jsm, Object.values(nats.topology.streams()));
    env = {
      NATS_URL: nats.natsUrl,
      DATABASE_URL: schema.databaseUrl,
      LNFLEET_NAMESPACE: nats.topology.namespace,
      DATABASE_SCHEMA: schema.schema,
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      BACKUP_DIR: directory,
      BACKUP_MASTER_KEY: MASTER_HEX,
    };
    service = await bootstrapService(createBackupService(), env, { logger: false });
    const publisher = new JetStreamPublisher(nats.js, nats.topology);
    for (const { stream, message } of fleetHistory({ nodes: 1, peers: 3, flaps: 0, startMs: Date.UTC(2026, 0, 1) })) {
      if (stream === 'events') await publisher.publish(message);
    }
    const client = new pg.Client({ connectionString: schema.databaseUrl });
    await client.connect();
    try {
      // Three opens and a close: four versions of the channel set.
      await waitFor(
        'the backup service to store four versions',
        async () => Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema.schema}".backup_version`)).rows[0]?.n ?? 0),
        (n) => n >= 4,
        30_000,
      );
    } finally {
      await client.end();
    }
  });

  afterAll(async () => {
    await service.stop();
    await schema.drop();
    await nats.cleanup();
    await rm(directory, { recursive: true, force: true });
    await rm(out, { recursive: true, force: true });
  });

  it('restores the latest channel-set backup as JSON, and an earlier version on request', async () => {
    const io = capturedIo(env);
    const file = join(out, 'latest.json');
    expect(await runCli(['backup', 'restore', fleetNode(0), '--out', file], io)).toBe(ExitCode.ok);
    expect(io.out()).toMatch(new RegExp(`^restored channel-set backup version 4 of node ${fleetNode(0)} .*2 channels`));
    const restored = await readFile(file, 'utf8');
    expect(restored).toContain(fleetChannel(0, 1));
    expect(restored).not.toContain(fleetChannel(0, 0)); // closed

    const first = capturedIo(env);
    expect(await runCli(['backup', 'restore', fleetNode(0), '--out', join(out, 'v1.json'), '--version', '1', '--json'], first)).toBe(ExitCode.ok);
    expect(JSON.parse(first.out())).toMatchObject({ nodeId: fleetNode(0), kind: 'channel-set', version: 1, channelCount: 1 });
  });

  it('refuses to overwrite, says when there is no such backup, and when the key is wrong', async () => {
    const again = capturedIo(env);
    expect(await runCli(['backup', 'restore', fleetNode(0), '--out', join(out, 'latest.json')], again)).toBe(ExitCode.usage);
    expect(again.err()).toContain('latest.json');

    const unknown = capturedIo(env);
    expect(await runCli(['backup', 'restore', fleetNode(9), '--out', join(out, 'none.json')], unknown)).toBe(ExitCode.notFound);
    expect(unknown.err()).toContain(fleetNode(9));

    const wrongKey = capturedIo({ ...env, BACKUP_MASTER_KEY: '11'.repeat(32) });
    expect(await runCli(['backup', 'restore', fleetNode(0), '--out', join(out, 'wrong.json')], wrongKey)).toBe(ExitCode.failure);
    await expect(readFile(join(out, 'wrong.json'))).rejects.toThrow();
  });

  it('verifies every node against the stream (exit 0), and audit shows the latest version', async () => {
    const io = capturedIo(env);
    expect(await runCli(['backup', 'verify', '--dir', directory, '--json'], io)).toBe(ExitCode.ok);
    const report = JSON.parse(io.out()) as { ok: boolean; nodes: { nodeId: string; ok: boolean; backupVersion: number }[] };
    expect(report.ok).toBe(true);
    expect(report.nodes).toEqual([expect.objectContaining({ nodeId: fleetNode(0), ok: true, backupVersion: 4 })]);

    const audit = capturedIo(env);
    expect(await runCli(['audit', fleetNode(0), '--at', 'now', '--json'], audit)).toBe(ExitCode.ok);
    const backups = (JSON.parse(audit.out()) as { backups: { backup: string; version: number; channelCount: number }[] }).backups;
    expect(backups).toEqual([expect.objectContaining({ backup: 'CHANNEL_SET', version: 4, channelCount: 2 })]);
  });

  it('says when PostgreSQL cannot be reached (exit 4)', async () => {
    const io = capturedIo({ ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres' });
    expect(await runCli(['backup', 'verify'], io)).toBe(ExitCode.unavailable);
    expect(io.err()).toContain('cannot connect to PostgreSQL');
  });
});
