/**
 * The gateway against real NATS JetStream and PostgreSQL, serving a small simulated fleet. Each
 * test has its own stream namespace and schema.
 */
import { gunzipSync } from 'node:zlib';
import { Objm } from '@nats-io/obj';
import { createMessage, encodeMessage, OpenChannel, type KnownMessage, type MessageByType } from '@lnfleet/contracts';
import { JetStreamPublisher } from '@lnfleet/messaging';
import { bootstrapService, type RunningService } from '@lnfleet/service-kit';
import { testNats, testSchema, waitFor, type TestNats, type TestSchema } from '@lnfleet/testing';
import type { LightningNode } from './node/lightning-node.js';
import { nodeGatewayDefinition } from './service.js';
import { NodeFleet, type NodeGatewayOptions } from './shell/fleet.js';
import { SimGraph } from './simnet/sim-graph.js';
import { Simnet } from './simnet/simnet.js';
import { syntheticGraph } from './simnet/synthetic-graph.js';

const HOUR = 3_600_000;
const graph = new SimGraph(syntheticGraph({ nodes: 150, channelsPerNode: 3, seed: 21 }));

/** A quiet fleet: nothing changes unless the test makes it (no flaps, payments or failures). */
function quietSimnet(): Simnet {
  return Simnet.create(graph, {
    fleetSize: 3,
    seed: 21,
    openDelayMs: 0,
    openFailureProbability: 0,
    meanPaymentIntervalMs: 0,
    flakyPeerFraction: 0,
    stablePeer: { meanOnlineMs: 1e12, meanOfflineMs: 1e12 },
  });
}

