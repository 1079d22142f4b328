/**
 * Two gateway replicas share a simulated fleet: each node is served by exactly one replica, whose
 * per-node durable reads that node's commands; a duplicated command still opens one channel.
 */
import { createMessage, encodeMessage, OpenChannel, type KnownMessage } from '@lnfleet/contracts';
import { JetStreamPublisher } from '@lnfleet/messaging';
import { bootstrapService, type RunningService } from '@lnfleet/service-kit';
import { testNats, testSchema, waitFor, type TestNats, type TestSchema } from '@lnfleet/testing';
import { replicaOf } from './gateway/sharding.js';
import { nodeGatewayDefinition } from './service.js';
import { NodeFleet } from './shell/fleet.js';
import { perNodeDurable, ShardedCommandConsumers } from './shell/sharded-commands.js';
import { SimGraph } from './simnet/sim-graph.js';
import { Simnet } from './simnet/simnet.js';
import { syntheticGraph } from './simnet/synthetic-graph.js';

const HOUR = 3_600_000;

describe('node-gateway sharded across two replicas', () => {
  let nats: TestNats;
  let schema: TestSchema;
  const replicas: RunningService[] = [];

  beforeEach(async () => {
    nats = await testNats('gwshard');
    schema = await testSchema('gwshard');
  });

  afterEach(async () => {
    for (const replica of replicas.splice(0)) await replica.stop();
    await nats.cleanup();
    await schema.drop();
  });

  it('serves each node from exactly one replica and executes each command there, once', async () => {
    const graph = new SimGraph(syntheticGraph({ nodes: 100, channelsPerNode: 3, seed: 5 }));
    const net = Simnet.create(graph, { fleetSize: 4, seed: 5, openFailureProbability: 0, meanPaymentIntervalMs: 0, flakyPeerFraction: 0, stablePeer: { meanOnlineMs: 1e12, meanOfflineMs: 1e12 } });
    const nodes = net.nodes.map((node, i) => ({ id: `sim-${i}`, node }));
    // Replicas start one after the other, as a StatefulSet starts its pods (migrations run once).
    for (const index of [0, 1]) {
      replicas.push(
        await bootstrapService(
          nodeGatewayDefinition({ nodes, now: () => net.clock.now(), reconnectDelayMs: () => 50, graphIntervalMs: 0, commandRedelivery: { initialDelayMs: 20, maxDelayMs: 50 } }),
          { NATS_URL: nats.natsUrl, DATABASE_URL: schema.databaseUrl, LNFLEET_NAMESPACE: nats.topology.namespace, DATABASE_SCHEMA: schema.schema, HTTP_PORT: '0', NODE_GATEWAY_REPLICAS: '2', NODE_GATEWAY_REPLICA_INDEX: String(index) },
          { logger: false },
        ),
      );
    }
    const fleets = replicas.map((r) => r.app.get(NodeFleet, { strict: false }));
    await waitFor('every served node to connect', () => fleets.flatMap((f) => f.health()), (h) => h.length === 4 && h.every((n) => n.status === 'connected'));
    const served = fleets.map((f) => f.health().map((h) => h.id).sort());
    expect(served).toEqual([0, 1].map((index) => nodes.filter((n) => replicaOf(n.id, 2) === index).map((n) => n.id).sort()));
    expect(served[0]!.length).toBeGreaterThan(0);
    expect(served[1]!.length).toBeGreaterThan(0);
    const consumers = replicas.map((r) => r.app.get(ShardedCommandConsumers, { strict: false }));
    await waitFor('a durable per node', async () => [...(await consumers[0]!.durables()), ...(await consumers[1]!.durables())].sort(), (d) => d.length === 4);
    expect(replicas.map((r) => Object.keys(r.server.counters()))).toEqual([[], []]);

    const publisher = new JetStreamPublisher(nats.js, nats.topology);
    for (const [i, node] of net.nodes.entries()) {
      const command = createMessage(OpenChannel, {
        id: `cmd-shard-${i}`,
        nodeId: node.pubkey,
        occurredAt: new Date(net.clock.now()).toISOString(),
        causationId: null,
        data: { peer: graph.node(90 - i).pub_key, peerAddresses: [], localFundingSat: 300_000, pushSat: 0, targetConf: 3, minConfs: 1, private: false, expiresAt: new Date(net.clock.now() + HOUR).toISOString() },
      });
      await publisher.publish(command);
      if (i === 0) await publisher.publishRaw(nats.topology.commandSubject(node.pubkey, 'OpenChannel'), encodeMessage(command), 'cmd-shard-0-again');
    }
    const commands = nats.topology.streamName('commands');
    await waitFor('all five command messages to be consumed', async () => (await nats.jsm.streams.info(commands)).state, (s) => s.last_seq === 5 && s.messages === 0);
    for (const node of net.nodes) expect(node.pendingChannelPoints()).toHaveLength(1);

    const events: KnownMessage[] = [];
    const info = await nats.jsm.streams.info(nats.topology.streamName('events'));
    for (let seq = 1; seq <= info.state.last_seq; seq++) {
      const stored = await nats.jsm.streams.getMessage(nats.topology.streamName('events'), { seq });
      if (stored !== null) events.push(stored.json<KnownMessage>());
    }
    expect(events.filter((e) => e.type === 'ChannelOpenRequested').map((e) => (e.data as { commandId: string }).commandId).sort()).toEqual(['cmd-shard-0', 'cmd-shard-1', 'cmd-shard-2', 'cmd-shard-3']);
    expect(events.filter((e) => e.type === 'NodeStateSnapshot')).toHaveLength(4);
    const names: string[] = [];
    for await (const c of nats.jsm.consumers.list(commands)) names.push(c.name);
    expect(names.sort()).toEqual(net.nodes.map((n) => perNodeDurable(n.pubkey)).sort());
  });
});
