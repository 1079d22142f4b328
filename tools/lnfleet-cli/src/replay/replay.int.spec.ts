/**
 * `lnfleet replay` against real NATS JetStream and PostgreSQL, with the live service running in
 * the same process: a busy fleet history is published and handled live, the CLI rebuilds the
 * projection beside it and switches over, the rebuilt projection equals what the live service had
 * built, and the live service goes on applying new events, into the rebuilt tables.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { JetStreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import type { KnownMessage } from '@lnfleet/contracts';
import { ensureStreams, JetStreamPublisher } from '@lnfleet/messaging';
import { bootstrapService, type RunningService } from '@lnfleet/service-kit';
import { testInfrastructure, testNats, uniqueName, waitFor, type TestNats } from '@lnfleet/testing';
import { createAutopilotService } from '../../../../services/autopilot/src/service.js';
import { createChanfitnessService } from '../../../../services/chanfitness/src/service.js';
import { measureReplay } from '../benchmark.js';
import { runReplay } from './replay.js';
import { runCli } from '../cli.js';
import { capturedIo } from '../cli-test-io.fixture.js';
import { ExitCode } from '../errors.js';
import { fleetChannel, fleetHistory, fleetNode, fleetPeer } from '../fleet-history.fixture.js';
import type { ScriptedMessage } from '../scripted-fleet.fixture.js';
import { projectionSnapshot } from './projection-snapshot.js';
import { REPLAY_TARGETS, type ReplayService } from './targets.js';

const SAMPLE_GRAPH = fileURLToPath(new URL('../../../../services/autopilot/src/graph/describegraph.sample.json', import.meta.url));
const START = Date.UTC(2026, 0, 1);

interface Fleet {
  readonly nats: TestNats;
  readonly env: Record<string, string>;
  readonly client: pg.Client;
  readonly liveSchema: string;
  readonly service: RunningService;
  publish(script: readonly ScriptedMessage[]): Promise<void>;
  /** caughtUp waits until the live service's durables have nothing pending or unacknowledged. */
  caughtUp(): Promise<void>;
  cleanup(): Promise<void>;
}

const schemasToDrop = new Set<string>();

async function fleet(service: ReplayService, extraEnv: Record<string, string> = {}): Promise<Fleet> {
  const { databaseUrl } = await testInfrastructure();
  const nats = await testNats(`rp${service.slice(0, 2)}`);
  await ensureStreams(nats.jsm, Object.values(nats.topology.streams()));
  const liveSchema = uniqueName(`rp_${service}`);
  schemasToDrop.add(liveSchema);
  const env = {
    NATS_URL: nats.natsUrl,
    DATABASE_URL: databaseUrl,
    LNFLEET_NAMESPACE: nats.topology.namespace,
    DATABASE_SCHEMA: liveSchema,
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    AUTOPILOT_GRAPH_FILE: SAMPLE_GRAPH,
    AUTOPILOT_GRAPH_SNAPSHOTS: 'false',
    AUTOPILOT_HEARTBEAT_MS: '3600000',
    // Centrality on the event loop: the worker script exists only once built.
    AUTOPILOT_CENTRALITY_WORKERS: '0',
    CHANFITNESS_REJUDGE_MS: '0',
    ...extraEnv,
  };
  const definition = service === 'autopilot' ? createAutopilotService() : createChanfitnessService();
  const running = await bootstrapService(definition, env, { logger: ['error'] });
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const publisher = new JetStreamPublisher(nats.js, nats.topology);
  const consumers = REPLAY_TARGETS[service].liveConsumers(nats.topology, env);
  return {
    nats,
    env,
    client,
    liveSchema,
    service: running,
    async publish(script) {
      for (const { stream, message } of script) {
        if (stream === 'events') await publisher.publish(message);
        else await publisher.publishDerived(derivedBy(message), message);
      }
    },
    async caughtUp() {
      await waitFor('the live service to catch up', () => lag(nats.jsm, consumers), (behind) => behind === 0, 30_000);
    },
    async cleanup() {
      await running.stop().catch(() => undefined);
      for (const schema of schemasToDrop) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      schemasToDrop.clear();
      await client.end();
      await nats.cleanup();
    },
  };
}

async function lag(jsm: JetStreamManager, consumers: readonly { stream: string; durable: string }[]): Promise<number> {
  let behind = 0;
  for (const { stream, durable } of consumers) {
    const info = await jsm.consumers.info(stream, durable);
    behind += info.num_pending + info.num_ack_pending;
  }
  return behind;
}

