import type { Envelope, KnownMessage } from '@lnfleet/contracts';
import { waitFor } from '@lnfleet/testing';
import type { PublishedState } from '../gateway/published-state.js';
import { SimGraph } from '../simnet/sim-graph.js';
import { Simnet } from '../simnet/simnet.js';
import { syntheticGraph } from '../simnet/synthetic-graph.js';
import { NodeSession, type PublishedStateStorage, type SessionDeps } from './node-session.js';
import { publishUntilStored } from './publish-until-stored.js';

const HOUR = 3_600_000;
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** FakeStream stores messages once per id, like JetStream within its duplicate window, and can be "down". */
class FakeStream {
  readonly stored: KnownMessage[] = [];
  private readonly ids = new Set<string>();
  failuresLeft = 0;
  attempts = 0;

  publish(message: Envelope): Promise<void> {
    this.attempts++;
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      return Promise.reject(Object.assign(new Error('no responders'), { name: 'RequestError' }));
    }
    if (!this.ids.has(message.id)) {
      this.ids.add(message.id);
      this.stored.push(message as KnownMessage);
    }
    return Promise.resolve();
  }

  ofType(type: KnownMessage['type']): KnownMessage[] {
    return this.stored.filter((m) => m.type === type);
  }
}

class MemoryStore implements PublishedStateStorage {
  readonly states = new Map<string, PublishedState>();
  load(nodeId: string): Promise<PublishedState | undefined> {
    return Promise.resolve(this.states.get(nodeId));
  }
  save(nodeId: string, _configId: string, state: PublishedState): Promise<void> {
    this.states.set(nodeId, state);
    return Promise.resolve();
  }
}

function setup() {
  const net = Simnet.create(new SimGraph(syntheticGraph({ nodes: 100, channelsPerNode: 3, seed: 4 })), {
    fleetSize: 2,
    seed: 4,
    meanPaymentIntervalMs: 0,
    openFailureProbability: 0,
    stablePeer: { meanOnlineMs: 1e12, meanOfflineMs: 1e12 },
    flakyPeerFraction: 0,
  });
  const stream = new FakeStream();
  const store = new MemoryStore();
  const deps: SessionDeps = {
    publish: (message, signal) => publishUntilStored(stream, message, signal, quiet, { firstDelayMs: 1, maxDelayMs: 5 }),
    store,
    now: () => net.clock.now(),
    logger: quiet,
    reconnectDelayMs: () => 1,
  };
  return { net, stream, store, deps, node: net.at(0) };
}

