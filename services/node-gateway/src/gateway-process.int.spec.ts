/**
 * The gateway as its own Node process (compiled from this source), serving an lnd node (the test
 * lnd, over gRPC) with real NATS and PostgreSQL, killed with SIGKILL in the middle of an
 * OpenChannel and while the node keeps changing, then started again: no fact is lost, no channel
 * is opened twice, no fact is stored twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMessage, deterministicId, OpenChannel, type KnownMessage, type MessageByType } from '@lnfleet/contracts';
import { JetStreamPublisher } from '@lnfleet/messaging';
import { testNats, testSchema, waitFor, type TestNats, type TestSchema } from '@lnfleet/testing';
import { compileGateway, type CompiledGateway } from './compile-gateway.fixture.js';
import { testPubkey, TestLndServer } from './lnd/test-lnd-server.fixture.js';

const carol = testPubkey('carol');
const dave = testPubkey('dave');

/** GatewayProcess is one running gateway process and everything it wrote. */
interface GatewayProcess {
  readonly child: ChildProcess;
  readonly output: string[];
  readonly exited: Promise<NodeJS.Signals | number | null>;
}

describe('the gateway process killed with SIGKILL and restarted', () => {
  let nats: TestNats;
  let schema: TestSchema;
  let lnd: TestLndServer;
  let build: CompiledGateway;
  let dir: string;
  const processes: GatewayProcess[] = [];

  beforeAll(async () => {
    build = await compileGateway();
  });

  afterAll(() => {
    build.remove();
  });

  beforeEach(async () => {
    nats = await testNats('gwkill');
    schema = await testSchema('gwkill');
    lnd = await TestLndServer.start();
    dir = mkdtempSync(join(tmpdir(), 'gwkill-'));
    writeFileSync(join(dir, 'tls.cert'), lnd.tls.cert);
    writeFileSync(join(dir, 'admin.macaroon'), lnd.macaroon);
  });

  afterEach(async () => {
    for (const { child, exited } of processes.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
    lnd.stop();
    await nats.cleanup();
    await schema.drop();
  });

  function startGateway(): GatewayProcess {
    const env = {
      PATH: process.env.PATH ?? '',
      NATS_URL: nats.natsUrl,
      DATABASE_URL: schema.databaseUrl,
      LNFLEET_NAMESPACE: nats.topology.namespace,
      DATABASE_SCHEMA: schema.schema,
      HTTP_PORT: '0',
      NODE_GATEWAY_GRAPH_INTERVAL_MS: '0',
      // A command held by the killed process comes back after 2 s instead of a minute.
      NODE_GATEWAY_COMMAND_ACK_WAIT_MS: '2000',
      // The killed process's replica slot lease ages out after 2 s (default 15 s) before the restarted one serves.
      NODE_GATEWAY_LEASE_TTL_MS: '2000',
      NODE_GATEWAY_CONFIG: JSON.stringify({ nodes: [{ id: 'alice', kind: 'lnd', socket: lnd.socket, certPath: join(dir, 'tls.cert'), macaroonPath: join(dir, 'admin.macaroon') }] }),
    };
    const child = spawn(process.execPath, [build.mainPath], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => {
      child.once('exit', (code, signal) => {
        resolve(signal ?? code);
      });
    });
    const started = { child, output, exited };
    processes.push(started);
    return started;
  }

  /** storedEvents reads the events stream (empty until a gateway created it); a gateway that died on its own fails the test with its output. */
  async function storedEvents(): Promise<KnownMessage[]> {
    for (const { child, output } of processes) {
      if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode}:\n${output.join('')}`);
    }
    const name = nats.topology.streamName('events');
    const info = await nats.jsm.streams.info(name).catch(() => null);
    if (info === null) return [];
    const out: KnownMessage[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const stored = await nats.jsm.streams.getMessage(name, { seq });
      if (stored !== null) out.push(JSON.parse(new TextDecoder().decode(stored.data)) as KnownMessage);
    }
    return out;
  }

  const ofType = <T extends KnownMessage['type']>(events: KnownMessage[], type: T): Array<MessageByType<T>> => events.filter((e): e is MessageByType<T> => e.type === type);

  it('loses no fact and opens no channel twice', async () => {
    lnd.peerOnline(carol);
    lnd.peerOnline(dave);
    const existing = lnd.openPending(dave, 700_000);
    lnd.confirm(existing);
    const first = startGateway();
    await waitFor('the first snapshot', storedEvents, (e) => ofType(e, 'NodeStateSnapshot').length === 1, 30_000);
    await waitFor('the three lnd streams', () => lnd.fullySubscribed(), Boolean);
    const alice = lnd.identityPubkey;

    // An OpenChannel whose answer lnd holds back: the process has claimed the command and asked lnd.
    let answer: () => void = () => undefined;
    lnd.answerOpensAfter = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const command = createMessage(OpenChannel, {
      id: 'cmd-kill-1',
      nodeId: alice,
      occurredAt: new Date().toISOString(),
      causationId: null,
      data: { peer: carol, peerAddresses: [], localFundingSat: 500_000, pushSat: 0, targetConf: 3, minConfs: 1, private: false, expiresAt: new Date(Date.now() + 3_600_000).toISOString() },
    });
    await new JetStreamPublisher(nats.js, nats.topology).publish(command);
    await waitFor('lnd to be asked to open', () => lnd.opens.length, (n) => n === 1, 30_000);
    const [opening] = lnd.pending.keys();

    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    answer();
    // While no gateway runs, the node carries on: the new channel confirms, the old one closes, a peer leaves.
    lnd.confirm(opening!);
    lnd.close(existing, 'COOPERATIVE_CLOSE');
    lnd.peerOffline(dave);

    const second = startGateway();
    const events = await waitFor(
      'the catch-up and the command outcome',
      storedEvents,
      (e) => ofType(e, 'NodeStateSnapshot').length === 2 && ofType(e, 'ChannelOpenRequested').length === 1,
      40_000,
    );
    expect(lnd.opens).toHaveLength(1);
    expect(lnd.channels.size).toBe(1);
    expect(ofType(events, 'ChannelOpenRequested')[0]?.data).toMatchObject({ commandId: 'cmd-kill-1', peer: carol, channelPoint: opening });
    expect(ofType(events, 'ChannelOpened').map((e) => [e.id, e.data.channelPoint])).toEqual([
      [deterministicId('ChannelOpened', alice, existing), existing],
      [deterministicId('ChannelOpened', alice, opening!), opening],
    ]);
    expect(ofType(events, 'ChannelClosed').map((e) => [e.data.channelPoint, e.data.closeType])).toEqual([[existing, 'COOPERATIVE_CLOSE']]);
    expect(ofType(events, 'NodeStateSnapshot')[1]?.data).toMatchObject({ openChannels: [{ channelPoint: opening }], pendingChannels: [], onlinePeers: [carol] });
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);

    // Nothing secret in what either process wrote.
    const written = [...first.output, ...second.output].join('');
    expect(written).toMatch(/serving 1 node\(s\): alice/);
    for (const secret of [lnd.macaroon.toString('hex'), lnd.tls.key.split('\n')[1] ?? '', lnd.tls.cert.split('\n')[1] ?? '', dir]) {
      expect(written).not.toContain(secret);
    }
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 120_000);
});