/** storedEvents counts the fitness events on the events stream (every one must be in the projection once). */
async function storedEvents(f: Fleet): Promise<number> {
  const info = await f.nats.jsm.streams.info(f.nats.topology.streamName('events'), { subjects_filter: f.nats.topology.allNodeEvents() });
  let count = 0;
  for (const [subject, n] of Object.entries(info.state.subjects ?? {})) {
    if (/\.(ChannelOpened|ChannelClosed|PeerOnline|PeerOffline|NodeStateSnapshot)$/.test(subject)) count += n;
  }
  return count;
}

function derivedBy(message: KnownMessage): 'autopilot' | 'chanfitness' {
  if (message.type === 'AutopilotPolicySet' || message.type === 'AutopilotDecision') return 'autopilot';
  if (message.type === 'PeerFitnessChanged') return 'chanfitness';
  throw new Error(`${message.type} is not derived`);
}

/** switchedTo reads the retired schema's name from the CLI's report. */
function retiredSchema(stdout: string): string {
  const match = /previous one is kept as (\S+)/.exec(stdout);
  if (match?.[1] === undefined) throw new Error(`no switch-over reported in: ${stdout}`);
  schemasToDrop.add(match[1]);
  return match[1];
}

async function channelStatus(client: pg.Client, schema: string, channelPoint: string): Promise<string | null> {
  const result = await client.query<{ status: string }>(`SELECT status FROM "${schema}".autopilot_channel WHERE channel_point = $1`, [channelPoint]);
  return result.rows[0]?.status ?? null;
}

