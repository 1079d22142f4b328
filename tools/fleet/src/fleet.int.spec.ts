/**
 * The fleet command as a newcomer runs it, in its scripted mode: the built services on a
 * simulated fleet against real NATS and PostgreSQL, then against the embedded fallbacks.
 * Each run has its own namespace and schemas (or embedded, throw-away infrastructure).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { testInfrastructure, uniqueName, type TestInfrastructure } from '@lnfleet/testing';
import { freePort } from './infra/probe.js';
import type { SummaryFigures } from './summary.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const MAIN = join(ROOT, 'tools/fleet/dist/main.js');

interface FleetRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly summary: SummaryFigures | undefined;
}

/** runFleet runs the built fleet command to its end and reads its final JSON summary. */
function runFleet(args: readonly string[], env: Record<string, string | undefined>, timeoutMs: number): Promise<FleetRun> {
  return new Promise((resolvePromise, reject) => {
    const childEnv: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...process.env, ...env })) if (value !== undefined) childEnv[key] = value;
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fleet command still running after ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('LNFLEET_SUMMARY '));
      const summary = line === undefined ? undefined : (JSON.parse(line.slice('LNFLEET_SUMMARY '.length)) as SummaryFigures);
      resolvePromise({ code, stdout, stderr, summary });
    });
  });
}

/** A variable set to '' counts as unset for the fleet command (as for every service). */
const UNSET = '';