describe('node-gateway with real NATS and PostgreSQL', () => {
  let nats: TestNats;
  let schema: TestSchema;
  let net: Simnet;
  let running: RunningService | undefined;

  beforeEach(async () => {
    nats = await testNats('gw');
    schema = await testSchema('gw');
    net = quietSimnet();
  });

  afterEach(async () => {
    await running?.stop();
    running = undefined;
    await nats.cleanup();
    await schema.drop();
  });

  async function startGateway(overrides: Partial<NodeGatewayOptions> = {}): Promise<NodeFleet> {
    running = await bootstrapService(
      nodeGatewayDefinition({ nodes: net.nodes.map((node, i) => ({ id: `sim-${i}`, node })), now: () => net.clock.now(), reconnectDelayMs: () => 50, graphIntervalMs: 0, ...overrides }),
      { NATS_URL: nats.natsUrl, DATABASE_URL: schema.databaseUrl, LNFLEET_NAMESPACE: nats.topology.namespace, DATABASE_SCHEMA: schema.schema, HTTP_PORT: '0' },
      { logger: false },
    );
    const fleet = running.app.get(NodeFleet, { strict: false });
    await waitFor('every node to be connected', () => fleet.health().map((h) => h.status), (s) => s.every((x) => x === 'connected'));
    return fleet;
  }

  async function stopGateway(): Promise<void> {
    await running?.stop();
    running = undefined;
  }

  async function storedEvents(): Promise<KnownMessage[]> {
    const name = nats.topology.streamName('events');
    const info = await nats.jsm.streams.info(name);
    const out: KnownMessage[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const stored = await nats.jsm.streams.getMessage(name, { seq });
      if (stored !== null) out.push(JSON.parse(new TextDecoder().decode(stored.data)) as KnownMessage);
    }
    return out;
  }

  const count = (events: KnownMessage[], type: KnownMessage['type'], nodeId?: string): number => events.filter((e) => e.type === type && (nodeId === undefined || e.nodeId === nodeId)).length;

  function openCommand(id: string, nodeId: string, data: Partial<{ peer: string; localFundingSat: number; expiresAtMs: number }> = {}) {
    return createMessage(OpenChannel, {
      id,
      nodeId,
      occurredAt: new Date(net.clock.now()).toISOString(),
      causationId: null,
      data: {
        peer: data.peer ?? newPeerFor(nodeId),
        peerAddresses: [],
        localFundingSat: data.localFundingSat ?? 500_000,
        pushSat: 0,
        targetConf: 3,
        minConfs: 1,
        private: false,
        expiresAt: new Date(data.expiresAtMs ?? net.clock.now() + HOUR).toISOString(),
      },
    });
  }

  /** bindAll copies a node's methods bound to it, so a test can replace one of them. */
  function bindAll(node: LightningNode): LightningNode {
    return {
      getInfo: () => node.getInfo(),
      listChannels: () => node.listChannels(),
      pendingChannels: () => node.pendingChannels(),
      closingChannels: () => node.closingChannels(),
      closedChannels: () => node.closedChannels(),
      onlinePeers: () => node.onlinePeers(),
      walletBalance: () => node.walletBalance(),
      subscribe: (listener) => node.subscribe(listener),
      openChannel: (request) => node.openChannel(request),
      describeGraph: () => node.describeGraph(),
    };
  }

  function newPeerFor(nodeId: string): string {
    const node = net.node(nodeId)!;
    const taken = new Set([node.pubkey, ...node.openChannelStates().map((c) => c.peer)]);
    return graph.describe.nodes.map((n) => n.pub_key).find((p) => !taken.has(p))!;
  }

  it('reports each node connection on the health endpoint', async () => {
    await startGateway();
    const url = running?.http?.url ?? '';
    const health: unknown = await (await fetch(`${url}/health`)).json();
    expect(health).toEqual({ status: 'ok', nodes: net.nodes.map((node, i) => ({ id: `sim-${i}`, nodeId: node.pubkey, status: 'connected' })) });
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
  });

  it('stores the public graph in the object store once per version and announces it', async () => {
    const fleet = await startGateway({ graphIntervalMs: HOUR });
    const bucket = nats.topology.graphSnapshotBucket();
    try {
      const events = await waitFor('the graph snapshot event', storedEvents, (e) => count(e, 'GraphSnapshotPublished') === 1);
      const announced = events.find((e): e is MessageByType<'GraphSnapshotPublished'> => e.type === 'GraphSnapshotPublished')!;
      expect(announced.data).toMatchObject({ bucket, nodeCount: 150, channelCount: 450, format: 'lnd-describegraph-json-gzip' });
      const store = await new Objm(nats.connection).open(bucket);
      const blob = await store.getBlob(announced.data.objectName);
      expect(blob?.length).toBe(announced.data.sizeBytes);
      expect(JSON.parse(gunzipSync(blob!).toString('utf8'))).toEqual(graph.describe);

      // Publishing the unchanged graph again stores no second object and no second event.
      expect(await fleet.graphPublisher!.publishOnce()).toBe(true);
      const objects = await store.list();
      expect(objects.map((o) => o.name)).toEqual([announced.data.objectName]);
      expect(count(await storedEvents(), 'GraphSnapshotPublished')).toBe(1);
    } finally {
      await stopGateway();
      await nats.jsm.streams.delete(`OBJ_${bucket}`).catch(() => false);
    }
  });

  it('publishes every node channels and a snapshot on connect, then live facts on the node subject', async () => {
    await startGateway();
    let events = await storedEvents();
    const initialChannels = net.nodes.reduce((sum, node) => sum + node.openChannelStates().length, 0);
    expect(count(events, 'NodeStateSnapshot')).toBe(3);
    expect(count(events, 'ChannelOpened')).toBe(initialChannels);

    const node = net.at(0);
    const channel = node.openChannelStates()[0]!;
    node.closeChannel(channel.channelPoint, 'LOCAL_FORCE_CLOSE');
    events = await waitFor('the close to be stored', storedEvents, (e) => count(e, 'ChannelClosed') === 1);
    expect(events.find((e) => e.type === 'ChannelClosed')).toMatchObject({ nodeId: node.pubkey, data: { channelPoint: channel.channelPoint, closeType: 'LOCAL_FORCE_CLOSE' } });
    const subject = nats.topology.nodeEventSubject(node.pubkey, 'ChannelClosed');
    const last = await nats.jsm.streams.getMessage(nats.topology.streamName('events'), { last_by_subj: subject });
    expect(last?.subject).toBe(subject);
  });

  it('opens one channel for an OpenChannel command published twice under different message ids', async () => {
    await startGateway();
    const node = net.at(0);
    const command = openCommand('cmd-dup-1', node.pubkey);
    const publisher = new JetStreamPublisher(nats.js, nats.topology);
    await publisher.publish(command);
    await publisher.publishRaw(nats.topology.commandSubject(node.pubkey, 'OpenChannel'), encodeMessage(command), 'cmd-dup-1-again');
    const commands = nats.topology.streamName('commands');
    await waitFor('both copies to be consumed', async () => (await nats.jsm.streams.info(commands)).state, (s) => s.last_seq === 2 && s.messages === 0);

    const events = await waitFor('the outcome and the pending channel', storedEvents, (e) => count(e, 'ChannelOpenRequested') === 1 && count(e, 'ChannelOpenPending') === 1);
    const requested = events.find((e) => e.type === 'ChannelOpenRequested');
    expect(requested).toMatchObject({ causationId: 'cmd-dup-1', data: { commandId: 'cmd-dup-1', peer: command.data.peer, localFundingSat: 500_000 } });
    expect(node.pendingChannelPoints()).toHaveLength(1);
    expect(node.pendingChannelPoints()[0]).toBe((requested?.data as { channelPoint: string }).channelPoint);
    const rows = await running!.context.dataSource.query<unknown[]>('SELECT command_id, status FROM open_channel_command');
    expect(rows).toEqual([{ command_id: 'cmd-dup-1', status: 'done' }]);
  });

  it('answers invalid, expired and foreign commands with ChannelOpenFailed and the reason, without touching the node', async () => {
    await startGateway();
    const node = net.at(1);
    const publisher = new JetStreamPublisher(nats.js, nats.topology);
    await publisher.publish(openCommand('cmd-small', node.pubkey, { localFundingSat: 10_000 }));
    await publisher.publish(openCommand('cmd-late', node.pubkey, { expiresAtMs: net.clock.now() - 1 }));
    const stranger = graph.describe.nodes.find((n) => net.node(n.pub_key) === undefined)!.pub_key;
    await publisher.publish(openCommand('cmd-foreign', stranger, { peer: node.pubkey }));

    const events = await waitFor('three failures', storedEvents, (e) => count(e, 'ChannelOpenFailed') === 3);
    const reasons = Object.fromEntries(events.filter((e) => e.type === 'ChannelOpenFailed').map((e) => [(e.data as { commandId: string }).commandId, (e.data as { reason: string }).reason]));
    expect(reasons).toEqual({ 'cmd-small': 'AMOUNT_OUT_OF_BOUNDS', 'cmd-late': 'EXPIRED', 'cmd-foreign': 'NODE_NOT_MANAGED' });
    expect(node.pendingChannelPoints()).toEqual([]);
  });

  it('answers a command for a node that never connects with a retryable failure before the redelivery limit', async () => {
    const silent = net.at(2);
    const neverReady: LightningNode = { ...bindAll(silent), getInfo: () => Promise.reject(new Error('connection refused')) };
    running = await bootstrapService(
      nodeGatewayDefinition({
        nodes: [{ id: 'sim-0', node: net.at(0) }, { id: 'down', node: neverReady }],
        now: () => net.clock.now(),
        reconnectDelayMs: () => 20,
        graphIntervalMs: 0,
        commandRedelivery: { initialDelayMs: 10, maxDelayMs: 20 },
      }),
      { NATS_URL: nats.natsUrl, DATABASE_URL: schema.databaseUrl, LNFLEET_NAMESPACE: nats.topology.namespace, DATABASE_SCHEMA: schema.schema, HTTP_PORT: '0' },
      { logger: false },
    );
    await new JetStreamPublisher(nats.js, nats.topology).publish(openCommand('cmd-to-down', silent.pubkey));
    const events = await waitFor('the failure', storedEvents, (e) => count(e, 'ChannelOpenFailed') === 1);
    expect(events.find((e) => e.type === 'ChannelOpenFailed')).toMatchObject({ data: { commandId: 'cmd-to-down', reason: 'NODE_ERROR', retryableAfter: expect.any(String) as unknown } });
    expect(silent.pendingChannelPoints()).toEqual([]);
    const health = running.app.get(NodeFleet, { strict: false }).health();
    expect(health.find((h) => h.id === 'down')).toMatchObject({ nodeId: null, status: expect.stringMatching(/connecting|disconnected/) as unknown });
  });

  it('after a restart republishes nothing for unchanged nodes and publishes what changed while it was down', async () => {
    await startGateway();
    const before = await storedEvents();
    await stopGateway();

    // While the gateway is down: node 1 loses a channel, node 0 opens one (confirmed at once), node 2 stays as it was.
    const closedChannel = net.at(1).openChannelStates()[0]!;
    net.at(1).closeChannel(closedChannel.channelPoint, 'COOPERATIVE_CLOSE');
    const opened = await net.at(0).openChannel({ peer: newPeerFor(net.at(0).pubkey), peerAddresses: [], localFundingSat: 400_000, pushSat: 0, targetConf: 3, minConfs: 1, private: false });
    net.advance(0);
    expect(opened.ok).toBe(true);

    await startGateway();
    const after = await storedEvents();
    const added = after.slice(before.length);
    const [n0, n1, n2] = net.nodes.map((n) => n.pubkey);
    expect(added.filter((e) => e.nodeId === n2)).toEqual([]);
    expect(added.filter((e) => e.nodeId === n1).map((e) => e.type)).toEqual(['ChannelClosed', 'NodeStateSnapshot']);
    expect(added.filter((e) => e.nodeId === n0).map((e) => e.type)).toEqual(['ChannelOpened', 'NodeStateSnapshot']);
    expect(added.find((e) => e.type === 'ChannelClosed')).toMatchObject({ data: { channelPoint: closedChannel.channelPoint, closeType: 'COOPERATIVE_CLOSE' } });
    // Every fact is stored once: no channel announced twice, whatever the restarts.
    const openedPoints = after.filter((e) => e.type === 'ChannelOpened').map((e) => `${e.nodeId}/${(e.data as { channelPoint: string }).channelPoint}`);
    expect(new Set(openedPoints).size).toBe(openedPoints.length);

    // And a third start with nothing changed adds nothing at all.
    await stopGateway();
    await startGateway();
    expect(await storedEvents()).toHaveLength(after.length);
  });
});