describe('NodeSession', () => {
  const sessions: NodeSession[] = [];
  afterEach(async () => {
    for (const s of sessions.splice(0)) await s.stop();
  });
  const start = (session: NodeSession): NodeSession => {
    sessions.push(session);
    session.start();
    return session;
  };

  it('on connect announces existing channels and a snapshot, then publishes live notifications in order', async () => {
    const { stream, deps, node, store } = setup();
    const session = start(new NodeSession('sim-0', node, deps));
    await waitFor('the session to connect', () => session.status, (s) => s === 'connected');
    expect(session.nodeId).toBe(node.pubkey);
    expect(stream.ofType('ChannelOpened')).toHaveLength(node.openChannelStates().length);
    expect(stream.ofType('NodeStateSnapshot')).toHaveLength(1);

    const channel = node.openChannelStates()[0]!;
    node.closeChannel(channel.channelPoint, 'COOPERATIVE_CLOSE');
    await waitFor('the close to be published', () => stream.ofType('ChannelClosed').length, (n) => n === 1);
    expect(stream.stored.slice(-3).map((m) => m.type)).toEqual(['ChannelClosed', 'ChannelBackupUpdated', 'BalanceChanged']);
    await waitFor('the state to be saved', () => store.states.get(node.pubkey)?.channels[channel.channelPoint], (s) => s === undefined);
  });

  it('keeps retrying while NATS is down and publishes everything, in order, once it is back', async () => {
    const { stream, deps, node } = setup();
    stream.failuresLeft = 5;
    const session = start(new NodeSession('sim-0', node, deps));
    await waitFor('the session to connect', () => session.status, (s) => s === 'connected');
    expect(stream.attempts).toBeGreaterThan(stream.stored.length);
    expect(stream.stored.at(-1)?.type).toBe('NodeStateSnapshot');
  });

  it('counts notifications in its backlog until they are published and saved', async () => {
    const { stream, deps, node } = setup();
    const session = start(new NodeSession('sim-0', node, deps));
    await waitFor('the session to connect', () => session.connectCount, (n) => n === 1);
    expect(session.backlog).toBe(0);
    let notified = 0;
    const counting = node.subscribe(() => {
      notified++;
    });
    // NATS is "down": what the two closes notify waits in the session.
    stream.failuresLeft = Number.MAX_SAFE_INTEGER;
    const attemptsBefore = stream.attempts;
    const [first, second] = node.openChannelStates();
    node.closeChannel(first!.channelPoint, 'COOPERATIVE_CLOSE');
    node.closeChannel(second!.channelPoint, 'COOPERATIVE_CLOSE');
    counting.close();
    await waitFor('a failed publish attempt', () => stream.attempts, (n) => n > attemptsBefore);
    expect(notified).toBeGreaterThanOrEqual(2);
    expect(session.backlog).toBe(notified);
    stream.failuresLeft = 0;
    await waitFor('the backlog to empty', () => session.backlog, (n) => n === 0);
    expect(stream.ofType('ChannelClosed')).toHaveLength(2);
  });

  it('reconnects after a dropped stream and publishes what happened while it was away', async () => {
    const { net, stream, deps, node } = setup();
    const session = start(new NodeSession('sim-0', node, deps));
    await waitFor('the session to connect', () => session.connectCount, (n) => n === 1);
    // Drop the stream and close a channel "during" the drop, before the session re-subscribes.
    const channel = node.openChannelStates()[0]!;
    node.dropSubscriptions('test drop');
    node.closeChannel(channel.channelPoint, 'REMOTE_FORCE_CLOSE');
    net.advance(HOUR);
    await waitFor('the session to reconnect', () => session.connectCount, (n) => n === 2);
    expect(stream.ofType('ChannelClosed').map((m) => m.data)).toEqual([expect.objectContaining({ channelPoint: channel.channelPoint, closeType: 'REMOTE_FORCE_CLOSE' })]);
    expect(session.status).toBe('connected');
  });

  it('after a restart republishes nothing new for an unchanged node and catches up a changed one', async () => {
    const { net, stream, deps, node, store } = setup();
    const first = start(new NodeSession('sim-0', node, deps));
    await waitFor('the first session to connect', () => first.status, (s) => s === 'connected');
    await first.stop();
    const before = stream.stored.length;

    const again = start(new NodeSession('sim-0', node, deps));
    await waitFor('the second session to connect', () => again.status, (s) => s === 'connected');
    expect(stream.stored.length).toBe(before);
    await again.stop();

    const result = await node.openChannel({ peer: net.graph.node(50).pub_key, peerAddresses: [], localFundingSat: 300_000, pushSat: 0, targetConf: 3, minConfs: 1, private: false });
    expect(result.ok).toBe(true);
    net.advance(2 * HOUR);
    const third = start(new NodeSession('sim-0', node, deps));
    await waitFor('the third session to connect', () => third.status, (s) => s === 'connected');
    const point = result.ok ? result.channelPoint : '';
    expect(stream.stored.slice(before).map((m) => m.type)).toEqual(['ChannelOpened', 'NodeStateSnapshot']);
    expect(store.states.get(node.pubkey)?.channels[point]).toBe('open');
  });

  it('a crash between publishing and saving the published state loses nothing and stores nothing twice', async () => {
    const { net, stream, deps, node, store } = setup();
    const first = start(new NodeSession('sim-0', node, deps));
    await waitFor('the first session to connect', () => first.status, (s) => s === 'connected');
    // From now on the state is never saved, as if the process died right after each publish.
    const frozen = store.states.get(node.pubkey);
    const crashing: SessionDeps = { ...deps, store: { load: (id) => store.load(id), save: () => Promise.resolve() } };
    await first.stop();
    const second = start(new NodeSession('sim-0', node, crashing));
    await waitFor('the second session to connect', () => second.status, (s) => s === 'connected');
    const channel = node.openChannelStates()[0]!;
    node.closeChannel(channel.channelPoint, 'COOPERATIVE_CLOSE');
    const opened = await node.openChannel({ peer: net.graph.node(60).pub_key, peerAddresses: [], localFundingSat: 250_000, pushSat: 0, targetConf: 3, minConfs: 1, private: false });
    await waitFor('the live close and pending open to be stored', () => [stream.ofType('ChannelClosed').length, stream.ofType('ChannelOpenPending').length], ([c, p]) => c === 1 && p === 1);
    await second.stop(); // "killed": the saved state is still the one from before the changes
    expect(store.states.get(node.pubkey)).toBe(frozen);

    const before = stream.stored.length;
    const third = start(new NodeSession('sim-0', node, deps));
    await waitFor('the restarted session to connect', () => third.status, (s) => s === 'connected');
    // Reconciliation re-derives the close and the pending open from the stale state with the live
    // ids, so the stream (deduplicating by id) keeps one copy; only the new snapshot is added.
    expect(stream.stored.slice(before).map((m) => m.type)).toEqual(['NodeStateSnapshot']);
    expect([stream.ofType('ChannelClosed').length, stream.ofType('ChannelOpenPending').length]).toEqual([1, 1]);
    expect(opened.ok && store.states.get(node.pubkey)?.channels[opened.channelPoint]).toBe('pending');
    expect(store.states.get(node.pubkey)?.channels[channel.channelPoint]).toBeUndefined();
    const ids = stream.stored.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
