/**
 * The autopilot service end to end, against real NATS JetStream and PostgreSQL: events published
 * on the stream, policies set through the HTTP API, OpenChannel commands and AutopilotDecision
 * records read back from the streams. Every test has its own namespace and schema.
 *
 * The graph: node 0 (the managed node) alone, and two paths 1-2-3 and 4-5-6. Only the middle
 * nodes 2 and 5 have a positive centrality, so with enough budget the autopilot opens exactly
 * two channels, to 2 and 5, of the maximum size each.
 */
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { decodeMessage, type KnownMessage, type MessageByType, type Topology } from '@lnfleet/contracts';
import { JetStreamPublisher } from '@lnfleet/messaging';
import { bootstrapService, type RunningService } from '@lnfleet/service-kit';
import { testInfrastructure, uniqueName, waitFor } from '@lnfleet/testing';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Objm } from '@nats-io/obj';
import { AutopilotEngine, GRAPH_SOURCE } from './decisions/autopilot-engine.js';
import { ManualClock } from './decisions/clock.js';
import { StaticGraphSource, type GraphSource } from './graph/graph-source.js';
import { buildTestGraph, testPubKey } from './heuristics/test-graphs.fixture.js';
import { balanceEvent, FIXTURE_POLICY, failedEvent, fitnessEvent, openedEvent, requestedEvent, type PolicyData, T0 } from './projection/projection.fixture.js';
import { createAutopilotService, type AutopilotDependencies } from './service.js';

const GRAPH = buildTestGraph(7, [
  [1, 2],
  [2, 3],
  [4, 5],
  [5, 6],
]);
const MIDDLE_PEERS = [testPubKey(2), testPubKey(5)].sort();
const SAMPLE_GRAPH_FILE = fileURLToPath(new URL('./graph/describegraph.sample.json', import.meta.url));
const MAX_CHAN = FIXTURE_POLICY.constraints.maxChanSizeSat;
/** Managed nodes: node 0 of the graph, and more nodes outside it (they see the same candidates). */
const node = (i: number): string => (i === 0 ? testPubKey(0) : `03${i.toString(16).padStart(64, '0')}`);

interface Fleet {
  readonly env: Record<string, string>;
  readonly topology: Topology;
  readonly connection: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly publisher: JetStreamPublisher;
  readonly clock: ManualClock;
  readonly services: RunningService[];
  start(dependencies?: AutopilotDependencies, env?: Record<string, string>): Promise<RunningService>;
  cleanup(): Promise<void>;
}

