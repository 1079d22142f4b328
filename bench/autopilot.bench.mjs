// Benchmark: autopilot decision latency — a BalanceChanged published → the first OpenChannel it
// causes published — with many managed nodes, on the real graph.
//
//   node bench/autopilot.bench.mjs [nodes] [eventsPerSecond]     (default 1000 100)
//
// Runs the built service (npm run build first; `npm run bench` does) against the local NATS and
// PostgreSQL in a fresh namespace and schema, on ../shared/data/ln-graph-2025-10-25.json.gz (or
// $LNFLEET_GRAPH; a random 5,000-node graph when absent). Every node gets an enabled policy, then
// one balance change each, paced at the given rate; the latency of each node's first command is
// measured on a core NATS subscription to the command subjects.
// Then the absorb rate: a deterministic fleet history of the same nodes (bench/lib/fleet-history.mjs,
// BENCH_AUTOPILOT_ABSORB events, default 50,000) published as fast as JetStream takes it; the
// autopilot folds it, deciding for every node an event changes (all of them are enabled), and the
// bench reports events/s until the consumer acknowledged the last, next to the raw consume rate;
// then the next BENCH_AUTOPILOT_ABSORB events of the history with every policy disabled (folding only).
// Target (issue 4): decision latency p99 < 50 ms with 1,000 managed nodes on a 2-core machine.
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { AutopilotPolicySet, BalanceChanged, createMessage, decodeMessage, Topology } from '@lnfleet/contracts';
import { JetStreamPublisher } from '@lnfleet/messaging';
import { bootstrapService } from '@lnfleet/service-kit';
import { createAutopilotService } from '../services/autopilot/dist/service.js';
import { AutopilotEngine } from '../services/autopilot/dist/decisions/autopilot-engine.js';
import { ChannelGraph } from '../services/autopilot/dist/graph/channel-graph.js';
import { FileGraphSource, StaticGraphSource } from '../services/autopilot/dist/graph/graph-source.js';
import { publishAll } from './lib/fleet-bench.mjs';
import { fleetHistory, fleetNodeKey } from './lib/fleet-history.mjs';
import { measureRawJetStream } from './lib/jetstream-raw.mjs';
import { formatRate, percentile, rssMiB } from './lib/stats.mjs';

const NODES = Number(process.argv[2] ?? 1000);
const RATE = Number(process.argv[3] ?? 100);
const ABSORB = Number(process.env.BENCH_AUTOPILOT_ABSORB ?? 50_000);
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const graphPath = process.env.LNFLEET_GRAPH ?? resolve(root, '../shared/data/ln-graph-2025-10-25.json.gz');

const hex = (n, width) => n.toString(16).padStart(width, '0');
// The fleet history's node keys: the absorb phase's events are for the same managed nodes.
const nodeKey = fleetNodeKey;

