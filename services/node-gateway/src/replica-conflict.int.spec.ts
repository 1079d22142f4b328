/**
 * Replicas started with different NODE_GATEWAY_REPLICAS (a rollout of a new count, or a
 * misconfiguration) never serve the same node: the older replica keeps the nodes both claim, the
 * newer one refuses them with a clear health state, and takes them once the older one stops.
 */
import { bootstrapService, type RunningService } from '@lnfleet/service-kit';
import { testNats, testSchema, waitFor, type TestNats, type TestSchema } from '@lnfleet/testing';
import { replicaOf } from './gateway/sharding.js';
import { nodeGatewayDefinition } from './service.js';
import { NodeFleet, type NodeHealth } from './shell/fleet.js';
import type { FleetHealth } from './shell/health.controller.js';
import { SimGraph } from './simnet/sim-graph.js';
import { Simnet } from './simnet/simnet.js';
import { syntheticGraph } from './simnet/synthetic-graph.js';

describe('node-gateway replicas that disagree on the replica count', () => {
  let nats: TestNats;
  let schema: TestSchema;
  const running: RunningService[] = [];

  beforeEach(async () => {
    nats = await testNats('gwconflict');
    schema = await testSchema('gwconflict');
  });

  afterEach(async () => {
    for (const replica of running.splice(0)) await replica.stop();
    await nats.cleanup();
    await schema.drop();
  });

  it('never serves a node from two replicas: the newer one refuses what the older one claims, then takes it over when the older one stops', async () => {
    const graph = new SimGraph(syntheticGraph({ nodes: 100, channelsPerNode: 3, seed: 9 }));
    const net = Simnet.create(graph, { fleetSize: 15, seed: 9, openFailureProbability: 0, meanPaymentIntervalMs: 0, flakyPeerFraction: 0, stablePeer: { meanOnlineMs: 1e12, meanOfflineMs: 1e12 } });
    const nodes = net.nodes.map((node, i) => ({ id: `sim-${i}`, node }));
    const start = async (index: number, replicas: number): Promise<{ service: RunningService; fleet: NodeFleet }> => {
      const service = await bootstrapService(
        nodeGatewayDefinition({ nodes, now: () => net.clock.now(), reconnectDelayMs: () => 50, graphIntervalMs: 0, leaseTtlMs: 2_000 }),
        { NATS_URL: nats.natsUrl, DATABASE_URL: schema.databaseUrl, LNFLEET_NAMESPACE: nats.topology.namespace, DATABASE_SCHEMA: schema.schema, HTTP_PORT: '0', NODE_GATEWAY_REPLICAS: String(replicas), NODE_GATEWAY_REPLICA_INDEX: String(index), HOSTNAME: `gw-${index}-of-${replicas}` },
        { logger: false },
      );
      running.push(service);
      return { service, fleet: service.app.get(NodeFleet, { strict: false }) };
    };
    // The old replica 0 of 2, and a new replica 2 of 3 (as in a rollout from 2 to 3 replicas).
    const oldShare = nodes.filter((n) => replicaOf(n.id, 2) === 0).map((n) => n.id);
    const newShare = nodes.filter((n) => replicaOf(n.id, 3) === 2).map((n) => n.id);
    const both = newShare.filter((id) => oldShare.includes(id));
    const onlyNew = newShare.filter((id) => !oldShare.includes(id));
    // The fleet is chosen so that both cases occur.
    expect(both.length).toBeGreaterThan(0);
    expect(onlyNew.length).toBeGreaterThan(0);

    const older = await start(0, 2);
    await waitFor('the old replica to serve its share', () => older.fleet.health(), (h) => h.length === oldShare.length && h.every((n) => n.status === 'connected'));
    const newer = await start(2, 3);
    // Served: a session runs for the node (claiming and not-owner mean none does).
    const served = (health: readonly NodeHealth[]): string[] => health.filter((n) => n.status !== 'not-owner' && n.status !== 'claiming').map((n) => n.id);
    // Checked on every poll while the newer replica settles: no node is served by both.
    const settled = await waitFor(
      'the new replica to serve what only it claims, and refuse the rest',
      () => {
        const overlap = served(older.fleet.health()).filter((id) => served(newer.fleet.health()).includes(id));
        expect(overlap).toEqual([]);
        return newer.fleet.health();
      },
      (h) => h.filter((n) => n.status === 'connected').length === onlyNew.length && h.filter((n) => n.status === 'not-owner').length === both.length,
    );
    expect(settled.filter((n) => n.status === 'not-owner').map((n) => n.id).sort()).toEqual([...both].sort());
    expect(settled.find((n) => n.status === 'not-owner')?.reason).toMatch(/served by replica 0 of 2 \(host gw-0-of-2\), started with NODE_GATEWAY_REPLICAS=2 \(this replica: 3\)/);
    expect(older.fleet.health().every((n) => n.status === 'connected')).toBe(true);

    // Both report the disagreement; the newer one stays ready (a rollout must go on), but not ok.
    const url = newer.service.http?.url ?? '';
    const health = (await (await fetch(`${url}/health`)).json()) as FleetHealth;
    expect(health.status).toBe('degraded');
    expect(health.conflicts).toEqual([expect.stringMatching(/replica 0 of 2 \(host gw-0-of-2\) runs with NODE_GATEWAY_REPLICAS=2, this replica 2 of 3 \(host gw-2-of-3\) with 3: it is older and keeps the nodes both claim/)]);
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
    await waitFor('the old replica to see it too', () => older.fleet.conflicts, (c) => c.length === 1);

    // A third process taking the same slot as a live replica serves nothing.
    const duplicate = await start(2, 3);
    const refused = await waitFor('the duplicate to refuse its nodes', () => duplicate.fleet.health(), (h) => h.length === newShare.length && h.every((n) => n.status === 'not-owner'));
    expect(refused[0]?.reason).toMatch(/replica slot 2 is held by another live gateway, replica 2 of 3 \(host gw-2-of-3\)/);
    await duplicate.service.stop();
    running.splice(running.indexOf(duplicate.service), 1);

    // The old replica stops (its pod is replaced): the new one takes the nodes it had refused.
    await older.service.stop();
    running.splice(running.indexOf(older.service), 1);
    await waitFor('the new replica to serve its whole share', () => newer.fleet.health(), (h) => h.length === newShare.length && h.every((n) => n.status === 'connected'), 15_000);
    await waitFor('the conflict to clear', () => newer.fleet.conflicts, (c) => c.length === 0);
  });

  it('stops serving its nodes when it cannot renew its slot, before the slot could age out and another replica take them', async () => {
    const graph = new SimGraph(syntheticGraph({ nodes: 100, channelsPerNode: 3, seed: 9 }));
    const net = Simnet.create(graph, { fleetSize: 3, seed: 9, openFailureProbability: 0, meanPaymentIntervalMs: 0, flakyPeerFraction: 0, stablePeer: { meanOnlineMs: 1e12, meanOfflineMs: 1e12 } });
    const ttlMs = 4_000;
    const service = await bootstrapService(
      nodeGatewayDefinition({ nodes: net.nodes.map((node, i) => ({ id: `sim-${i}`, node })), now: () => net.clock.now(), reconnectDelayMs: () => 50, graphIntervalMs: 0, leaseTtlMs: ttlMs }),
      { NATS_URL: nats.natsUrl, DATABASE_URL: schema.databaseUrl, LNFLEET_NAMESPACE: nats.topology.namespace, DATABASE_SCHEMA: schema.schema, HTTP_PORT: '0' },
      { logger: false },
    );
    const fleet = service.app.get(NodeFleet, { strict: false });
    try {
      await waitFor('every node to connect', () => fleet.health(), (h) => h.length === 3 && h.every((n) => n.status === 'connected'));
      // NATS is lost to this replica: no renewal can reach it any more.
      const lostAt = performance.now();
      await service.context.connection.close();
      await waitFor('every session to stop', () => fleet.health(), (h) => h.every((n) => n.status === 'claiming'), 10_000);
      // Its last renewal was sent before the connection closed, and ages out ttlMs after it.
      expect(performance.now() - lostAt).toBeLessThan(ttlMs);
    } finally {
      // Stopping drains NATS, which fails on the closed connection: close the database here.
      await service.stop().catch(async () => {
        if (service.context.dataSource.isInitialized) await service.context.dataSource.destroy();
      });
    }
  });
});