async function fleet(): Promise<Fleet> {
  const { natsUrl, databaseUrl } = await testInfrastructure();
  const env = {
    NATS_URL: natsUrl,
    DATABASE_URL: databaseUrl,
    LNFLEET_NAMESPACE: uniqueName('ap'),
    DATABASE_SCHEMA: uniqueName('ap'),
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    // The heartbeat is driven by hand (engine.heartbeat()) in these tests.
    AUTOPILOT_HEARTBEAT_MS: '3600000',
    AUTOPILOT_COMMAND_TTL_MS: '1800000',
    AUTOPILOT_OUTCOME_GRACE_MS: '60000',
  };
  const connection = await connect({ servers: natsUrl });
  const jsm = await jetstreamManager(connection);
  const clock = new ManualClock(T0);
  const graphSource = new StaticGraphSource(GRAPH, 'test-graph-v1');
  const services: RunningService[] = [];
  const schemas = new Set<string>([env.DATABASE_SCHEMA]);
  let topology: Topology | undefined;
  const result: Fleet = {
    env,
    get topology() {
      if (topology === undefined) throw new Error('start a service first');
      return topology;
    },
    connection,
    jsm,
    get publisher() {
      return new JetStreamPublisher(jetstream(connection), result.topology);
    },
    clock,
    services,
    async start(dependencies = {}, overrides = {}) {
      const service = await bootstrapService(createAutopilotService({ clock, graphSource, ...dependencies }), { ...env, ...overrides }, { logger: ['error'] });
      schemas.add((service.context.dataSource.options as { schema: string }).schema);
      topology = service.context.topology;
      services.push(service);
      return service;
    },
    async cleanup() {
      for (const service of services.splice(0)) await service.stop().catch(() => undefined);
      if (topology !== undefined) {
        for (const spec of Object.values(topology.streams())) await jsm.streams.delete(spec.name).catch(() => false);
        await jsm.streams.delete(`OBJ_${topology.graphSnapshotBucket()}`).catch(() => false);
      }
      await connection.close();
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
  return result;
}

/** storedMessages decodes every message stored in a stream (work-queue commands stay until a consumer takes them). */
async function storedMessages(f: Fleet, role: 'commands' | 'derived'): Promise<KnownMessage[]> {
  const name = f.topology.streamName(role);
  const info = await f.jsm.streams.info(name);
  const messages: KnownMessage[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const stored = await f.jsm.streams.getMessage(name, { seq }).catch(() => null);
    if (stored === null) continue;
    const decoded = decodeMessage(stored.data);
    if (!decoded.ok) throw new Error(`undecodable message #${seq} in ${name}`);
    messages.push(decoded.message);
  }
  return messages;
}

async function commands(f: Fleet, nodeId?: string): Promise<MessageByType<'OpenChannel'>[]> {
  return (await storedMessages(f, 'commands')).filter(
    (m): m is MessageByType<'OpenChannel'> => m.type === 'OpenChannel' && (nodeId === undefined || m.nodeId === nodeId),
  );
}

async function decisions(f: Fleet, nodeId?: string): Promise<MessageByType<'AutopilotDecision'>[]> {
  return (await storedMessages(f, 'derived')).filter(
    (m): m is MessageByType<'AutopilotDecision'> => m.type === 'AutopilotDecision' && (nodeId === undefined || m.nodeId === nodeId),
  );
}

/** caughtUp waits until the autopilot's durables have nothing left to deliver and everything delivered acknowledged. */
async function caughtUp(f: Fleet, prefix = 'autopilot'): Promise<void> {
  for (const [role, durable] of [
    ['events', `${prefix}-events`],
    ['derived', `${prefix}-derived`],
    ['derived', `${prefix}-fitness`],
  ] as const) {
    const stream = f.topology.streamName(role);
    await waitFor(
      `${durable} to be caught up`,
      async () => {
        const consumer = await f.jsm.consumers.info(stream, durable);
        return { pending: consumer.num_pending, unacked: consumer.num_ack_pending, delivered: consumer.delivered.consumer_seq, acked: consumer.ack_floor.consumer_seq };
      },
      (state) => state.pending === 0 && state.unacked === 0 && state.acked === state.delivered,
      30_000,
    );
  }
}

async function setPolicy(service: RunningService, nodeId: string, overrides: Partial<PolicyData> = {}): Promise<Response> {
  const url = service.http?.url;
  if (url === undefined) throw new Error('the autopilot has no HTTP API');
  return fetch(`${url}/nodes/${nodeId}/autopilot/policy`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...FIXTURE_POLICY, ...overrides }),
  });
}

/** policyApplied waits until the node's projection holds a policy matching `expected`. */
async function policyApplied(service: RunningService, nodeId: string, expected: Partial<PolicyData> = {}): Promise<void> {
  const engine = service.app.get(AutopilotEngine);
  await waitFor(
    `the policy of ${nodeId} to be applied`,
    async () => (await engine.projection(nodeId)).policy,
    (policy) => policy !== null && Object.entries(expected).every(([key, value]) => isDeepStrictEqual(policy[key as keyof typeof policy], value)),
  );
}

const peersOf = (list: readonly MessageByType<'OpenChannel'>[]): string[] => list.map((c) => c.data.peer).sort();

