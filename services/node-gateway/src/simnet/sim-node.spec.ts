import type { NodeNotification } from '../node/lightning-node.js';
import { SimGraph } from './sim-graph.js';
import { Simnet } from './simnet.js';
import { resolveSimnetConfig, SimnetConfigError, type SimnetConfig } from './simnet-config.js';
import { syntheticGraph, syntheticPubkey } from './synthetic-graph.js';

const HOUR = 3_600_000;
const graph = new SimGraph(syntheticGraph({ nodes: 200, channelsPerNode: 3, seed: 5 }));

function simnet(overrides: Partial<SimnetConfig> = {}): Simnet {
  return Simnet.create(graph, { fleetSize: 10, seed: 11, ...overrides });
}

function record(net: Simnet): Map<string, NodeNotification[]> {
  const seen = new Map<string, NodeNotification[]>();
  for (const node of net.nodes) {
    const list: NodeNotification[] = [];
    seen.set(node.pubkey, list);
    node.subscribe((n) => list.push(n));
  }
  return seen;
}

/** aPeerOf returns a graph node that is not yet a peer of the fleet node (so opens to it are new). */
function newPeerFor(net: Simnet, index: number): string {
  const node = net.at(index);
  const peers = new Set([...node.openChannelStates().map((c) => c.peer), node.pubkey]);
  for (let i = 0; ; i++) {
    const candidate = syntheticPubkey(5, i);
    if (!peers.has(candidate)) return candidate;
  }
}

const openRequest = (peer: string, localFundingSat = 1_000_000) => ({ peer, peerAddresses: [], localFundingSat, pushSat: 0, targetConf: 3, minConfs: 1, private: false });