describe('lnfleet replay (NATS + PostgreSQL)', () => {
  it('autopilot: rebuilds beside the running service, switches over, equals the live projection, and the live service continues', async () => {
    const f = await fleet('autopilot');
    try {
      await f.publish(fleetHistory({ nodes: 6, peers: 4, flaps: 3, startMs: START }));
      await f.caughtUp();
      const before = await projectionSnapshot(f.client, 'autopilot', f.liveSchema);
      expect(before.autopilot_channel).toHaveLength(24);
      expect(before.autopilot_policy).toHaveLength(3);
      // The live autopilot decided for the nodes whose policy is not a dry run, and recorded the opens.
      expect(before.autopilot_pending_open?.length).toBeGreaterThan(0);

      const io = capturedIo(f.env);
      const code = await runCli(['replay', 'autopilot', '--live-wait', '20'], io);
      expect(io.err()).toContain('switch-over: locked');
      expect(code).toBe(ExitCode.ok);
      expect(io.out()).toContain(`switched over: schema ${f.liveSchema} is now the rebuilt projection`);
      const retired = retiredSchema(io.out());

      expect(await projectionSnapshot(f.client, 'autopilot', f.liveSchema)).toEqual(before);
      expect(await projectionSnapshot(f.client, 'autopilot', retired)).toEqual(before);

      // The live service keeps working, now on the rebuilt tables.
      const later = fleetHistory({ nodes: 2, peers: 1, flaps: 0, startMs: START + 3_600_000, round: 1 });
      await f.publish(later);
      await waitFor('the live autopilot to apply a new channel', () => channelStatus(f.client, f.liveSchema, fleetChannel(1, 0, 1)), (status) => status === 'closed');
      expect(await channelStatus(f.client, retired, fleetChannel(1, 0, 1))).toBeNull();
      await f.caughtUp();
    } finally {
      await f.cleanup();
    }
  }, 120_000);

  it('autopilot, in small batches with writes overlapping the folding: the rebuild equals the live projection', async () => {
    const f = await fleet('autopilot');
    try {
      const history = fleetHistory({ nodes: 6, peers: 4, flaps: 3, startMs: START });
      await f.publish(history);
      await f.caughtUp();
      const schema = uniqueName('rp_small');
      schemasToDrop.add(schema);
      // Two messages a fetch (one read ahead), a write every three folded events (one in flight).
      const outcome = await runReplay({ service: 'autopilot', switchOver: false, schema, batchSize: 2, flushEvery: 3 }, f.env);
      const derived = await f.nats.jsm.streams.info(f.nats.topology.streamName('derived'));
      expect(outcome.events).toBe(history.filter((item) => item.stream === 'events').length + derived.state.messages);
      const live = await projectionSnapshot(f.client, 'autopilot', f.liveSchema);
      expect(live.autopilot_channel).toHaveLength(24);
      expect(await projectionSnapshot(f.client, 'autopilot', schema)).toEqual(live);
    } finally {
      await f.cleanup();
    }
  }, 120_000);

  it('chanfitness: switches over under a running service that keeps answering, with the verdicts it published', async () => {
    const f = await fleet('chanfitness', { CHANFITNESS_MAX_FLAP_COUNT: '1', CHANFITNESS_MIN_OBSERVED_MS: '0' });
    try {
      await f.publish(fleetHistory({ nodes: 5, peers: 4, flaps: 4, startMs: START }));
      await f.caughtUp();
      const before = await projectionSnapshot(f.client, 'chanfitness', f.liveSchema);
      expect(before.fitness_node).toHaveLength(5);
      // The live service judged flapping peers unfit and published it: the rebuild must know.
      expect(before.peer_fitness_status?.length).toBeGreaterThan(0);
      // Answers as of fixed instants (not "now"), so they can be compared.
      const url = (atMs: number) => `${f.service.http?.url ?? ''}/nodes/${fleetNode(1)}/peers/${fleetPeer(1)}?at=${new Date(atMs).toISOString()}`;
      const early = START + 1_800_000;
      const answerBefore: unknown = await (await fetch(url(early))).json();

      const io = capturedIo(f.env);
      const code = await runCli(['replay', 'chanfitness', '--live-wait', '20'], io);
      expect(io.err()).toContain('switch-over: locked');
      expect(code).toBe(ExitCode.ok);
      const retired = retiredSchema(io.out());
      expect(await projectionSnapshot(f.client, 'chanfitness', f.liveSchema)).toEqual(before);
      expect(await projectionSnapshot(f.client, 'chanfitness', retired)).toEqual(before);
      expect(await (await fetch(url(early))).json()).toEqual(answerBefore);

      // New flaps reach the rebuilt tables through the live service, and its answers include them.
      const flapsBefore = (answerBefore as { flapCount: number }).flapCount;
      await f.publish(fleetHistory({ nodes: 2, peers: 2, flaps: 2, startMs: START + 3_600_000, round: 1 }));
      await f.caughtUp();
      const eventsAfter = await f.client.query<{ n: string }>(`SELECT count(*) AS n FROM "${f.liveSchema}".fitness_event WHERE node_id = $1`, [fleetNode(1)]);
      const eventsRetired = await f.client.query<{ n: string }>(`SELECT count(*) AS n FROM "${retired}".fitness_event WHERE node_id = $1`, [fleetNode(1)]);
      expect(Number(eventsAfter.rows[0]?.n)).toBeGreaterThan(Number(eventsRetired.rows[0]?.n));
      const answerAfter = (await (await fetch(url(START + 7_200_000))).json()) as { flapCount: number };
      expect(answerAfter.flapCount).toBeGreaterThan(flapsBefore);
    } finally {
      await f.cleanup();
    }
  }, 120_000);

  it.each(['autopilot', 'chanfitness'] as const)(
    '%s: events keep arriving during the rebuild and the switch-over; afterwards the live projection equals a fresh rebuild (nothing lost, nothing twice)',
    async (service) => {
      const f = await fleet(service, { CHANFITNESS_MAX_FLAP_COUNT: '1', CHANFITNESS_MIN_OBSERVED_MS: '0' });
      try {
        await f.publish(fleetHistory({ nodes: 4, peers: 3, flaps: 4, startMs: START }));
        await f.caughtUp();
        // Published one by one, paced, while the CLI rebuilds, waits for the live service, locks
        // and switches; the last few only after it is done.
        const during = fleetHistory({ nodes: 4, peers: 3, flaps: 30, startMs: START + 3_600_000, round: 1 });
        const held = during.slice(-10);
        let published = 0;
        const publishing = (async () => {
          for (const item of during.slice(0, -10)) {
            await f.publish([item]);
            published++;
            await sleep(3);
          }
        })();
        const io = capturedIo(f.env);
        const publishedAtStart = published;
        const code = await runCli(['replay', service, '--live-wait', '20'], io);
        const publishedAtEnd = published;
        expect(io.err()).not.toContain('lnfleet:');
        expect(code).toBe(ExitCode.ok);
        retiredSchema(io.out());
        await publishing;
        await f.publish(held);
        await f.caughtUp();
        expect(publishedAtEnd).toBeGreaterThan(publishedAtStart);

        const check = uniqueName('rp_check');
        schemasToDrop.add(check);
        expect(await runCli(['replay', service, '--no-switch', '--schema', check], capturedIo(f.env))).toBe(ExitCode.ok);
        const live = await projectionSnapshot(f.client, service, f.liveSchema);
        expect(live).toEqual(await projectionSnapshot(f.client, service, check));
        if (service === 'chanfitness') expect(live.fitness_event).toHaveLength(await storedEvents(f));
      } finally {
        await f.cleanup();
      }
    },
    120_000,
  );

  it('--no-switch builds the schema beside the live one and leaves the live one alone', async () => {
    const f = await fleet('chanfitness');
    try {
      await f.publish(fleetHistory({ nodes: 2, peers: 2, flaps: 1, startMs: START }));
      await f.caughtUp();
      const schema = uniqueName('rp_side');
      schemasToDrop.add(schema);
      const io = capturedIo(f.env);
      const code = await runCli(['replay', 'chanfitness', '--no-switch', '--schema', schema], io);
      expect(code).toBe(ExitCode.ok);
      expect(io.out()).toContain(`not switched over (--no-switch): the live service still uses ${f.liveSchema}`);
      const live = await projectionSnapshot(f.client, 'chanfitness', f.liveSchema);
      expect(await projectionSnapshot(f.client, 'chanfitness', schema)).toEqual(live);
      expect(io.err()).toMatch(/replay chanfitness: \d+ events, caught up in/);

      // The same name again is refused before anything is written.
      const again = capturedIo(f.env);
      expect(await runCli(['replay', 'chanfitness', '--no-switch', '--schema', schema], again)).toBe(ExitCode.usage);
      expect(again.err()).toContain(`schema ${schema} already exists`);
    } finally {
      await f.cleanup();
    }
  });

  it('--from starts every source at the first message stored at or after the time', async () => {
    const f = await fleet('chanfitness');
    try {
      await f.publish(fleetHistory({ nodes: 2, peers: 2, flaps: 2, startMs: START }));
      const last = await f.nats.jsm.streams.getMessage(f.nats.topology.streamName('events'), { last_by_subj: f.nats.topology.nodeEventSubject(fleetNode(1), 'BalanceChanged') });
      if (last === null) throw new Error('the first part is not on the stream');
      const from = last.time.getTime() + 1;
      await waitFor('the clock to pass the first part', () => Date.now(), (now) => now > from);
      const second = fleetHistory({ nodes: 1, peers: 2, flaps: 1, startMs: START + 3_600_000, round: 1 });
      await f.publish(second);
      const schema = uniqueName('rp_from');
      schemasToDrop.add(schema);
      const io = capturedIo(f.env);
      expect(await runCli(['replay', 'chanfitness', '--no-switch', '--schema', schema, '--from', String(from)], io)).toBe(ExitCode.ok);
      expect(io.err()).toContain(`from ${new Date(from).toISOString()}`);
      const stored = await f.client.query<{ message_id: string }>(`SELECT message_id FROM "${schema}".fitness_event ORDER BY message_id`);
      const expected = second.filter((item) => /^(ChannelOpened|ChannelClosed|PeerOnline|PeerOffline)$/.test(item.message.type)).map((item) => item.message.id);
      expect(stored.rows.map((row) => row.message_id)).toEqual([...expected].sort());
    } finally {
      await f.cleanup();
    }
  });

  it('measureReplay times a rebuild of every event into a scratch schema it drops afterwards', async () => {
    const f = await fleet('chanfitness');
    try {
      const history = fleetHistory({ nodes: 3, peers: 3, flaps: 2, startMs: START });
      await f.publish(history);
      const speed = await measureReplay('chanfitness', f.env);
      // chanfitness reads every node event and its own verdicts (none here: default thresholds).
      expect(speed.events).toBe(history.filter((item) => item.stream === 'events').length);
      expect(speed.seconds).toBeGreaterThan(0);
      expect(speed.eventsPerSecond).toBeCloseTo(speed.events / speed.seconds, 6);
      const scratch = await f.client.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", [`bench_replay_chanfitness_${process.pid}_%`]);
      expect(scratch.rows).toEqual([]);
    } finally {
      await f.cleanup();
    }
  });

  it('says when PostgreSQL cannot be reached (exit 4)', async () => {
    const io = capturedIo({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres' });
    expect(await runCli(['replay', 'autopilot'], io)).toBe(ExitCode.unavailable);
    expect(io.err()).toMatch(/^lnfleet: cannot connect to PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/postgres: .*Set DATABASE_URL/);
  });
});
