/**
 * LndNode against the test lnd over real gRPC (TLS + macaroon) on 127.0.0.1: lnd's message shapes
 * become the port's shapes, streams become ordered notifications, refusals are typed, and bad
 * credentials give an error that says which file to check without showing the secret.
 */
import { waitFor } from '@lnfleet/testing';
import type { NodeNotification, NodeSubscription } from '../node/lightning-node.js';
import { LndNode, LndRpcError } from './lnd-node.js';
import { makeTls, testPubkey, TestLndServer } from './test-lnd-server.fixture.js';

const carol = testPubkey('carol');
const dave = testPubkey('dave');

describe('LndNode over gRPC against a test lnd', () => {
  let lnd: TestLndServer;
  let node: LndNode;
  let subscription: NodeSubscription | undefined;

  beforeEach(async () => {
    lnd = await TestLndServer.start();
    node = new LndNode({ socket: lnd.socket, cert: Buffer.from(lnd.tls.cert), macaroon: lnd.macaroon }, { id: 'alice', balancePollMs: 0 });
  });

  afterEach(() => {
    subscription?.close();
    subscription = undefined;
    node.close();
    lnd.stop();
  });

  function record(): NodeNotification[] {
    const seen: NodeNotification[] = [];
    subscription = node.subscribe((n) => seen.push(n));
    return seen;
  }

  it('reads GetInfo, channels (pending, open, closed), peers and balances in the port shapes', async () => {
    lnd.peerOnline(carol);
    const open = lnd.openPending(carol, 1_000_000);
    lnd.confirm(open);
    const pending = lnd.openPending(dave, 300_000, { initiator: 'INITIATOR_REMOTE' });
    const gone = lnd.openPending(carol, 200_000);
    lnd.confirm(gone);
    lnd.close(gone, 'REMOTE_FORCE_CLOSE', 'INITIATOR_REMOTE');

    expect(await node.getInfo()).toEqual({ identityPubkey: lnd.identityPubkey, alias: 'test-lnd', blockHeight: lnd.blockHeight, syncedToChain: true, version: '0.20.3-beta commit=test' });
    expect(await node.listChannels()).toEqual([
      { channelPoint: open, peer: carol, peerAddresses: [], capacitySat: 1_000_000, localBalanceSat: 1_000_000, initiator: 'LOCAL', private: false, commitmentType: 'ANCHORS', chanId: lnd.channels.get(open)?.chan_id, remoteBalanceSat: 0, active: true },
    ]);
    expect(await node.pendingChannels()).toEqual([{ channelPoint: pending, peer: dave, peerAddresses: [], capacitySat: 300_000, localBalanceSat: 0, initiator: 'REMOTE', private: false, commitmentType: 'ANCHORS' }]);
    const [closed] = await node.closedChannels();
    expect(closed).toEqual({
      channelPoint: gone,
      chanId: lnd.closed[0]?.chan_id,
      peer: carol,
      capacitySat: 200_000,
      closeType: 'REMOTE_FORCE_CLOSE',
      closingTxid: lnd.closed[0]?.closing_tx_hash,
      closeHeight: lnd.closed[0]?.close_height,
      settledBalanceSat: 200_000,
      openInitiator: 'LOCAL',
      closeInitiator: 'REMOTE',
      resolved: true,
    });
    expect(await node.onlinePeers()).toEqual([carol]);
    expect(await node.walletBalance()).toEqual({ confirmedSat: lnd.wallet.confirmed, unconfirmedSat: 0, lockedSat: 0, channelLocalSat: 1_000_000, channelRemoteSat: 0 });
    const graph = await node.describeGraph();
    expect(graph.edges).toEqual([{ channel_id: lnd.channels.get(open)?.chan_id, chan_point: open, node1_pub: lnd.identityPubkey, node2_pub: carol, capacity: '1000000' }]);
    expect(graph.nodes.map((n) => n.pub_key)).toEqual([lnd.identityPubkey, carol]);
  });

  it('turns the channel, peer and backup streams into ordered notifications, with the balance after each channel change', async () => {
    const seen = record();
    await waitFor('the three streams', () => lnd.fullySubscribed(), Boolean);
    // Each step waits for its notification, as lnd's events are blocks apart (the adapter reads
    // PendingChannels and the balances when told, so it reports the state at that time).
    const step = async (what: string, type: NodeNotification['type'], count: number) => {
      await waitFor(what, () => seen.filter((n) => n.type === type).length, (c) => c >= count);
    };
    lnd.peerOnline(carol);
    const point = lnd.openPending(carol, 400_000);
    await step('pending', 'channelPendingOpen', 1);
    lnd.confirm(point);
    await step('open', 'channelActive', 1);
    lnd.peerOffline(carol);
    lnd.close(point, 'LOCAL_FORCE_CLOSE');
    await step('closed', 'channelClosed', 1);
    lnd.resolve(point);
    const types = await waitFor('every notification', () => seen.map((n) => n.type), (t) => t.filter((x) => x === 'backupUpdated').length === 3 && t.filter((x) => x === 'balanceChanged').length === 4);
    // Channel notifications keep lnd's order; the other streams interleave by arrival.
    expect(types.filter((t) => t.startsWith('channel') || t === 'balanceChanged')).toEqual([
      'channelPendingOpen',
      'balanceChanged',
      'channelOpened',
      'balanceChanged',
      'channelActive',
      'channelInactive',
      'channelClosed',
      'balanceChanged',
      'channelFullyResolved',
      'balanceChanged',
    ]);
    expect(types.filter((t) => t.startsWith('peer'))).toEqual(['peerOnline', 'peerOffline']);
    const pendingOpen = seen.find((n) => n.type === 'channelPendingOpen');
    // PENDING_OPEN carries the txid in internal byte order: the adapter must show the display order.
    expect(pendingOpen).toMatchObject({ channel: { channelPoint: point, peer: carol, capacitySat: 400_000, initiator: 'LOCAL' } });
    expect(seen.find((n) => n.type === 'channelClosed')).toMatchObject({ channel: { channelPoint: point, closeType: 'LOCAL_FORCE_CLOSE', closeInitiator: 'LOCAL' } });
    expect(seen.find((n) => n.type === 'channelFullyResolved')).toMatchObject({ channelPoint: point });
    const balances = seen.flatMap((n) => (n.type === 'balanceChanged' ? [n.balance] : []));
    expect(balances[0]).toEqual({ confirmedSat: 4_600_000, unconfirmedSat: 0, lockedSat: 0, channelLocalSat: 0, channelRemoteSat: 0 });
    expect(balances[1]).toEqual({ confirmedSat: 4_600_000, unconfirmedSat: 0, lockedSat: 0, channelLocalSat: 400_000, channelRemoteSat: 0 });
    expect(balances.at(-1)).toEqual({ confirmedSat: 5_000_000, unconfirmedSat: 0, lockedSat: 0, channelLocalSat: 0, channelRemoteSat: 0 });
    const backups = seen.flatMap((n) => (n.type === 'backupUpdated' ? [n.backup.channelPoints] : []));
    expect(backups).toEqual([[point], [point], []]);
    expect(seen.some((n) => n.type === 'streamDropped')).toBe(false);
  });

  it('polls the balance while subscribed and reports only changes', async () => {
    node.close();
    node = new LndNode({ socket: lnd.socket, cert: Buffer.from(lnd.tls.cert), macaroon: lnd.macaroon }, { id: 'alice', balancePollMs: 20 });
    const seen = record();
    await waitFor('the three streams', () => lnd.fullySubscribed(), Boolean);
    lnd.wallet.unconfirmed = 70_000;
    await waitFor('the new balance', () => seen, (s) => s.some((n) => n.type === 'balanceChanged'));
    // Several polls later, an unchanged balance is still reported once.
    const pollsLater = Date.now() + 100;
    await waitFor('a few more polls', () => Date.now(), (t) => t > pollsLater);
    expect(seen.filter((n) => n.type === 'balanceChanged')).toEqual([{ type: 'balanceChanged', atMs: expect.any(Number) as unknown, balance: { confirmedSat: 5_000_000, unconfirmedSat: 70_000, lockedSat: 0, channelLocalSat: 0, channelRemoteSat: 0 } }]);
  });

  it('reports streamDropped once when lnd drops its streams, and once when lnd goes away', async () => {
    const seen = record();
    await waitFor('the three streams', () => lnd.fullySubscribed(), Boolean);
    lnd.dropStreams();
    await waitFor('the drop', () => seen, (s) => s.some((n) => n.type === 'streamDropped'));
    subscription?.close();

    const again = record();
    await waitFor('re-subscribed', () => lnd.fullySubscribed(), Boolean);
    lnd.goAway();
    const dropped = await waitFor('the drop', () => again.filter((n) => n.type === 'streamDropped'), (d) => d.length > 0);
    expect(dropped).toHaveLength(1);
    expect(seen.filter((n) => n.type === 'streamDropped')).toHaveLength(1);
    await expect(node.getInfo()).rejects.toThrow(/lnd node "alice" at 127\.0\.0\.1:\d+: GetInfo failed: node unreachable/);
    await lnd.comeBack();
    // gRPC reconnects by itself on the next call once lnd is back.
    expect((await waitFor('lnd back', () => node.getInfo().catch(() => null), (i) => i !== null))?.identityPubkey).toBe(lnd.identityPubkey);
  });

  it('opens a channel: connects to the peer at its address, then OpenChannelSync with the request fields', async () => {
    const result = await node.openChannel({ peer: carol, peerAddresses: ['198.51.100.4:9735'], localFundingSat: 250_000, pushSat: 1_000, targetConf: 3, minConfs: 1, private: true });
    const [point] = lnd.pending.keys();
    expect(result).toEqual({ ok: true, channelPoint: point });
    expect(lnd.peers.get(carol)).toBe('198.51.100.4:9735');
    expect(lnd.opens).toEqual([{ peer: carol, localFundingSat: 250_000, pushSat: 1_000, targetConf: 3, minConfs: 1, private: true }]);
  });

  it('classifies lnd refusing an open', async () => {
    expect(await node.openChannel({ peer: dave, peerAddresses: [], localFundingSat: 250_000, pushSat: 0, targetConf: 3, minConfs: 1, private: false })).toMatchObject({ ok: false, kind: 'PEER_UNREACHABLE' });
    expect(await node.openChannel({ peer: dave, peerAddresses: ['unreachable.example:9735'], localFundingSat: 250_000, pushSat: 0, targetConf: 3, minConfs: 1, private: false })).toMatchObject({ ok: false, kind: 'PEER_UNREACHABLE' });
    lnd.peerOnline(carol);
    expect(await node.openChannel({ peer: carol, peerAddresses: [], localFundingSat: 9_000_000, pushSat: 0, targetConf: 3, minConfs: 1, private: false })).toMatchObject({ ok: false, kind: 'INSUFFICIENT_FUNDS' });
    lnd.openRefusal = 'received funding error from 02ab: chan size of 0.0025 BTC is below min chan size of 0.01 BTC';
    expect(await node.openChannel({ peer: carol, peerAddresses: [], localFundingSat: 250_000, pushSat: 0, targetConf: 3, minConfs: 1, private: false })).toMatchObject({ ok: false, kind: 'REJECTED_BY_PEER' });
    expect(lnd.pending.size).toBe(0);
  });

  it('says the macaroon was refused, without showing it, on calls and on the streams', async () => {
    const wrong = Buffer.from('0201036c6e6402f801030a10', 'hex');
    const stranger = new LndNode({ socket: lnd.socket, cert: Buffer.from(lnd.tls.cert), macaroon: wrong }, { id: 'alice', balancePollMs: 0 });
    try {
      const error = await stranger.getInfo().then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(LndRpcError);
      expect((error as LndRpcError).message).toMatch(/lnd node "alice" at 127\.0\.0\.1:\d+: GetInfo was refused for its macaroon \(check macaroonPath/);
      expect((error as LndRpcError).connection).toBe(true);
      expect((error as LndRpcError).message).not.toContain(wrong.toString('hex'));
      const seen: NodeNotification[] = [];
      const sub = stranger.subscribe((n) => seen.push(n));
      const dropped = await waitFor('the refusal', () => seen.filter((n) => n.type === 'streamDropped'), (d) => d.length > 0);
      sub.close();
      expect(dropped).toEqual([{ type: 'streamDropped', atMs: expect.any(Number) as unknown, reason: expect.stringMatching(/refused for its macaroon/) as unknown }]);
      expect(lnd.refusedCalls).toBeGreaterThanOrEqual(2);
    } finally {
      stranger.close();
    }
  });

  it('says the TLS certificate does not match when given another node\'s certificate', async () => {
    const other = await makeTls();
    const stranger = new LndNode({ socket: lnd.socket, cert: Buffer.from(other.cert), macaroon: lnd.macaroon }, { id: 'alice', balancePollMs: 0 });
    try {
      await expect(stranger.getInfo()).rejects.toThrow(/GetInfo failed: TLS handshake failed \(check certPath/);
      expect(lnd.refusedCalls).toBe(0);
    } finally {
      stranger.close();
    }
  });
});