describe('Simnet', () => {
  it('is deterministic: the same seed gives the same fleet and the same notifications', () => {
    const a = simnet();
    const b = simnet();
    const seenA = record(a);
    const seenB = record(b);
    a.advance(24 * HOUR);
    b.advance(24 * HOUR);
    expect(b.nodes.map((n) => n.pubkey)).toEqual(a.nodes.map((n) => n.pubkey));
    expect([...seenB.entries()]).toEqual([...seenA.entries()]);
    expect(b.nodes.map((n) => n.balance())).toEqual(a.nodes.map((n) => n.balance()));
    expect([...seenA.values()].flat().length).toBeGreaterThan(0);
  });

  it('picks a different fleet for a different seed', () => {
    expect(simnet({ seed: 12 }).nodes.map((n) => n.pubkey)).not.toEqual(simnet().nodes.map((n) => n.pubkey));
  });

  it('starts every node with a wallet, up to initialChannels real graph channels and their peers', async () => {
    const net = simnet({ initialChannels: 2 });
    for (const node of net.nodes) {
      const channels = await node.listChannels();
      expect(channels.length).toBeGreaterThan(0);
      expect(channels.length).toBeLessThanOrEqual(2);
      const graphChannelIds = new Set(graph.describe.edges.map((e) => e.channel_id));
      for (const channel of channels) {
        expect(graphChannelIds.has(channel.chanId)).toBe(true);
        expect(channel.localBalanceSat + channel.remoteBalanceSat).toBe(channel.capacitySat);
      }
      const balance = await node.walletBalance();
      expect(balance.confirmedSat).toBeGreaterThanOrEqual(net.config.walletMinSat);
      expect((await node.getInfo()).identityPubkey).toBe(node.pubkey);
    }
  });

  it('opens a channel: pending at once, open after openDelayMs, with backups and balances on the way', async () => {
    const net = simnet({ openFailureProbability: 0, openDelayMs: HOUR, meanPaymentIntervalMs: 0 });
    const node = net.at(0);
    const seen: NodeNotification[] = [];
    node.subscribe((n) => seen.push(n));
    const before = node.balance();
    const peer = newPeerFor(net, 0);

    const result = await node.openChannel(openRequest(peer, 500_000));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(node.balance().confirmedSat).toBe(before.confirmedSat - 500_000 - net.config.fundingFeeSat);
    expect(seen.map((n) => n.type)).toEqual(['peerOnline', 'channelPendingOpen', 'backupUpdated', 'balanceChanged']);
    expect(await node.pendingChannels()).toEqual([expect.objectContaining({ channelPoint: result.channelPoint, peer, capacitySat: 500_000, initiator: 'LOCAL' })]);

    net.advance(HOUR - 1);
    expect(node.pendingChannelPoints()).toEqual([result.channelPoint]);
    net.advance(1);
    const opened = seen.find((n) => n.type === 'channelOpened');
    expect(opened).toMatchObject({ atMs: net.config.startMs + HOUR, channel: { channelPoint: result.channelPoint, active: true, localBalanceSat: 500_000 } });
    expect(node.pendingChannelPoints()).toEqual([]);
    expect(node.balance().channelLocalSat).toBe(before.channelLocalSat + 500_000);
    const lastBackup = seen.filter((n) => n.type === 'backupUpdated').at(-1);
    expect(lastBackup?.type === 'backupUpdated' && lastBackup.backup.channelPoints).toContain(result.channelPoint);
  });

  it('fails opens with typed reasons: refused by the peer, insufficient funds, unreachable peer, to itself', async () => {
    const refusing = simnet({ openFailureProbability: 1 });
    expect(await refusing.at(0).openChannel(openRequest(newPeerFor(refusing, 0)))).toMatchObject({ ok: false, kind: 'REJECTED_BY_PEER' });

    const net = simnet({ openFailureProbability: 0, walletMinSat: 100_000, walletMaxSat: 100_000 });
    const node = net.at(0);
    expect(await node.openChannel(openRequest(newPeerFor(net, 0), 200_000))).toMatchObject({ ok: false, kind: 'INSUFFICIENT_FUNDS' });
    expect(await node.openChannel(openRequest(`02${'e'.repeat(64)}`, 50_000))).toMatchObject({ ok: false, kind: 'PEER_UNREACHABLE' });
    expect(await node.openChannel(openRequest(node.pubkey, 50_000))).toMatchObject({ ok: false, kind: 'NODE_ERROR' });
    expect(await node.openChannel(openRequest(newPeerFor(net, 0), 1_000))).toMatchObject({ ok: false, kind: 'NODE_ERROR' });
    const peer = node.openChannelStates()[0]!.peer;
    node.setPeerOnline(peer, false);
    expect(await node.openChannel(openRequest(peer, 50_000))).toMatchObject({ ok: false, kind: 'PEER_UNREACHABLE' });
    expect(node.balance().confirmedSat).toBe(100_000);
  });

  it('fails about openFailureProbability of valid opens', async () => {
    const net = simnet({ openFailureProbability: 0.3, walletMinSat: 10_000_000_000, walletMaxSat: 10_000_000_000 });
    const node = net.at(0);
    let failed = 0;
    for (let i = 0; i < 200; i++) {
      const result = await node.openChannel(openRequest(syntheticPubkey(5, 100 + (i % 90)), 100_000));
      if (!result.ok) failed++;
    }
    expect(failed).toBeGreaterThan(40);
    expect(failed).toBeLessThan(80);
  });

  it('flaps peers by their profile and toggles their channels active', () => {
    const net = simnet({ flakyPeerFraction: 1, flakyPeer: { meanOnlineMs: HOUR, meanOfflineMs: HOUR }, meanPaymentIntervalMs: 0 });
    const seen = record(net);
    net.advance(48 * HOUR);
    const all = [...seen.values()].flat();
    const online = all.filter((n) => n.type === 'peerOnline').length;
    const offline = all.filter((n) => n.type === 'peerOffline').length;
    expect(online).toBeGreaterThan(100);
    expect(Math.abs(online - offline)).toBeLessThan(40);
    expect(all.some((n) => n.type === 'channelInactive')).toBe(true);
    for (const node of net.nodes) {
      const online = new Set(node.onlinePeerList());
      for (const channel of node.openChannelStates()) expect(channel.active).toBe(online.has(channel.peer));
    }
  });

  it('moves channel balances with payments, conserving each channel capacity', () => {
    const net = simnet({ meanPaymentIntervalMs: 10 * 60_000 });
    const before = net.nodes.map((n) => n.balance().channelLocalSat);
    const seen = record(net);
    net.advance(12 * HOUR);
    expect(net.nodes.map((n) => n.balance().channelLocalSat)).not.toEqual(before);
    expect([...seen.values()].flat().filter((n) => n.type === 'balanceChanged').length).toBeGreaterThan(100);
    for (const node of net.nodes) {
      for (const c of node.openChannelStates()) expect(c.localBalanceSat + c.remoteBalanceSat).toBe(c.capacitySat);
    }
  });

  it('a local force close locks the balance and keeps the channel in the backup until resolved', () => {
    const net = simnet({ meanPaymentIntervalMs: 0, forceCloseResolveDelayMs: 10 * HOUR });
    const node = net.at(0);
    const seen: NodeNotification[] = [];
    node.subscribe((n) => seen.push(n));
    const channel = node.openChannelStates()[0]!;
    const before = node.balance();

    const summary = node.closeChannel(channel.channelPoint, 'LOCAL_FORCE_CLOSE');
    expect(summary).toMatchObject({ chanId: channel.chanId, closeType: 'LOCAL_FORCE_CLOSE', settledBalanceSat: channel.localBalanceSat });
    expect(node.balance().lockedSat).toBe(channel.localBalanceSat);
    const backups = (): string[][] => seen.flatMap((n) => (n.type === 'backupUpdated' ? [[...n.backup.channelPoints]] : []));
    expect(backups().at(-1)).toContain(channel.channelPoint);

    net.advance(10 * HOUR);
    expect(seen.some((n) => n.type === 'channelFullyResolved' && n.channelPoint === channel.channelPoint)).toBe(true);
    expect(backups().at(-1)).not.toContain(channel.channelPoint);
    expect(node.balance()).toMatchObject({ lockedSat: 0, confirmedSat: before.confirmedSat + channel.localBalanceSat });
  });

  it('reports closes in closedChannels and drops subscriptions like a broken stream', async () => {
    const net = simnet();
    const node = net.at(1);
    const seen: NodeNotification[] = [];
    node.subscribe((n) => seen.push(n));
    const channel = node.openChannelStates()[0]!;
    node.closeChannel(channel.channelPoint, 'COOPERATIVE_CLOSE');
    expect(await node.closedChannels()).toEqual([expect.objectContaining({ channelPoint: channel.channelPoint, closeType: 'COOPERATIVE_CLOSE' })]);
    expect(() => node.closeChannel(channel.channelPoint, 'COOPERATIVE_CLOSE')).toThrow(/no channel/);

    node.dropSubscriptions('simulated outage');
    expect(seen.at(-1)).toMatchObject({ type: 'streamDropped', reason: 'simulated outage' });
    expect(node.subscriberCount).toBe(0);
  });

  it('lets a replay of the notifications rebuild every node final state', async () => {
    const net = simnet({ openFailureProbability: 0.2, openDelayMs: 2 * HOUR, flakyPeerFraction: 0.5 });
    const state = new Map<string, { channels: Set<string>; peers: Set<string>; balance: unknown }>();
    for (const node of net.nodes) {
      const s = { channels: new Set(node.openChannelStates().map((c) => c.channelPoint)), peers: new Set(node.onlinePeerList()), balance: node.balance() as unknown };
      state.set(node.pubkey, s);
      node.subscribe((n) => {
        if (n.type === 'channelOpened') s.channels.add(n.channel.channelPoint);
        if (n.type === 'channelClosed') s.channels.delete(n.channel.channelPoint);
        if (n.type === 'peerOnline') s.peers.add(n.peer);
        if (n.type === 'peerOffline') s.peers.delete(n.peer);
        if (n.type === 'balanceChanged') s.balance = n.balance;
      });
    }
    for (let hour = 0; hour < 24; hour++) {
      for (const [i, node] of net.nodes.entries()) {
        if ((hour + i) % 5 === 0) await node.openChannel(openRequest(syntheticPubkey(5, (hour * 7 + i) % 200), 100_000 + hour * 1_000));
        if ((hour + i) % 11 === 0 && node.openChannelStates().length > 0) node.closeChannel(node.openChannelStates()[0]!.channelPoint, 'REMOTE_FORCE_CLOSE');
      }
      net.advance(HOUR);
    }
    for (const node of net.nodes) {
      const s = state.get(node.pubkey)!;
      expect([...s.channels].sort()).toEqual(node.openChannelStates().map((c) => c.channelPoint).sort());
      expect([...s.peers].sort()).toEqual(node.onlinePeerList());
      expect(s.balance).toEqual(node.balance());
    }
  });
});

describe('resolveSimnetConfig', () => {
  it('fills in defaults and names the first bad field', () => {
    expect(resolveSimnetConfig({ fleetSize: 3 }).fleetSize).toBe(3);
    expect(() => resolveSimnetConfig({ openFailureProbability: 2 })).toThrow(SimnetConfigError);
    expect(() => resolveSimnetConfig({ openFailureProbability: 2 })).toThrow(/openFailureProbability/);
    expect(() => resolveSimnetConfig({ walletMinSat: 10, walletMaxSat: 5 })).toThrow(/walletMaxSat/);
    expect(() => resolveSimnetConfig({ flakyPeer: { meanOnlineMs: 0, meanOfflineMs: 1 } })).toThrow(/flakyPeer/);
  });

  it('refuses a fleet larger than the graph nodes with channels', () => {
    expect(() => Simnet.create(graph, { fleetSize: 10_000 })).toThrow(/fleetSize/);
  });
});