describe('npm start (the fleet command, scripted)', () => {
  let infra: TestInfrastructure;
  let workDir: string;

  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'lnfleet-fleet-test-'));
    // The command starts the built services: build what changed (nx caches the rest).
    const build = spawnSync(process.execPath, [join(ROOT, 'node_modules/nx/dist/bin/nx.js'), 'run-many', '-t', 'build', '--output-style=static'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
  }, 600_000);

  beforeAll(async () => {
    infra = await testInfrastructure();
  });

  afterAll(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  it('runs the fleet on NATS and PostgreSQL: every node managed, the autopilot opens channels, peers flap, backups are stored', async () => {
    const name = uniqueName('fleet');
    // --until-working ends the run as soon as the fleet shows all of this (--for bounds it).
    const run = await runFleet(['--nodes', '6', '--graph', 'synthetic', '--for', '120', '--until-working', '--json'], {
      NATS_URL: infra.natsUrl,
      DATABASE_URL: infra.databaseUrl,
      LNFLEET_NAMESPACE: name,
      LNFLEET_SCHEMA_PREFIX: name,
      BACKUP_DIR: join(workDir, name),
      LNFLEET_LOG_FILE: join(workDir, `${name}.log`),
    }, 240_000);
    try {
      expect(run.code).toBe(0);
      expect(run.summary?.services).toEqual({ 'node-gateway': 'ready', autopilot: 'ready', chanfitness: 'ready', backup: 'ready' });
      expect(run.stdout).toMatch(/lnfleet: the fleet works after \d+ s \(--until-working\)/);
      expect(run.summary?.nodes).toEqual({ configured: 6, reporting: 6, autopilotEnabled: 6 });
      expect(run.summary?.channels.openedByAutopilot).toBeGreaterThan(0);
      expect(run.summary?.autopilot.decisions).toBeGreaterThan(0);
      expect(run.summary?.peers.flaps).toBeGreaterThan(0);
      expect(run.summary?.backups.stored).toBeGreaterThan(0);
      expect(run.summary?.backups.nodesBackedUp).toBeGreaterThan(0);
      expect(run.summary?.consumerLag.consumers.map((c) => c.durable)).toEqual(expect.arrayContaining(['autopilot-events', 'chanfitness', 'node-gateway']));
      expect(run.stdout).toContain('lnfleet: stopped');
      // The projections are where the command said: the autopilot's in this run's schema.
      const client = new pg.Client({ connectionString: infra.databaseUrl });
      await client.connect();
      try {
        const rows = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${name}_autopilot".autopilot_node`);
        expect(Number(rows.rows[0]?.n)).toBe(6);
      } finally {
        await client.end();
      }
    } finally {
      await dropRun(infra, name);
    }
  }, 300_000);

  it('falls back to embedded PostgreSQL when DATABASE_URL is unset and nothing answers at the probed address: channels opened, backups stored', async () => {
    const closedPort = await freePort();
    const run = await runFleet(['--nodes', '3', '--graph', 'synthetic', '--for', '120', '--until-working', '--json'], {
      NATS_URL: infra.natsUrl,
      DATABASE_URL: UNSET,
      LNFLEET_NAMESPACE: UNSET,
      LNFLEET_SCHEMA_PREFIX: UNSET,
      LNFLEET_POSTGRES_PROBE: `127.0.0.1:${closedPort}`,
      LNFLEET_LOG_FILE: join(workDir, 'embedded-postgres.log'),
    }, 240_000);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`nothing answers at 127.0.0.1:${closedPort}; starting embedded PostgreSQL (PGlite`);
    expect(run.summary?.nodes).toEqual({ configured: 3, reporting: 3, autopilotEnabled: 3 });
    expect(run.summary?.channels.openedByAutopilot).toBeGreaterThan(0);
    expect(run.summary?.backups.stored).toBeGreaterThan(0);
    // The run's made-up namespace is gone with its embedded database.
    const namespace = /streams of this run are namespaced (\S+)/.exec(run.stdout)?.[1];
    expect(namespace).toMatch(/^fleet_[a-z0-9]+$/);
    const nc = await connect({ servers: infra.natsUrl });
    try {
      const jsm = await jetstreamManager(nc);
      const names: string[] = [];
      for await (const stream of jsm.streams.list()) names.push(stream.config.name);
      expect(names.filter((n) => n.startsWith(`${(namespace ?? '').toUpperCase()}_`))).toEqual([]);
    } finally {
      await nc.close();
    }
  }, 300_000);

  it('starts an embedded nats-server when nothing answers at NATS_URL', async () => {
    // PostgreSQL is the test's own here: the embedded one is the test above, and takes long to start.
    const natsPort = await freePort();
    const name = uniqueName('fleetnats');
    const run = await runFleet(['--nodes', '3', '--graph', 'synthetic', '--exit-when-ready'], {
      NATS_URL: `nats://127.0.0.1:${natsPort}`,
      DATABASE_URL: infra.databaseUrl,
      LNFLEET_NAMESPACE: UNSET,
      LNFLEET_SCHEMA_PREFIX: name,
      LNFLEET_LOG_FILE: join(workDir, 'embedded-nats.log'),
    }, 240_000);
    try {
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`nothing answers at nats://127.0.0.1:${natsPort}; starting \\S*nats-server with JetStream`));
      expect(run.stdout).toContain('all 4 services connected to NATS and PostgreSQL');
      expect(run.stdout).toContain('lnfleet: stopped');
    } finally {
      await dropRun(infra, name);
    }
  }, 300_000);

  it('says what to install when nothing answers at NATS_URL and there is no nats-server', async () => {
    const natsPort = await freePort();
    const run = await runFleet(['--exit-when-ready'], {
      NATS_URL: `nats://127.0.0.1:${natsPort}`,
      LNFLEET_NATS_SERVER: join(workDir, 'no-such-nats-server'),
      LNFLEET_LOG_FILE: join(workDir, 'no-nats.log'),
    }, 60_000);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`nothing answers at nats://127.0.0.1:${natsPort} and no nats-server binary was found`);
    expect(run.stdout).toContain('apt-get install nats-server');
  });
});

/** dropRun removes a run's streams and schemas. */
async function dropRun(infra: TestInfrastructure, name: string): Promise<void> {
  const nc = await connect({ servers: infra.natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const stream of jsm.streams.list()) {
      if (stream.config.name.startsWith(`${name.toUpperCase()}_`) || stream.config.name === `OBJ_${name.toUpperCase()}_LNFLEET_GRAPH`) await jsm.streams.delete(stream.config.name);
    }
  } finally {
    await nc.close();
  }
  const client = new pg.Client({ connectionString: infra.databaseUrl });
  await client.connect();
  try {
    for (const service of ['node_gateway', 'autopilot', 'chanfitness', 'backup']) await client.query(`DROP SCHEMA IF EXISTS "${name}_${service}" CASCADE`);
  } finally {
    await client.end();
  }
}
