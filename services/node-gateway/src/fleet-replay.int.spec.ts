/**
 * Acceptance: a simulated fleet of 100 nodes runs for simulated hours behind the gateway, which is
 * stopped mid-run and started again while the fleet keeps changing. Replaying the EVENTS stream
 * must give exactly every node's final channel set, balance and online peers, with no channel
 * opened twice and no fact stored twice.
 */
import { isDeepStrictEqual } from 'node:util';
import { DeliverPolicy } from '@nats-io/jetstream';
import type { KnownMessage } from '@lnfleet/contracts';
import { bootstrapService, type RunningService } from '@lnfleet/service-kit';
import { testNats, testSchema, waitFor, type TestNats, type TestSchema } from '@lnfleet/testing';
import { evolvePublished, initialPublishedState, type PublishedState } from './gateway/published-state.js';
import { nodeGatewayDefinition } from './service.js';
import { NodeFleet } from './shell/fleet.js';
import { SimGraph } from './simnet/sim-graph.js';
import { Simnet } from './simnet/simnet.js';
import { syntheticGraph, syntheticPubkey } from './simnet/synthetic-graph.js';

const HOUR = 3_600_000;

describe('a 100-node simulated fleet behind the gateway, replayed from the stream', () => {
  let nats: TestNats;
  let schema: TestSchema;
  let running: RunningService | undefined;

  beforeEach(async () => {
    nats = await testNats('gwfleet');
    schema = await testSchema('gwfleet');
  });

  afterEach(async () => {
    await running?.stop();
    await nats.cleanup();
    await schema.drop();
  });

  it('replays to every node final channels, balance and peers across a gateway restart', async () => {
    const net = Simnet.create(new SimGraph(syntheticGraph({ nodes: 800, channelsPerNode: 3, seed: 77 })), {
      fleetSize: 100,
      seed: 77,
      openDelayMs: HOUR,
      openFailureProbability: 0.2,
      flakyPeerFraction: 0.3,
      meanPaymentIntervalMs: 2 * HOUR,
      forceCloseResolveDelayMs: 3 * HOUR,
    });
    const start = async (): Promise<NodeFleet> => {
      running = await bootstrapService(
        nodeGatewayDefinition({ nodes: net.nodes.map((node, i) => ({ id: `sim-${i}`, node })), now: () => net.clock.now(), reconnectDelayMs: () => 50, graphIntervalMs: 0 }),
        { NATS_URL: nats.natsUrl, DATABASE_URL: schema.databaseUrl, LNFLEET_NAMESPACE: nats.topology.namespace, DATABASE_SCHEMA: schema.schema, HTTP_PORT: '0' },
        { logger: false },
      );
      const fleet = running.app.get(NodeFleet, { strict: false });
      await waitFor('all 100 nodes to connect', () => fleet.health(), (h) => h.every((n) => n.status === 'connected'), 60_000);
      return fleet;
    };
    const simulate = async (hours: number, from: number): Promise<void> => {
      for (let hour = from; hour < from + hours; hour++) {
        for (const [i, node] of net.nodes.entries()) {
          if ((i + hour) % 5 === 0) {
            await node.openChannel({ peer: syntheticPubkey(77, (i * 31 + hour * 7) % 800), peerAddresses: [], localFundingSat: 200_000 + hour * 1_000, pushSat: 0, targetConf: 3, minConfs: 1, private: false });
          }
          const channels = node.openChannelStates();
          if ((i + hour) % 13 === 0 && channels.length > 0) node.closeChannel(channels[0]!.channelPoint, hour % 2 === 0 ? 'LOCAL_FORCE_CLOSE' : 'COOPERATIVE_CLOSE');
        }
        net.advance(HOUR);
      }
    };

    await start();
    await simulate(6, 0);
    await running?.stop();
    running = undefined;
    await simulate(3, 6); // the gateway is down: nobody is listening
    await start();
    await simulate(3, 9);

    const replay = async (): Promise<Map<string, { state: PublishedState; events: KnownMessage[] }>> => {
      const stream = nats.topology.streamName('events');
      const last = (await nats.jsm.streams.info(stream)).state.last_seq;
      const byNode = new Map<string, { state: PublishedState; events: KnownMessage[] }>();
      const consumer = await nats.js.consumers.get(stream, { deliver_policy: DeliverPolicy.All });
      const messages = await consumer.consume();
      for await (const m of messages) {
        const event = m.json<KnownMessage>();
        const entry = byNode.get(event.nodeId) ?? { state: initialPublishedState(), events: [] };
        entry.state = evolvePublished(entry.state, event);
        entry.events.push(event);
        byNode.set(event.nodeId, entry);
        if (m.seq >= last) break;
      }
      await messages.close();
      return byNode;
    };
    // The simulation stands still from here on, so each node's final state is read once.
    const unresolvedOf = new Map<string, string[]>();
    for (const node of net.nodes) {
      const closes = await node.closedChannels();
      unresolvedOf.set(node.pubkey, closes.filter((c) => c.closeType === 'LOCAL_FORCE_CLOSE' && !c.resolved).map((c) => c.channelPoint).sort());
    }
    const expected = (pubkey: string) => {
      const node = net.node(pubkey)!;
      return {
        channels: Object.fromEntries([...node.pendingChannelPoints().map((p) => [p, 'pending'] as const), ...node.openChannelStates().map((c) => [c.channelPoint, 'open'] as const)]),
        chanIds: Object.fromEntries(node.openChannelStates().map((c) => [c.channelPoint, c.chanId])),
        onlinePeers: node.onlinePeerList(),
        balance: node.balance(),
        unresolved: unresolvedOf.get(pubkey) ?? [],
      };
    };
    const matches = (byNode: Map<string, { state: PublishedState }>): boolean => net.nodes.every((node) => isDeepStrictEqual(byNode.get(node.pubkey)?.state, expected(node.pubkey)));
    const byNode = await waitFor('the stream to catch up with every node', replay, matches, 60_000);

    let channelOpens = 0;
    for (const node of net.nodes) {
      const { state, events } = byNode.get(node.pubkey)!;
      expect(state).toEqual(expected(node.pubkey));
      // The channel events alone, without any snapshot, give the channel set too: nothing missed while down.
      const fromFacts = events.filter((e) => e.type !== 'NodeStateSnapshot').reduce<PublishedState>(evolvePublished, initialPublishedState());
      expect(fromFacts.channels).toEqual(expected(node.pubkey).channels);
      // Local force closes resolved while the gateway was down were reconciled: only those still time-locked remain.
      expect(fromFacts.unresolved).toEqual(expected(node.pubkey).unresolved);
      const opened = events.filter((e) => e.type === 'ChannelOpened').map((e) => (e.data as { channelPoint: string }).channelPoint);
      expect(new Set(opened).size).toBe(opened.length);
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
      channelOpens += opened.length;
    }
    expect(channelOpens).toBeGreaterThan(200);
  });
});