describe('autopilot service (real NATS JetStream and PostgreSQL)', () => {
  let f: Fleet;

  beforeEach(async () => {
    f = await fleet();
  });

  afterEach(async () => {
    await f.cleanup();
  });

  it('given a node with a policy, a balance event makes it open max-size channels to the central peers, and records the decision', async () => {
    const service = await f.start();
    const accepted = await setPolicy(service, node(0));
    expect(accepted.status).toBe(202);
    await policyApplied(service, node(0));
    await f.publisher.publish(balanceEvent(10_000_000, node(0)));
    await waitFor('two OpenChannel commands', () => commands(f, node(0)), (list) => list.length >= 2);
    await caughtUp(f);

    const sent = await commands(f, node(0));
    expect(peersOf(sent)).toEqual(MIDDLE_PEERS);
    for (const command of sent) {
      expect(command.data).toMatchObject({ localFundingSat: MAX_CHAN, pushSat: 0, targetConf: 3, minConfs: 1, private: false });
      expect(command.data.peerAddresses).toHaveLength(1);
      expect(Date.parse(command.data.expiresAt)).toBe(T0 + 1_800_000);
    }
    const recorded = await decisions(f, node(0));
    // The policy's own decision (no funds at all: lnd's budget is then (0, 0)), then the balance's.
    expect(recorded.map((d) => [d.data.trigger.kind, d.data.trigger.messageType, d.data.stoppedBy])).toEqual([
      ['policy', 'AutopilotPolicySet', 'enough-channels'],
      ['event', 'BalanceChanged', 'candidates-exhausted'],
    ]);
    const decision = recorded[1]!;
    expect(decision.data.budget).toEqual({ amountSat: 5_000_000, channels: 5 });
    expect(decision.data.candidates.map((c) => [c.peer, c.score])).toEqual(MIDDLE_PEERS.map((p) => [p, 1]));
    expect(decision.data.chosen.map((c) => c.commandId).sort()).toEqual(sent.map((c) => c.id).sort());
    expect(decision.data).toMatchObject({ graphVersion: 'test-graph-v1', dryRun: false, chanSizeSat: MAX_CHAN });
    for (const command of sent) expect(command.causationId).toBe(decision.id);

    const projection = await service.app.get(AutopilotEngine).projection(node(0));
    expect([...projection.pendingOpens.values()].map((o) => [o.peer, o.status]).sort()).toEqual(MIDDLE_PEERS.map((p) => [p, 'in-flight']));
    const shown = await fetch(`${service.http?.url ?? ''}/nodes/${node(0)}/autopilot`);
    expect(shown.status).toBe(200);
    expect(await shown.json()).toMatchObject({
      nodeId: node(0),
      policy: { enabled: true, dryRun: false },
      spendableSat: 10_000_000,
      pendingOpens: [{ status: 'in-flight' }, { status: 'in-flight' }],
    });
  });

  it('leaves out a peer chanfitness reports as unfit', async () => {
    const service = await f.start();
    await f.publisher.publishDerived('chanfitness', fitnessEvent(testPubKey(5), false, node(0)));
    await setPolicy(service, node(0));
    await policyApplied(service, node(0));
    await waitFor('the verdict to be applied', () => service.app.get(AutopilotEngine).projection(node(0)), (p) => p.fitness.size === 1);
    await f.publisher.publish(balanceEvent(10_000_000, node(0)));
    await waitFor('a decision that opens', () => decisions(f, node(0)), (list) => list.some((d) => d.data.chosen.length > 0));
    await caughtUp(f);
    expect(peersOf(await commands(f, node(0)))).toEqual([testPubKey(2)]);
    expect((await decisions(f, node(0))).at(-1)?.data.inputs.unfitPeerCount).toBe(1);
  });

  it('re-evaluates enabled nodes on the heartbeat timer (AUTOPILOT_HEARTBEAT_MS)', async () => {
    const service = await f.start({}, { AUTOPILOT_HEARTBEAT_MS: '200' });
    const engine = service.app.get(AutopilotEngine);
    await setPolicy(service, node(0));
    await policyApplied(service, node(0));
    await f.publisher.publish(balanceEvent(10_000_000, node(0)));
    await waitFor('two commands', () => commands(f, node(0)), (list) => list.length === 2);
    // Both opens expire (30 min + 1 min grace) with no outcome: the timer's heartbeat reopens them.
    const rounds = engine.stats().heartbeats;
    f.clock.advance(32 * 60_000);
    await waitFor('a heartbeat round to reopen both', () => commands(f, node(0)), (list) => list.length === 4);
    // The round counts as done once it has gone through every enabled node.
    await waitFor('the heartbeat round to finish', () => engine.stats().heartbeats, (n) => n > rounds);
    expect((await decisions(f, node(0))).at(-1)?.data.trigger.kind).toBe('heartbeat');
  });

  it("follows the gateway's graph snapshots: the file graph serves until a snapshot arrives", async () => {
    const service = await f.start(
      { graphSource: undefined },
      { AUTOPILOT_GRAPH_FILE: SAMPLE_GRAPH_FILE, AUTOPILOT_GRAPH_SNAPSHOTS: 'true', AUTOPILOT_CENTRALITY_WORKERS: '0' },
    );
    const source = service.app.get<symbol, GraphSource>(GRAPH_SOURCE);
    // The sample file: a path 1-2-3 where 3 announces no address; only 2 scores.
    await setPolicy(service, node(0));
    await policyApplied(service, node(0));
    await f.publisher.publish(balanceEvent(10_000_000, node(0)));
    await waitFor('the open on the file graph', () => commands(f, node(0)), (list) => list.length === 1);
    expect(peersOf(await commands(f, node(0)))).toEqual([testPubKey(2)]);

    // The gateway stores a snapshot of the test graph (two paths, both middles reachable).
    const json = {
      nodes: GRAPH.pubKeys.map((pubKey, i) => ({ pub_key: pubKey, alias: '', addresses: GRAPH.addresses[i] })),
      edges: GRAPH.channelIds.map((id, c) => ({ channel_id: id, node1_pub: GRAPH.pubKeys[GRAPH.channelNode1[c]!], node2_pub: GRAPH.pubKeys[GRAPH.channelNode2[c]!], capacity: String(GRAPH.capacities[c]) })),
    };
    const bytes = gzipSync(JSON.stringify(json));
    const version = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const store = await new Objm(f.connection).create(f.topology.graphSnapshotBucket());
    await store.putBlob({ name: `describegraph-${version.slice(7)}.json.gz` }, bytes);
    await waitFor('the snapshot to become the current graph', async () => (await source.current()).version, (v) => v === version);

    await setPolicy(service, node(1));
    await policyApplied(service, node(1));
    await f.publisher.publish(balanceEvent(10_000_000, node(1)));
    await waitFor('the opens on the snapshot graph', () => commands(f, node(1)), (list) => list.length === 2);
    expect(peersOf(await commands(f, node(1)))).toEqual(MIDDLE_PEERS);
    expect((await decisions(f, node(1))).at(-1)?.data.graphVersion).toBe(version);
  });

  it('without any channel graph it decides `no-graph` instead of waiting, and is not ready until a snapshot arrives', async () => {
    // No file, no graph in code: only the gateway's snapshots, and none stored yet.
    const service = await f.start({ graphSource: undefined }, { AUTOPILOT_GRAPH_SNAPSHOTS: 'true', AUTOPILOT_CENTRALITY_WORKERS: '0' });
    const url = service.http?.url ?? '';
    const notReady = await fetch(`${url}/health/ready`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ status: 'unavailable', checks: { graph: { ready: false } } });

    await setPolicy(service, node(0));
    await policyApplied(service, node(0));
    const balance = balanceEvent(10_000_000, node(0));
    await f.publisher.publish(balance);
    await waitFor(
      'a decision on the balance',
      () => decisions(f, node(0)),
      (list) => list.some((d) => d.data.trigger.messageId === balance.id),
    );
    const stopped = (await decisions(f, node(0))).find((d) => d.data.trigger.messageId === balance.id);
    expect(stopped?.data).toMatchObject({ stoppedBy: 'no-graph', graphVersion: 'none', chosen: [], budget: { channels: 5 } });
    await caughtUp(f);
    expect(await commands(f, node(0))).toEqual([]);

    // The gateway stores a snapshot: the service becomes ready and the heartbeat opens channels.
    const json = {
      nodes: GRAPH.pubKeys.map((pubKey, i) => ({ pub_key: pubKey, alias: '', addresses: GRAPH.addresses[i] })),
      edges: GRAPH.channelIds.map((id, c) => ({ channel_id: id, node1_pub: GRAPH.pubKeys[GRAPH.channelNode1[c] ?? 0], node2_pub: GRAPH.pubKeys[GRAPH.channelNode2[c] ?? 0], capacity: String(GRAPH.capacities[c]) })),
    };
    const store = await new Objm(f.connection).create(f.topology.graphSnapshotBucket());
    await store.putBlob({ name: 'describegraph-test.json.gz' }, gzipSync(JSON.stringify(json)));
    await waitFor('the service to be ready', async () => (await fetch(`${url}/health/ready`)).status, (status) => status === 200);
    await service.app.get(AutopilotEngine).heartbeat();
    expect(peersOf(await commands(f, node(0)))).toEqual(MIDDLE_PEERS);
  });

  it('a second decision before the balance shows the first decision\'s opens spent does not spend the funds again', async () => {
    // A path 1-…-10: eight central nodes, more than one decision's budget uses.
    const path = buildTestGraph(11, Array.from({ length: 9 }, (_, i) => [i + 1, i + 2] as [number, number]));
    const service = await f.start({ graphSource: new StaticGraphSource(path, 'path-v1') });
    const engine = service.app.get(AutopilotEngine);
    // Channel limit 10: only the allocation (half of all funds in channels) limits the opens.
    const constraints = { ...FIXTURE_POLICY.constraints, chanLimit: 10 };
    await setPolicy(service, node(1), { constraints });
    await policyApplied(service, node(1), { constraints });
    await f.publisher.publish(balanceEvent(10_000_000, node(1)));
    await waitFor('the first decision', () => commands(f, node(1)), (list) => list.length === 5);
    await caughtUp(f);
    // Half of 10 BTC-sats is allocated by five 1,000,000 opens; the wallet still shows 10,000,000.
    expect((await commands(f, node(1))).map((c) => c.data.localFundingSat)).toEqual(Array(5).fill(1_000_000));

    // More decisions before the gateway reports the funding: the heartbeat, and a fact about a peer.
    await engine.heartbeat();
    await f.publisher.publishDerived('chanfitness', fitnessEvent(testPubKey(9), true, node(1)));
    await caughtUp(f);
    expect(await commands(f, node(1))).toHaveLength(5);
    const last = (await decisions(f, node(1))).at(-1);
    expect(last?.data).toMatchObject({ chosen: [], stoppedBy: 'enough-channels', inputs: { walletBalanceSat: 5_000_000, pendingOpenCount: 5 } });
  });

  it('fleet-wide diversity: a peer other managed nodes already have enough channels with is skipped', async () => {
    const service = await f.start();
    const constraints = { ...FIXTURE_POLICY.constraints, maxFleetChannelsPerPeer: 1 };
    for (const nodeId of [node(1), node(2)]) await setPolicy(service, nodeId, { constraints });
    for (const nodeId of [node(1), node(2)]) await policyApplied(service, nodeId, { constraints });
    await f.publisher.publish(balanceEvent(10_000_000, node(1)));
    await waitFor('the first node to open', () => commands(f, node(1)), (list) => list.length === 2);
    // Its commands are published before its opens are committed; the second decision comes after both.
    await waitFor('the first node\'s opens to be committed', () => service.app.get(AutopilotEngine).projection(node(1)), (p) => p.pendingOpens.size === 2);
    await f.publisher.publish(balanceEvent(10_000_000, node(2)));
    await caughtUp(f);
    expect(peersOf(await commands(f, node(1)))).toEqual(MIDDLE_PEERS);
    expect(await commands(f, node(2))).toEqual([]);
    expect((await decisions(f, node(2))).at(-1)?.data).toMatchObject({ chosen: [], stoppedBy: 'no-candidates', inputs: { crowdedPeerCount: 2 } });
  });

  it("records a policy at the autopilot's clock, as its decisions are", async () => {
    const service = await f.start();
    f.clock.set(T0 + 42_000);
    expect((await setPolicy(service, node(0))).status).toBe(202);
    const recorded = (await storedMessages(f, 'derived')).filter((m) => m.type === 'AutopilotPolicySet');
    expect(recorded.map((m) => m.occurredAt)).toEqual([new Date(T0 + 42_000).toISOString()]);
  });

  it('rejects an invalid policy with 400 and records nothing', async () => {
    const service = await f.start();
    const response = await setPolicy(service, node(0), { heuristics: { top_centrality: 0.5 } });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain('heuristic weights must sum to 1');
    const badNode = await setPolicy(service, 'not-a-node');
    expect(badNode.status).toBe(400);
    const info = await f.jsm.streams.info(f.topology.streamName('derived'));
    expect(info.state.messages).toBe(0);
  });

  it('a repeated event (a copy under a new id, and a crash before commit) sends no second command', async () => {
    let crashes = 0;
    const service = await f.start({
      hooks: {
        beforeCommit: () => {
          // Crash once, after the balance's decision published its commands and its record.
          if (crashes === 0 && f.services[0]?.app.get(AutopilotEngine).stats().commands === 2) {
            crashes++;
            throw new Error('simulated crash between publishing and committing');
          }
        },
      },
    });
    await setPolicy(service, node(0));
    await policyApplied(service, node(0));
    const balance = balanceEvent(10_000_000, node(0));
    await f.publisher.publish(balance);
    const engine = service.app.get(AutopilotEngine);
    await waitFor('the balance to be committed after the crash', () => engine.projection(node(0)), (p) => p.balance !== null);
    await caughtUp(f);
    expect(crashes).toBe(1);
    expect(peersOf(await commands(f, node(0)))).toEqual(MIDDLE_PEERS);

    // The gateway re-publishes the same fact under a new id (after its duplicate window).
    await f.publisher.publish({ ...balance, id: `${balance.id}-again` });
    // The very same message again: JetStream drops it.
    await f.publisher.publish(balance);
    await caughtUp(f);
    expect(peersOf(await commands(f, node(0)))).toEqual(MIDDLE_PEERS);
    const last = (await decisions(f, node(0))).at(-1);
    expect(last?.data).toMatchObject({ trigger: { messageId: `${balance.id}-again` }, chosen: [], inputs: { pendingOpenCount: 2 } });
  });

  it('dry run records the decision and sends no command', async () => {
    const service = await f.start();
    await setPolicy(service, node(0), { dryRun: true });
    await policyApplied(service, node(0), { dryRun: true });
    await f.publisher.publish(balanceEvent(10_000_000, node(0)));
    await waitFor('the dry-run decision', () => decisions(f, node(0)), (list) => list.some((d) => d.data.chosen.length > 0));
    await caughtUp(f);
    const decision = (await decisions(f, node(0))).find((d) => d.data.chosen.length > 0);
    expect(decision?.data.dryRun).toBe(true);
    expect(decision?.data.chosen.map((c) => c.peer).sort()).toEqual(MIDDLE_PEERS);
    expect(await commands(f)).toEqual([]);
    const projection = await service.app.get(AutopilotEngine).projection(node(0));
    expect(projection.pendingOpens.size).toBe(0);
  });

  it('a failed open frees its slot and backs off the peer; expired opens free theirs on the heartbeat', async () => {
    const service = await f.start();
    const engine = service.app.get(AutopilotEngine);
    await setPolicy(service, node(0));
    await policyApplied(service, node(0));
    await f.publisher.publish(balanceEvent(10_000_000, node(0)));
    await waitFor('two commands', () => commands(f, node(0)), (list) => list.length === 2);
    const first = await commands(f, node(0));
    const failing = first.find((c) => c.data.peer === testPubKey(2))!;
    await f.publisher.publish(failedEvent(failing.id, testPubKey(2), MAX_CHAN, T0, null, node(0)));
    await caughtUp(f);
    // The slot is free but peer 2 is backed off: nobody else scores, so no new command.
    expect(await commands(f, node(0))).toHaveLength(2);
    let projection = await engine.projection(node(0));
    expect(projection.failures.get(testPubKey(2))).toMatchObject({ attempts: 1 });

    // 20 minutes on: the failure has expired (10 min backoff), the other open is still in flight (30 min).
    f.clock.advance(20 * 60_000);
    await engine.heartbeat();
    const afterBackoff = await commands(f, node(0));
    expect(afterBackoff).toHaveLength(3);
    expect(afterBackoff[2]?.data.peer).toBe(testPubKey(2));
    expect((await decisions(f, node(0))).at(-1)?.data.trigger.kind).toBe('heartbeat');

    // A heartbeat with nothing new decides nothing and records nothing.
    const recorded = (await decisions(f, node(0))).length;
    await engine.heartbeat();
    expect(await commands(f, node(0))).toHaveLength(3);
    expect(await decisions(f, node(0))).toHaveLength(recorded);

    // Past a command's expiry plus grace without an outcome, its open expires and its peer is tried again.
    f.clock.advance(12 * 60_000);
    await engine.heartbeat();
    projection = await engine.projection(node(0));
    expect([...projection.pendingOpens.values()].filter((o) => o.status === 'expired')).toHaveLength(1);
    f.clock.advance(20 * 60_000);
    await engine.heartbeat();
    projection = await engine.projection(node(0));
    expect([...projection.pendingOpens.values()].filter((o) => o.status === 'in-flight').map((o) => o.peer).sort()).toEqual(MIDDLE_PEERS);
    expect(await commands(f, node(0))).toHaveLength(5);
  });

  it('folds the events that arrive together in one transaction and decides once per node, not once per event', async () => {
    // One batch at a time, so nothing else commits while the batch under test runs.
    let decided: string[] = [];
    const service = await f.start({ hooks: { beforeCommit: (nodeId) => void decided.push(nodeId) } }, { AUTOPILOT_CONCURRENCY: '1' });
    const engine = service.app.get(AutopilotEngine);
    const nodes = [node(1), node(2), node(3)];
    for (const nodeId of nodes) await setPolicy(service, nodeId);
    for (const nodeId of nodes) await policyApplied(service, nodeId);
    await caughtUp(f);
    decided = [];
    const before = engine.stats();

    // Twenty balance changes per node handed over in one turn of the event loop, as a pull's
    // messages are: sequences past anything on the stream, the largest balance last.
    const events = nodes.flatMap((nodeId, n) =>
      Array.from({ length: 20 }, (_, i) => ({ message: balanceEvent(1_000_000 * (i + 1), nodeId), sequence: 1_000 + 100 * n + i })),
    );
    await Promise.all(events.map((event) => engine.onEvent(event, 'events')));
    const after = engine.stats();

    expect(after.batches - before.batches).toBe(1);
    expect(after.applied - before.applied).toBe(events.length);
    expect(after.decisions - before.decisions).toBe(nodes.length);
    expect(decided.sort()).toEqual([...nodes].sort());
    await caughtUp(f);
    for (const [n, nodeId] of nodes.entries()) {
      const last = events[20 * n + 19]!;
      const byBalance = (await decisions(f, nodeId)).filter((d) => d.data.trigger.messageType === 'BalanceChanged');
      // The one decision answers the node's last event and sees all of them folded.
      expect(byBalance.map((d) => [d.data.trigger.messageId, d.data.trigger.streamSequence, d.data.inputs.walletBalanceSat])).toEqual([
        [last.message.id, last.sequence, 20_000_000],
      ]);
      expect(peersOf(await commands(f, nodeId))).toEqual(MIDDLE_PEERS);
      expect((await engine.projection(nodeId)).balance?.confirmedSat).toBe(20_000_000);
    }
  });

  it('a batch rolled back after publishing, retried with other events: the stored decision stands and its opens are recorded', async () => {
    let crash = false;
    const service = await f.start({
      hooks: {
        beforeCommit: () => {
          if (crash) {
            crash = false;
            throw new Error('simulated crash between publishing and committing');
          }
        },
      },
    });
    const engine = service.app.get(AutopilotEngine);
    await setPolicy(service, node(0));
    await policyApplied(service, node(0));
    await caughtUp(f);
    const recordedBefore = (await decisions(f, node(0))).length;
    // The decision records wait until the end: folding the stored one would move the committed
    // state on (and the next decision would see its opens that way instead).
    let releaseRecords!: () => void;
    const recordsHeld = new Promise<void>((resolve) => {
      releaseRecords = resolve;
    });
    const onEvent = engine.onEvent.bind(engine);
    engine.onEvent = async (event, origin, redelivered) => {
      if (event.message.type === 'AutopilotDecision') await recordsHeld;
      return onEvent(event, origin, redelivered);
    };

    // Funds for two opens: the decision is published, then the batch is rolled back.
    crash = true;
    await expect(engine.onEvent({ message: balanceEvent(10_000_000, node(0)), sequence: 1_000 }, 'events')).rejects.toThrow('simulated crash');
    expect(peersOf(await commands(f, node(0)))).toEqual(MIDDLE_PEERS);
    // Before that event comes back, another arrives: on the same committed state its decision has
    // the same id, and with this balance alone it would open nothing.
    await engine.onEvent({ message: balanceEvent(1_000, node(0)), sequence: 1_001 }, 'events');
    // Committed with the stored decision's opens, before the record itself was folded.
    const projection = await engine.projection(node(0));
    expect(projection.balance?.confirmedSat).toBe(1_000);
    expect([...projection.pendingOpens.values()].map((o) => [o.peer, o.status]).sort()).toEqual(MIDDLE_PEERS.map((p) => [p, 'in-flight']));
    releaseRecords();
    await caughtUp(f);

    expect(peersOf(await commands(f, node(0)))).toEqual(MIDDLE_PEERS);
    // The retry's record was the stored one's duplicate: no second record either.
    expect(await decisions(f, node(0))).toHaveLength(recordedBefore + 1);
    expect((await engine.projection(node(0))).pendingOpens).toEqual(projection.pendingOpens);
  });

  it('two replicas on one namespace and schema never decide concurrently for a node: no duplicate commands', async () => {
    const first = await f.start();
    const second = await f.start();
    const nodes = Array.from({ length: 8 }, (_, i) => node(i + 1));
    for (const nodeId of nodes) await setPolicy(first, nodeId);
    for (const nodeId of nodes) await policyApplied(second, nodeId);
    // Several balance changes per node at once: both replicas get some of each node's events.
    const publishes: Promise<unknown>[] = [];
    for (let round = 1; round <= 4; round++) {
      for (const nodeId of nodes) publishes.push(f.publisher.publish(balanceEvent(10_000_000 + round, nodeId)));
    }
    await Promise.all(publishes);
    await waitFor('two commands per node', () => commands(f), (list) => list.length >= 2 * nodes.length);
    await caughtUp(f);

    const sent = await commands(f);
    expect(sent).toHaveLength(2 * nodes.length);
    for (const nodeId of nodes) expect(peersOf(sent.filter((c) => c.nodeId === nodeId))).toEqual(MIDDLE_PEERS);
    const recorded = await decisions(f);
    expect(new Set(recorded.map((d) => d.id)).size).toBe(recorded.length);
    for (const nodeId of nodes) {
      // Exactly one decision per node chose peers; every later one saw its two opens in flight.
      const opening = recorded.filter((d) => d.nodeId === nodeId && d.data.chosen.length > 0);
      expect(opening).toHaveLength(1);
    }
    // Every event and decision record was handled once, by one replica or the other.
    const handled = [first, second].map((s) => s.app.get(AutopilotEngine).stats()).map((s) => s.applied + s.duplicates);
    expect(handled[0]! + handled[1]!).toBe(nodes.length * 5 + recorded.length);
  });

  it('a restart mid-run resumes where the first instance stopped, without double commands', async () => {
    const nodes = Array.from({ length: 6 }, (_, i) => node(i + 1));
    // The first instance stalls after a few commits, so it is surely mid-run; then it dies there:
    // the stalled batch and every later one fail after publishing their decisions, before
    // committing, and their events go back to the stream for the second instance.
    let commits = 0;
    let dead = false;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = await f.start({
      hooks: {
        beforeCommit: async () => {
          commits++;
          if (commits > nodes.length + 3) {
            await gate;
            dead = true;
          }
          if (dead) throw new Error('simulated crash between publishing and committing');
        },
      },
    });
    for (const nodeId of nodes) await setPolicy(first, nodeId);
    for (const nodeId of nodes) await policyApplied(first, nodeId);
    const publishes: Promise<unknown>[] = [];
    for (let round = 1; round <= 5; round++) {
      for (const nodeId of nodes) publishes.push(f.publisher.publish(balanceEvent(10_000_000 + round, nodeId)));
    }
    await Promise.all(publishes);
    await waitFor('the first instance to stall mid-run', () => commits, (n) => n > nodes.length + 3);
    release();
    await first.stop();
    f.services.splice(f.services.indexOf(first), 1);
    const before = first.app.get(AutopilotEngine).stats();

    const second = await f.start();
    await caughtUp(f);
    const sent = await commands(f);
    expect(sent).toHaveLength(2 * nodes.length);
    for (const nodeId of nodes) expect(peersOf(sent.filter((c) => c.nodeId === nodeId))).toEqual(MIDDLE_PEERS);
    const after = second.app.get(AutopilotEngine).stats();
    expect(after.applied + after.duplicates).toBeGreaterThan(0);
    expect(before.applied + before.duplicates + after.applied + after.duplicates).toBe(nodes.length * 6 + (await decisions(f)).length);
    // Handing back what the first had fetched cost each message one delivery, not its retry budget.
    expect(Object.values(second.server.counters()).map((c) => c.deadLettered)).toEqual([0, 0, 0]);
  });
  it('dropping the projection and replaying the streams into a fresh schema rebuilds the same state', async () => {
    const live = await f.start();
    const engine = live.app.get(AutopilotEngine);
    const nodes = [node(0), node(1), node(2)];
    await setPolicy(live, node(0));
    await setPolicy(live, node(1), { dryRun: true });
    await setPolicy(live, node(2), { constraints: { ...FIXTURE_POLICY.constraints, chanLimit: 1 } });
    for (const nodeId of nodes) await policyApplied(live, nodeId);
    for (const nodeId of nodes) await f.publisher.publish(balanceEvent(10_000_000, nodeId));
    await waitFor('the opens', () => commands(f), (list) => list.length === 3);
    // Outcomes for node 0: one open requested, one failed; node 2's open confirmed.
    const sent = await commands(f);
    const [toTwo, toFive] = [testPubKey(2), testPubKey(5)].map((p) => sent.find((c) => c.nodeId === node(0) && c.data.peer === p)!);
    await f.publisher.publish(requestedEvent(toTwo!.id, testPubKey(2), MAX_CHAN, 1, node(0)));
    await f.publisher.publish(failedEvent(toFive!.id, testPubKey(5), MAX_CHAN, T0, null, node(0)));
    const nodeTwo = sent.find((c) => c.nodeId === node(2))!;
    await f.publisher.publish(requestedEvent(nodeTwo.id, nodeTwo.data.peer, MAX_CHAN, 2, node(2)));
    await f.publisher.publish(openedEvent(2, nodeTwo.data.peer, MAX_CHAN, node(2)));
    await caughtUp(f);

    const rebuilt = await f.start({}, { DATABASE_SCHEMA: uniqueName('ap_rebuild'), AUTOPILOT_MODE: 'replay', AUTOPILOT_DURABLE_PREFIX: 'autopilot-rebuild' });
    await caughtUp(f, 'autopilot-rebuild');
    const replayed = rebuilt.app.get(AutopilotEngine);
    for (const nodeId of nodes) {
      const { revision: _live, ...expected } = await engine.projection(nodeId);
      const { revision: _replayed, ...actual } = await replayed.projection(nodeId);
      expect(actual).toEqual(expected);
    }
    // Replaying decided nothing and sent nothing.
    expect(replayed.stats()).toMatchObject({ decisions: 0, commands: 0 });
    expect(await commands(f)).toHaveLength(3);
    const zero = await engine.projection(node(0));
    expect([...zero.pendingOpens.values()].map((o) => o.status).sort()).toEqual(['failed', 'requested']);
    expect(zero.failures.get(testPubKey(5))?.attempts).toBe(1);
  });
});