/** randomGraph is a stand-in when the real graph is absent: 5,000 nodes, 25,000 channels, all reachable. */
function randomGraph() {
  let state = 42;
  const next = () => ((state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);
  const pub = (i) => `02${hex(i + 1_000_000, 64)}`;
  const nodes = Array.from({ length: 5_000 }, (_, i) => ({ pubKey: pub(i), addresses: [{ network: 'tcp', addr: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}:9735` }] }));
  const channels = Array.from({ length: 25_000 }, (_, c) => ({ channelId: String(c + 1), node1: pub(Math.floor(next() * 5_000)), node2: pub(Math.floor(next() * 5_000)), capacitySat: 1_000_000 + Math.floor(next() * 9_000_000) }));
  return ChannelGraph.fromChannels(nodes, channels);
}

const namespace = `bench_ap_${hex(Math.floor(Math.random() * 2 ** 32), 8)}`;
const schema = namespace;
const topology = new Topology({ namespace });
const env = {
  NATS_URL,
  DATABASE_URL,
  LNFLEET_NAMESPACE: namespace,
  DATABASE_SCHEMA: schema,
  HTTP_PORT: '0',
  HTTP_HOST: '127.0.0.1',
  AUTOPILOT_HEARTBEAT_MS: '3600000',
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('AUTOPILOT_'))),
};
const connection = await connect({ servers: NATS_URL.split(',') });
const jsm = await jetstreamManager(connection);
const publisher = new JetStreamPublisher(jetstream(connection), topology);
let service;
try {
  // The machine's raw JetStream figures in this run: what the decision latency is quoted next to.
  const raw = await measureRawJetStream({ natsUrl: NATS_URL, messages: 50_000 });
  console.log(
    `raw JetStream (same run): publish ${formatRate(raw.publishPerSecond)}, consume (pull, ack each) ${formatRate(raw.consumePerSecond)}, ` +
      `publish ack p50 ${raw.publishAckP50Ms.toFixed(2)} ms, p99 ${raw.publishAckP99Ms.toFixed(2)} ms (512 in flight)`,
  );
  const real = existsSync(graphPath);
  const graphSource = real ? new FileGraphSource(graphPath, { workers: 2 }) : new StaticGraphSource(randomGraph(), 'random-5000', { workers: 2 });
  // The service loads the graph and its centrality before it starts consuming.
  let started = performance.now();
  // The graph is parsed in a worker thread: the event loop should not stall while it loads.
  const stalls = monitorEventLoopDelay({ resolution: 10 });
  stalls.enable();
  service = await bootstrapService(createAutopilotService({ graphSource }), env, { logger: ['error', 'warn'] });
  stalls.disable();
  const engine = service.app.get(AutopilotEngine);
  const view = await graphSource.current();
  console.log(
    `graph: ${real ? graphPath : 'random (real graph absent)'}: ${view.graph.nodeCount.toLocaleString('en-US')} nodes, ` +
      `${view.graph.channelCount.toLocaleString('en-US')} channels; service started with graph and centrality (2 workers) in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
      `longest event-loop stall meanwhile ${(stalls.max / 1e6).toFixed(0)} ms`,
  );

  // Policies for every node, then wait until the service has folded them all.
  started = performance.now();
  const policy = {
    enabled: true,
    dryRun: false,
    constraints: { chanLimit: 5, allocation: 0.6, minChanSizeSat: 20_000, maxChanSizeSat: 16_777_215, maxPendingOpens: 10 },
    heuristics: { top_centrality: 1 },
    setBy: 'bench',
  };
  const at = new Date().toISOString();
  await Promise.all(
    Array.from({ length: NODES }, (_, n) =>
      publisher.publishDerived('autopilot', createMessage(AutopilotPolicySet, { id: `bench-policy-${n}`, nodeId: nodeKey(n), occurredAt: at, causationId: null, data: policy })),
    ),
  );
  for (;;) {
    const consumer = await jsm.consumers.info(topology.streamName('derived'), 'autopilot-derived');
    if (engine.stats().decisions >= NODES && consumer.num_pending === 0 && consumer.num_ack_pending === 0) break;
    await sleep(50);
  }
  console.log(`policies: ${NODES} nodes enabled in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  // Where the time goes: when each balance event reaches the engine, and how long the engine takes.
  const reachedAt = new Map();
  const handling = [];
  const onEvent = engine.onEvent.bind(engine);
  engine.onEvent = async (event, origin) => {
    const began = performance.now();
    if (event.message.type === 'BalanceChanged') reachedAt.set(event.message.nodeId, began);
    await onEvent(event, origin);
    if (event.message.type === 'BalanceChanged') handling.push(performance.now() - began);
  };

  // One balance change per node, paced; the first command per node ends its measurement.
  const sentAt = new Map();
  const latencies = [];
  const firstCommand = new Set();
  const subscription = connection.subscribe(topology.allCommands(), {
    callback: (_error, msg) => {
      const decoded = decodeMessage(msg.data);
      if (!decoded.ok || firstCommand.has(decoded.message.nodeId)) return;
      const sent = sentAt.get(decoded.message.nodeId);
      if (sent === undefined) return;
      firstCommand.add(decoded.message.nodeId);
      latencies.push(performance.now() - sent);
    },
  });
  await connection.flush();
  const intervalMs = 1000 / RATE;
  started = performance.now();
  for (let n = 0; n < NODES; n++) {
    const due = started + n * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const nodeId = nodeKey(n);
    const message = createMessage(BalanceChanged, {
      id: `bench-balance-${n}`,
      nodeId,
      occurredAt: new Date().toISOString(),
      causationId: null,
      data: { confirmedSat: 100_000_000, unconfirmedSat: 0, lockedSat: 0, channelLocalSat: 0, channelRemoteSat: 0 },
    });
    sentAt.set(nodeId, performance.now());
    void publisher.publish(message);
  }
  const deadline = performance.now() + 60_000;
  while (firstCommand.size < NODES && performance.now() < deadline) await sleep(50);
  subscription.unsubscribe();
  const elapsed = (performance.now() - started) / 1000;
  const stats = engine.stats();
  console.log(
    `decision latency (BalanceChanged published → first OpenChannel published), ${latencies.length}/${NODES} nodes at ${RATE}/s: ` +
      `p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms ` +
      `(target p99 < 50 ms)`,
  );
  const delivery = [...reachedAt].map(([nodeId, reached]) => reached - (sentAt.get(nodeId) ?? reached));
  console.log(
    `  published → handler: p50 ${percentile(delivery, 50).toFixed(1)} ms, p99 ${percentile(delivery, 99).toFixed(1)} ms; ` +
      `handler (fold, decide, publish, commit): p50 ${percentile(handling, 50).toFixed(1)} ms, p99 ${percentile(handling, 99).toFixed(1)} ms`,
  );
  console.log(`  ${stats.commands.toLocaleString('en-US')} commands, ${stats.decisions.toLocaleString('en-US')} decisions in ${elapsed.toFixed(1)} s; rss ${rssMiB()} MiB`);
  if (latencies.length < NODES) process.exitCode = 1;
  engine.onEvent = onEvent;

  // Absorb: a fleet history of the same nodes, published as fast as JetStream takes it; first with
  // the autopilot enabled on every node (a decision for each node a batch changes), then the next
  // part of the history with every policy disabled (folding only, as in the ingest benchmark).
  const eventsStream = topology.streamName('events');
  const history = fleetHistory({ events: 2 * ABSORB, nodes: NODES, startMs: Date.now() - 10 * 3_600_000 });
  const absorb = async (label) => {
    const events = Array.from({ length: ABSORB }, () => history.next().value).filter((event) => event !== undefined);
    const lastBefore = (await jsm.streams.info(eventsStream)).state.last_seq;
    const before = engine.stats();
    const began = performance.now();
    const published = await publishAll(publisher, topology, events);
    const publishedAt = performance.now();
    const lastSeq = (await jsm.streams.info(eventsStream)).state.last_seq;
    const backlogAt = lastSeq - (await jsm.consumers.info(eventsStream, 'autopilot-events')).ack_floor.stream_seq;
    for (;;) {
      const consumer = await jsm.consumers.info(eventsStream, 'autopilot-events');
      if (consumer.ack_floor.stream_seq >= lastSeq && consumer.num_pending === 0 && consumer.num_ack_pending === 0) break;
      await sleep(20);
    }
    const drainedAt = performance.now();
    const after = engine.stats();
    const count = lastSeq - lastBefore;
    const overall = count / ((drainedAt - began) / 1000);
    const folded = after.applied - before.applied + after.duplicates - before.duplicates;
    console.log(
      `absorb, ${label} (${count.toLocaleString('en-US')} fleet events of ${NODES} nodes): ${formatRate(overall)} ` +
        `(= ${(overall / raw.consumePerSecond).toFixed(2)}× the raw consume rate) from the first publish to the last acknowledgement in ${((drainedAt - began) / 1000).toFixed(1)} s; ` +
        `published at ${formatRate(published.count / (published.ms / 1000))}`,
    );
    if (backlogAt >= 1_000) {
      const drainRate = backlogAt / ((drainedAt - publishedAt) / 1000);
      console.log(
        `  the ${backlogAt.toLocaleString('en-US')} events still unabsorbed when publishing ended were absorbed at ${formatRate(drainRate)} ` +
          `(= ${(drainRate / raw.consumePerSecond).toFixed(2)}× raw consume; the service alone on the event loop)`,
      );
    }
    console.log(
      `  handled ${folded.toLocaleString('en-US')} (events and the decisions' own records; peer flaps are acknowledged unread): ` +
        `${(after.applied - before.applied).toLocaleString('en-US')} changed the projection; ${(after.batches - before.batches).toLocaleString('en-US')} transactions, ` +
        `${(after.decisions - before.decisions).toLocaleString('en-US')} decisions, ${(after.commands - before.commands).toLocaleString('en-US')} commands; rss ${rssMiB()} MiB`,
    );
  };
  await absorb('autopilot enabled on every node');
  const disabledAt = new Date().toISOString();
  await Promise.all(
    Array.from({ length: NODES }, (_, n) =>
      publisher.publishDerived('autopilot', createMessage(AutopilotPolicySet, { id: `bench-policy-off-${n}`, nodeId: nodeKey(n), occurredAt: disabledAt, causationId: null, data: { ...policy, enabled: false } })),
    ),
  );
  const policiesOff = (await jsm.streams.info(topology.streamName('derived'))).state.last_seq;
  for (;;) {
    const consumer = await jsm.consumers.info(topology.streamName('derived'), 'autopilot-derived');
    if (consumer.ack_floor.stream_seq >= policiesOff && consumer.num_pending === 0 && consumer.num_ack_pending === 0) break;
    await sleep(50);
  }
  await absorb('every policy disabled: folding only');
} finally {
  await service?.stop().catch(() => undefined);
  for (const spec of Object.values(topology.streams())) await jsm.streams.delete(spec.name).catch(() => false);
  await connection.close();
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
}