describe('node-gateway configured from the environment', () => {
  let nats: TestNats;
  let schema: TestSchema;

  beforeEach(async () => {
    nats = await testNats('gwenv');
    schema = await testSchema('gwenv');
  });

  afterEach(async () => {
    await nats.cleanup();
    await schema.drop();
  });

  const env = (config: unknown) => ({
    NATS_URL: nats.natsUrl,
    DATABASE_URL: schema.databaseUrl,
    LNFLEET_NAMESPACE: nats.topology.namespace,
    DATABASE_SCHEMA: schema.schema,
    HTTP_PORT: '0',
    NODE_GATEWAY_GRAPH_INTERVAL_MS: '0',
    NODE_GATEWAY_CONFIG: JSON.stringify(config),
  });

  it('serves the simulated nodes the configuration declares', async () => {
    const service = await bootstrapService(
      nodeGatewayDefinition(),
      env({ nodes: [{ id: 'sim-a', kind: 'sim' }, { id: 'sim-b', kind: 'sim', simIndex: 4 }], simnet: { seed: 9, meanPaymentIntervalMs: 0 } }),
      { logger: false },
    );
    try {
      const fleet = service.app.get(NodeFleet, { strict: false });
      await waitFor('both nodes to connect', () => fleet.health(), (h) => h.length === 2 && h.every((n) => n.status === 'connected'));
      expect(fleet.health().map((h) => h.id)).toEqual(['sim-a', 'sim-b']);
      expect(fleet.simnet?.nodes).toHaveLength(5);
      for (const { nodeId } of fleet.health()) {
        const snapshot = await nats.jsm.streams.getMessage(nats.topology.streamName('events'), { last_by_subj: nats.topology.nodeEventSubject(nodeId!, 'NodeStateSnapshot') });
        expect(snapshot).not.toBeNull();
      }
      expect(fleet.health().map((h) => h.nodeId)).toEqual([fleet.simnet?.at(0).pubkey, fleet.simnet?.at(4).pubkey]);
    } finally {
      await service.stop();
    }
  });

  it('fails at start naming the field of a bad node entry', async () => {
    await expect(bootstrapService(nodeGatewayDefinition(), env({ nodes: [{ id: 'x', kind: 'lnd', socket: 'h:1', certPath: '/c' }] }), { logger: false })).rejects.toThrow(/nodes\[0\]\.macaroonPath/);
  });

  it('fails at start naming the field of an lnd node whose certificate or macaroon file is not one, without showing either', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'gwlnd-'));
    writeFileSync(join(dir, 'tls.cert'), 'CERT-SECRET');
    writeFileSync(join(dir, 'admin.macaroon'), 'MACAROON-SECRET');
    const node = { id: 'alice', kind: 'lnd', socket: '10.0.0.5:10009', certPath: join(dir, 'tls.cert'), macaroonPath: join(dir, 'admin.macaroon') };
    const badCert = bootstrapService(nodeGatewayDefinition(), env({ nodes: [node] }), { logger: false });
    await expect(badCert).rejects.toThrow(/nodes\[0\]\.certPath: must be a PEM certificate \(lnd's tls\.cert\) for node "alice"/);
    await expect(badCert).rejects.not.toThrow(/CERT-SECRET|tls\.cert"|gwlnd-/);
    writeFileSync(join(dir, 'tls.cert'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const badMacaroon = bootstrapService(nodeGatewayDefinition(), env({ nodes: [node] }), { logger: false });
    await expect(badMacaroon).rejects.toThrow(/nodes\[0\]\.macaroonPath: must be a macaroon file/);
    await expect(badMacaroon).rejects.not.toThrow(/MACAROON-SECRET|gwlnd-/);
  });
});
