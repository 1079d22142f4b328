/**
 * One graph publisher per fleet: two gateway replicas on real NATS share a lease in a JetStream
 * KV bucket; only its holder publishes graph snapshots, and the other takes over when the holder
 * stops (releasing the lease) or stops renewing it (the lease ages out).
 */
import type { KnownMessage, MessageByType } from '@lnfleet/contracts';
import { bootstrapService, type RunningService } from '@lnfleet/service-kit';
import { testNats, testSchema, waitFor, type TestNats, type TestSchema } from '@lnfleet/testing';
import { nodeGatewayDefinition } from './service.js';
import { GRAPH_PUBLISHER_LEASE, NodeFleet } from './shell/fleet.js';
import { GraphPublisher } from './shell/graph-publisher.js';
import { KvLease, openLeaseBucket } from './shell/kv-lease.js';
import { SimGraph } from './simnet/sim-graph.js';
import { Simnet } from './simnet/simnet.js';
import { syntheticGraph } from './simnet/synthetic-graph.js';

const LEASE_TTL_MS = 2_000;

describe('node-gateway graph publisher lease', () => {
  let nats: TestNats;
  let schema: TestSchema;
  const running: RunningService[] = [];

  beforeEach(async () => {
    nats = await testNats('gwlease');
    schema = await testSchema('gwlease');
  });

  afterEach(async () => {
    for (const replica of running.splice(0)) await replica.stop();
    await nats.cleanup();
    await schema.drop();
  });

  function fleetOf(size: number): Simnet {
    const graph = new SimGraph(syntheticGraph({ nodes: 120, channelsPerNode: 3, seed: 8 }));
    return Simnet.create(graph, { fleetSize: size, seed: 8, openFailureProbability: 0, meanPaymentIntervalMs: 0, flakyPeerFraction: 0, stablePeer: { meanOnlineMs: 1e12, meanOfflineMs: 1e12 } });
  }

  async function startReplica(net: Simnet, index: number, replicas: number): Promise<{ service: RunningService; fleet: NodeFleet }> {
    const service = await bootstrapService(
      nodeGatewayDefinition({ nodes: net.nodes.map((node, i) => ({ id: `sim-${i}`, node })), now: () => net.clock.now(), reconnectDelayMs: () => 50, graphIntervalMs: 300, leaseTtlMs: LEASE_TTL_MS }),
      { NATS_URL: nats.natsUrl, DATABASE_URL: schema.databaseUrl, LNFLEET_NAMESPACE: nats.topology.namespace, DATABASE_SCHEMA: schema.schema, HTTP_PORT: '0', NODE_GATEWAY_REPLICAS: String(replicas), NODE_GATEWAY_REPLICA_INDEX: String(index) },
      { logger: false },
    );
    running.push(service);
    return { service, fleet: service.app.get(NodeFleet, { strict: false }) };
  }

  async function graphEvents(): Promise<Array<MessageByType<'GraphSnapshotPublished'>>> {
    const name = nats.topology.streamName('events');
    const info = await nats.jsm.streams.info(name);
    const out: Array<MessageByType<'GraphSnapshotPublished'>> = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const stored = await nats.jsm.streams.getMessage(name, { seq });
      const event = stored?.json<KnownMessage>();
      if (event?.type === 'GraphSnapshotPublished') out.push(event);
    }
    return out;
  }

  it('lets only the lease holder of two replicas publish; when it stops, the other takes over', async () => {
    const net = fleetOf(4);
    const a = await startReplica(net, 0, 2);
    const b = await startReplica(net, 1, 2);
    const fleets = [a.fleet, b.fleet];
    await waitFor('every served node to connect', () => fleets.flatMap((f) => f.health()), (h) => h.length === 4 && h.every((n) => n.status === 'connected'));
    // The publishers run every 300 ms: three rounds from the holder.
    const counts = await waitFor('three snapshots from one replica', () => fleets.map((f) => f.graphPublisher?.publishedCount ?? 0), (c) => Math.max(...c) >= 3);
    const holder = counts[0]! >= 3 ? 0 : 1;
    const other = 1 - holder;
    expect(counts[other]).toBe(0);
    expect(fleets.map((f) => f.graphPublisher?.isPublisher)).toEqual(holder === 0 ? [true, false] : [false, true]);
    // Every announcement came from a node the holder serves.
    const holderNodes = new Set(fleets[holder]!.health().map((h) => h.nodeId));
    const announced = await graphEvents();
    expect(announced.length).toBeGreaterThan(0);
    expect(announced.every((e) => holderNodes.has(e.nodeId))).toBe(true);

    // The holder stops (releasing the lease): the other replica publishes.
    const holderService = [a, b][holder]!.service;
    await holderService.stop();
    running.splice(running.indexOf(holderService), 1);
    await waitFor('the other replica to publish', () => fleets[other]!.graphPublisher?.publishedCount ?? 0, (n) => n >= 1, 10_000);
    const otherNodes = new Set(fleets[other]!.health().map((h) => h.nodeId));
    expect((await graphEvents()).some((e) => otherNodes.has(e.nodeId))).toBe(true);
  });

  it('takes the lease over from a holder that stops renewing, once it ages out', async () => {
    const net = fleetOf(2);
    // Another gateway instance holds the lease, then stops renewing without releasing it (it died).
    const bucket = await openLeaseBucket(nats.connection, nats.topology, { replicas: 1, ttlMs: LEASE_TTL_MS });
    const foreign = new KvLease(bucket, GRAPH_PUBLISHER_LEASE, 'a-gateway-that-dies', { replicaIndex: 0, replicas: 1, host: 'elsewhere' });
    expect((await foreign.refresh()).held).toBe(true);
    const takenAt = performance.now();
    const { fleet } = await startReplica(net, 0, 1);
    await waitFor('the node to connect', () => fleet.health(), (h) => h.every((n) => n.status === 'connected'));
    // While the foreign lease is live, this replica may not publish.
    expect(fleet.graphPublisher?.isPublisher).toBe(false);
    expect(fleet.graphPublisher?.publishedCount).toBe(0);
    await waitFor('the lease to age out and the replica to publish', () => fleet.graphPublisher?.publishedCount ?? 0, (n) => n >= 1, 15_000);
    // Not before the foreign holder's last write aged out (the bucket's max_age).
    expect(performance.now() - takenAt).toBeGreaterThanOrEqual(LEASE_TTL_MS - 250);
    const record = await bucket.kv.get(GRAPH_PUBLISHER_LEASE);
    expect(JSON.parse(new TextDecoder().decode(record?.value))).toMatchObject({ holder: fleet.instance, detail: { replicaIndex: 0, replicas: 1 } });
    // The foreign instance, were it to come back, finds the lease taken.
    expect((await foreign.refresh()).held).toBe(false);
  });

  it('creates the lease bucket and the graph object store with the configured stream replicas', async () => {
    const net = fleetOf(1);
    const { service, fleet } = await startReplica(net, 0, 1);
    await waitFor('a snapshot', () => fleet.graphPublisher?.publishedCount ?? 0, (n) => n >= 1);
    const lease = await nats.jsm.streams.info(`KV_${nats.topology.gatewayLeaseBucket()}`);
    const objects = await nats.jsm.streams.info(`OBJ_${nats.topology.graphSnapshotBucket()}`);
    expect([lease.config.num_replicas, objects.config.num_replicas]).toEqual([1, 1]);
    expect(lease.config.max_age).toBe(LEASE_TTL_MS * 1_000_000);
    // The replica count reaches NATS: this single server refuses more than one, for either bucket.
    await nats.jsm.streams.delete(`KV_${nats.topology.gatewayLeaseBucket()}`);
    await nats.jsm.streams.delete(`OBJ_${nats.topology.graphSnapshotBucket()}`);
    await expect(openLeaseBucket(nats.connection, nats.topology, { replicas: 3, ttlMs: LEASE_TTL_MS })).rejects.toThrow(/replicas/i);
    const publisher = new GraphPublisher(nats.connection, nats.topology, service.context.publisher, () => [fleet.session('sim-0')!], Date.now, { log: () => undefined, warn: () => undefined, error: () => undefined }, { streamReplicas: 3 });
    await expect(publisher.publishOnce()).rejects.toThrow(/replicas/i);
  });
});
