/**
 * The gateway serving an lnd node declared in its configuration (`kind: "lnd"`, socket, cert and
 * macaroon files), against the test lnd over real gRPC, with real NATS JetStream and PostgreSQL.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMessage, deterministicId, encodeMessage, OpenChannel, type KnownMessage, type MessageByType } from '@lnfleet/contracts';
import { JetStreamPublisher } from '@lnfleet/messaging';
import { bootstrapService, type RunningService } from '@lnfleet/service-kit';
import { testNats, testSchema, waitFor, type TestNats, type TestSchema } from '@lnfleet/testing';
import { testPubkey, TestLndServer } from './lnd/test-lnd-server.fixture.js';
import { nodeGatewayDefinition } from './service.js';
import { NodeFleet } from './shell/fleet.js';

const HOUR = 3_600_000;
const carol = testPubkey('carol');
const dave = testPubkey('dave');
const erin = testPubkey('erin');

describe('node-gateway serving an lnd node over gRPC, with real NATS and PostgreSQL', () => {
  let nats: TestNats;
  let schema: TestSchema;
  let lnd: TestLndServer;
  let dir: string;
  let running: RunningService | undefined;
  let reconnectAttempts: number[];

  beforeEach(async () => {
    nats = await testNats('gwlnd');
    schema = await testSchema('gwlnd');
    lnd = await TestLndServer.start();
    dir = mkdtempSync(join(tmpdir(), 'gwlnd-'));
    writeFileSync(join(dir, 'tls.cert'), lnd.tls.cert);
    // lnd writes macaroons in binary.
    writeFileSync(join(dir, 'admin.macaroon'), lnd.macaroon);
    reconnectAttempts = [];
  });

  afterEach(async () => {
    await running?.stop();
    running = undefined;
    lnd.stop();
    await nats.cleanup();
    await schema.drop();
  });

  function env(macaroonPath = join(dir, 'admin.macaroon')): Record<string, string> {
    return {
      NATS_URL: nats.natsUrl,
      DATABASE_URL: schema.databaseUrl,
      LNFLEET_NAMESPACE: nats.topology.namespace,
      DATABASE_SCHEMA: schema.schema,
      HTTP_PORT: '0',
      NODE_GATEWAY_CONFIG: JSON.stringify({ nodes: [{ id: 'alice', kind: 'lnd', socket: lnd.socket, certPath: join(dir, 'tls.cert'), macaroonPath, balancePollMs: 60_000 }] }),
    };
  }

  async function startGateway(environment = env()): Promise<NodeFleet> {
    running = await bootstrapService(
      nodeGatewayDefinition({
        graphIntervalMs: 0,
        // The session's exponential backoff, scaled down: 25 ms doubling to 400 ms.
        reconnectDelayMs: (attempt) => {
          reconnectAttempts.push(attempt);
          return Math.min(400, 25 * 2 ** (attempt - 1));
        },
        commandRedelivery: { initialDelayMs: 50, maxDelayMs: 200 },
      }),
      environment,
      { logger: false },
    );
    const fleet = running.app.get(NodeFleet, { strict: false });
    await waitFor('alice connected', () => fleet.health()[0]?.status, (s) => s === 'connected');
    await waitFor('the three lnd streams', () => lnd.fullySubscribed(), Boolean);
    return fleet;
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

  const ofType = <T extends KnownMessage['type']>(events: KnownMessage[], type: T): Array<MessageByType<T>> => events.filter((e): e is MessageByType<T> => e.type === type);

  it('publishes existing channels on first connect, then each lnd notification as its contract event with a deterministic id', async () => {
    lnd.peerOnline(carol);
    const existing = lnd.openPending(carol, 1_000_000);
    lnd.confirm(existing);
    const fleet = await startGateway();
    const alice = lnd.identityPubkey;
    expect(fleet.health()).toEqual([{ id: 'alice', nodeId: alice, status: 'connected' }]);

    const first = await waitFor('the first snapshot', storedEvents, (e) => ofType(e, 'NodeStateSnapshot').length === 1);
    expect(ofType(first, 'ChannelOpened').map((e) => [e.id, e.nodeId, e.data.channelPoint])).toEqual([[deterministicId('ChannelOpened', alice, existing), alice, existing]]);
    expect(ofType(first, 'NodeStateSnapshot')[0]?.data).toMatchObject({ alias: 'test-lnd', onlinePeers: [carol], openChannels: [{ channelPoint: existing, peer: carol, capacitySat: 1_000_000, active: true }], balance: { confirmedSat: 4_000_000, channelLocalSat: 1_000_000 } });

    lnd.peerOnline(dave);
    const point = lnd.openPending(dave, 300_000);
    await waitFor('ChannelOpenPending', storedEvents, (e) => ofType(e, 'ChannelOpenPending').length === 1);
    lnd.confirm(point);
    await waitFor('ChannelOpened', storedEvents, (e) => ofType(e, 'ChannelOpened').length === 2);
    lnd.close(existing, 'LOCAL_FORCE_CLOSE');
    await waitFor('ChannelClosed', storedEvents, (e) => ofType(e, 'ChannelClosed').length === 1);
    lnd.resolve(existing);
    lnd.peerOffline(carol);
    const events = await waitFor('ChannelResolved and PeerOffline', storedEvents, (e) => ofType(e, 'ChannelResolved').length === 1 && ofType(e, 'PeerOffline').length === 1);

    expect(ofType(events, 'ChannelOpenPending').map((e) => [e.id, e.data])).toEqual([
      [deterministicId('ChannelOpenPending', alice, point), { channelPoint: point, peer: dave, peerAddresses: [], capacitySat: 300_000, localBalanceSat: 300_000, initiator: 'LOCAL', private: false, commitmentType: 'ANCHORS' }],
    ]);
    expect(ofType(events, 'ChannelOpened')[1]).toMatchObject({ id: deterministicId('ChannelOpened', alice, point), data: { channelPoint: point, chanId: lnd.channels.get(point)?.chan_id, peer: dave } });
    expect(ofType(events, 'ChannelClosed').map((e) => [e.id, e.data.channelPoint, e.data.closeType, e.data.closeInitiator])).toEqual([[deterministicId('ChannelClosed', alice, existing), existing, 'LOCAL_FORCE_CLOSE', 'LOCAL']]);
    expect(ofType(events, 'ChannelResolved').map((e) => [e.id, e.data.channelPoint])).toEqual([[deterministicId('ChannelResolved', alice, existing), existing]]);
    const online = ofType(events, 'PeerOnline');
    expect(online.map((e) => e.data.peer)).toEqual([dave]);
    expect(online[0]?.id).toBe(deterministicId('PeerOnline', alice, dave, Date.parse(online[0]?.occurredAt ?? '')));
    expect(ofType(events, 'PeerOffline').map((e) => e.data.peer)).toEqual([carol]);
    const backups = ofType(events, 'ChannelBackupUpdated');
    // The packed multi covers every pending and open channel. lnd sends it after the open, the
    // confirmation and the close; the confirmation's has the same bytes, so the same id, and is dropped.
    const both = [existing, point].sort();
    expect(backups.map((e) => e.data.channelPoints)).toEqual([both, [point]]);
    expect(ofType(events, 'BalanceChanged').at(-1)?.data).toEqual({ confirmedSat: 5_000_000 - 300_000, unconfirmedSat: 0, lockedSat: 0, channelLocalSat: 300_000, channelRemoteSat: 0 });
    // Every id is unique: each fact is published once.
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it('survives lnd going away: reconnects with growing backoff and publishes what happened while it was away', async () => {
    lnd.peerOnline(carol);
    lnd.peerOnline(dave);
    const toConfirm = lnd.openPending(carol, 400_000);
    const toClose = lnd.openPending(dave, 500_000);
    lnd.confirm(toClose);
    const fleet = await startGateway();
    const alice = lnd.identityPubkey;
    await waitFor('the first snapshot', storedEvents, (e) => ofType(e, 'NodeStateSnapshot').length === 1);

    lnd.goAway();
    await waitFor('the session to notice', () => fleet.health()[0]?.status, (s) => s !== 'connected');
    // While the gateway cannot reach lnd, the node carries on.
    lnd.confirm(toConfirm);
    lnd.close(toClose, 'COOPERATIVE_CLOSE');
    lnd.peerOnline(erin);
    const opened = lnd.openPending(erin, 250_000);
    await waitFor('a few failed reconnects', () => reconnectAttempts, (a) => a.includes(3));
    expect(fleet.health()[0]?.status).not.toBe('connected');
    await lnd.comeBack();

    // The session counts a connect once its catch-up is published.
    await waitFor('the second connect', () => fleet.session('alice')?.connectCount, (n) => n === 2, 30_000);
    const events = await storedEvents();
    expect(ofType(events, 'NodeStateSnapshot')).toHaveLength(2);
    // Consecutive failures grew the backoff: attempts 1, 2, 3, ... without a reset in between.
    const run = reconnectAttempts.slice(reconnectAttempts.indexOf(1));
    expect(run.slice(0, 3)).toEqual([1, 2, 3]);
    expect(ofType(events, 'ChannelOpened').map((e) => e.data.channelPoint)).toEqual([toClose, toConfirm]);
    expect(ofType(events, 'ChannelOpened')[1]?.id).toBe(deterministicId('ChannelOpened', alice, toConfirm));
    expect(ofType(events, 'ChannelClosed').map((e) => [e.id, e.data.channelPoint, e.data.closeType])).toEqual([[deterministicId('ChannelClosed', alice, toClose), toClose, 'COOPERATIVE_CLOSE']]);
    expect(ofType(events, 'ChannelOpenPending').map((e) => e.data.channelPoint)).toEqual([toConfirm, opened]);
    const snapshot = ofType(events, 'NodeStateSnapshot')[1]?.data;
    expect(snapshot?.openChannels.map((c) => c.channelPoint)).toEqual([toConfirm]);
    expect(snapshot?.pendingChannels.map((c) => c.channelPoint)).toEqual([opened]);
    expect(new Set(snapshot?.onlinePeers)).toEqual(new Set([carol, dave, erin]));
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);

    // Live again: the streams were re-subscribed.
    await waitFor('the streams again', () => lnd.fullySubscribed(), Boolean);
    lnd.confirm(opened);
    await waitFor('the live ChannelOpened', storedEvents, (e) => ofType(e, 'ChannelOpened').some((x) => x.data.channelPoint === opened));
  });

  it('reconciles force closes across an absence: the resolution of one closed before, and the close of one still time-locked', async () => {
    lnd.peerOnline(carol);
    const resolvedAway = lnd.openPending(carol, 300_000);
    lnd.confirm(resolvedAway);
    const closedAway = lnd.openPending(carol, 200_000);
    lnd.confirm(closedAway);
    const fleet = await startGateway();
    const alice = lnd.identityPubkey;
    lnd.close(resolvedAway, 'LOCAL_FORCE_CLOSE');
    await waitFor('the live ChannelClosed', storedEvents, (e) => ofType(e, 'ChannelClosed').length === 1);

    lnd.goAway();
    await waitFor('the session to notice', () => fleet.health()[0]?.status, (s) => s !== 'connected');
    lnd.resolve(resolvedAway);
    lnd.close(closedAway, 'LOCAL_FORCE_CLOSE');
    await lnd.comeBack();
    await waitFor('the second connect', () => fleet.session('alice')?.connectCount, (n) => n === 2, 30_000);

    const events = await storedEvents();
    expect(ofType(events, 'ChannelResolved').map((e) => [e.id, e.data.channelPoint])).toEqual([[deterministicId('ChannelResolved', alice, resolvedAway), resolvedAway]]);
    // lnd lists a force close it is still resolving among its pending channels, without short
    // channel id: the gateway gives it the id the channel was announced with.
    expect(ofType(events, 'ChannelClosed').map((e) => [e.data.channelPoint, e.data.closeType, e.data.closeInitiator])).toEqual([
      [resolvedAway, 'LOCAL_FORCE_CLOSE', 'LOCAL'],
      [closedAway, 'LOCAL_FORCE_CLOSE', 'LOCAL'],
    ]);
    expect(lnd.closed[1]?.chan_id).not.toBe('0');
    expect(ofType(events, 'ChannelClosed')[1]?.data).toMatchObject({ chanId: lnd.closed[1]?.chan_id, capacitySat: 200_000, closingTxid: lnd.closed[1]?.closing_tx_hash });

    // Its resolution, live, completes the picture.
    await waitFor('the streams again', () => lnd.fullySubscribed(), Boolean);
    lnd.resolve(closedAway);
    await waitFor('the second ChannelResolved', storedEvents, (e) => ofType(e, 'ChannelResolved').length === 2);
  });

  it('keeps a close that is broadcast but not confirmed (waiting close) across gateway restarts, and publishes its ChannelClosed once it confirmed while the gateway was down', async () => {
    lnd.peerOnline(carol);
    lnd.peerOnline(dave);
    const forceClosing = lnd.openPending(carol, 300_000);
    const coopClosing = lnd.openPending(dave, 400_000);
    lnd.confirm(forceClosing);
    lnd.confirm(coopClosing);
    const chanIds = [lnd.channels.get(forceClosing)?.chan_id, lnd.channels.get(coopClosing)?.chan_id];
    await startGateway();
    const alice = lnd.identityPubkey;
    await waitFor('the first snapshot', storedEvents, (e) => ofType(e, 'NodeStateSnapshot').length === 1);
    // Both closes are broadcast while the gateway runs; lnd only reports the channels inactive.
    lnd.beginClose(forceClosing, 'LOCAL_FORCE_CLOSE');
    lnd.beginClose(coopClosing, 'COOPERATIVE_CLOSE', 'INITIATOR_REMOTE');
    await running?.stop();
    running = undefined;

    // A restart while the closes wait for confirmation: the channels are closing, not vanished.
    const written: string[] = [];
    const keep = (message: unknown): void => {
      written.push(String(message));
    };
    const logger = { log: keep, warn: keep, error: keep, debug: keep, verbose: keep, fatal: keep };
    running = await bootstrapService(nodeGatewayDefinition({ graphIntervalMs: 0, reconnectDelayMs: () => 25 }), env(), { logger });
    const fleet = running.app.get(NodeFleet, { strict: false });
    await waitFor('alice connected', () => fleet.health()[0]?.status, (s) => s === 'connected');
    const second = await waitFor('the second snapshot', storedEvents, (e) => ofType(e, 'NodeStateSnapshot').length === 2);
    expect(ofType(second, 'NodeStateSnapshot')[1]?.data).toMatchObject({
      openChannels: [],
      closingChannels: [
        { channelPoint: coopClosing, peer: dave, capacitySat: 400_000, closingTxid: lnd.waitingClose.get(coopClosing)?.closing_tx_hash },
        { channelPoint: forceClosing, peer: carol, capacitySat: 300_000, closingTxid: lnd.waitingClose.get(forceClosing)?.closing_tx_hash },
      ].sort((a, b) => (a.channelPoint < b.channelPoint ? -1 : 1)),
    });
    expect(written.join('\n')).not.toMatch(/vanished/);
    expect(ofType(second, 'ChannelClosed')).toEqual([]);
    await running.stop();
    running = undefined;

    // Both confirm while no gateway runs; the force close is still resolving (listed without short channel id).
    lnd.confirmClose(forceClosing);
    lnd.confirmClose(coopClosing);
    await startGateway();
    const events = await waitFor('both ChannelClosed', storedEvents, (e) => ofType(e, 'ChannelClosed').length === 2);
    expect(ofType(events, 'ChannelClosed').map((e) => [e.id, e.data.channelPoint, e.data.closeType, e.data.chanId]).sort()).toEqual(
      [
        [deterministicId('ChannelClosed', alice, forceClosing), forceClosing, 'LOCAL_FORCE_CLOSE', chanIds[0]],
        [deterministicId('ChannelClosed', alice, coopClosing), coopClosing, 'COOPERATIVE_CLOSE', chanIds[1]],
      ].sort(),
    );
    await waitFor('the streams again', () => lnd.fullySubscribed(), Boolean);
    lnd.resolve(forceClosing);
    await waitFor('its ChannelResolved', storedEvents, (e) => ofType(e, 'ChannelResolved').some((x) => x.data.channelPoint === forceClosing));
    expect(new Set((await storedEvents()).map((e) => e.id)).size).toBe((await storedEvents()).length);
  });

  it('re-subscribes when lnd drops its streams and publishes what it missed in between', async () => {
    lnd.peerOnline(carol);
    const fleet = await startGateway();
    await waitFor('the first snapshot', storedEvents, (e) => ofType(e, 'NodeStateSnapshot').length === 1);
    lnd.dropStreams();
    // Happens before the gateway re-subscribes; only reconciliation can report it.
    const point = lnd.openPending(carol, 200_000);
    lnd.confirm(point);
    await waitFor('the second connect', () => fleet.session('alice')?.connectCount, (n) => n === 2);
    const events = await waitFor('the missed ChannelOpened', storedEvents, (e) => ofType(e, 'ChannelOpened').some((x) => x.data.channelPoint === point));
    expect(ofType(events, 'ChannelOpened').map((e) => e.id)).toEqual([deterministicId('ChannelOpened', lnd.identityPubkey, point)]);
  });

  it('executes an OpenChannel command once, however often it is delivered, with the fields lnd needs', async () => {
    await startGateway();
    const alice = lnd.identityPubkey;
    const command = createMessage(OpenChannel, {
      id: 'cmd-lnd-1',
      nodeId: alice,
      occurredAt: new Date().toISOString(),
      causationId: null,
      data: { peer: carol, peerAddresses: ['198.51.100.9:9735'], localFundingSat: 600_000, pushSat: 0, targetConf: 3, minConfs: 1, private: false, expiresAt: new Date(Date.now() + HOUR).toISOString() },
    });
    const publisher = new JetStreamPublisher(nats.js, nats.topology);
    await publisher.publish(command);
    // The same command again under another message id: JetStream stores it twice, the ledger runs it once.
    await publisher.publishRaw(nats.topology.commandSubject(alice, 'OpenChannel'), encodeMessage(command), 'cmd-lnd-1-again');
    const events = await waitFor('the outcome', storedEvents, (e) => ofType(e, 'ChannelOpenRequested').length === 1 && ofType(e, 'ChannelOpenPending').length === 1);
    const commands = nats.topology.streamName('commands');
    await waitFor('both deliveries handled', async () => (await nats.jsm.streams.info(commands)).state.messages, (n) => n === 0);
    expect(lnd.opens).toEqual([{ peer: carol, localFundingSat: 600_000, pushSat: 0, targetConf: 3, minConfs: 1, private: false }]);
    expect(lnd.peers.get(carol)).toBe('198.51.100.9:9735');
    const [point] = lnd.pending.keys();
    expect(ofType(events, 'ChannelOpenRequested')[0]?.data).toMatchObject({ commandId: 'cmd-lnd-1', peer: carol, channelPoint: point });
    expect(ofType(await storedEvents(), 'ChannelOpenRequested')).toHaveLength(1);
  });

  it('keeps retrying with a clear error when lnd refuses the macaroon, and never logs the macaroon or the certificate', async () => {
    const wrongMacaroon = join(dir, 'other.macaroon');
    const wrong = Buffer.from('0201036c6e6402f801030a10112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex');
    writeFileSync(wrongMacaroon, wrong);
    const written: string[] = [];
    // Everything the service logs, at every level, is kept for inspection.
    const keep = (message: unknown, ...context: unknown[]): void => {
      written.push([message, ...context].map(String).join(' '));
    };
    const logger = { log: keep, warn: keep, error: keep, debug: keep, verbose: keep, fatal: keep };
    running = await bootstrapService(
      nodeGatewayDefinition({ graphIntervalMs: 0, reconnectDelayMs: (attempt) => Math.min(200, 25 * 2 ** (attempt - 1)) }),
      env(wrongMacaroon),
      { logger },
    );
    const fleet = running.app.get(NodeFleet, { strict: false });
    const log = await waitFor('the refusal in the log', () => written.join('\n'), (text) => /refused for its macaroon/.test(text));
    expect(log).toMatch(/node alice: lnd node "alice" at 127\.0\.0\.1:\d+: \w+ was refused for its macaroon \(check macaroonPath/);
    expect(fleet.health()[0]?.status).not.toBe('connected');
    await running.stop();
    running = undefined;
    // The right macaroon: a normal connection, logged too.
    running = await bootstrapService(nodeGatewayDefinition({ graphIntervalMs: 0 }), env(), { logger });
    const connected = running.app.get(NodeFleet, { strict: false });
    await waitFor('alice connected', () => connected.health()[0]?.status, (s) => s === 'connected');
    await running.stop();
    running = undefined;
    const everything = written.join('\n');
    expect(everything).toMatch(/serving 1 node\(s\): alice/);
    for (const secret of [wrong.toString('hex'), lnd.macaroon.toString('hex'), lnd.macaroon.toString('base64'), lnd.tls.key.split('\n')[1] ?? '', lnd.tls.cert.split('\n')[1] ?? '', dir]) {
      expect(everything).not.toContain(secret);
    }
  });
});
