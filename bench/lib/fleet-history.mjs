// A deterministic fleet history for the benchmarks: the node events a gateway publishes for a
// fleet of lnd nodes, built with the contracts' own constructors (createMessage validates every
// event against its schema) so every consumer sees valid, realistic traffic.
//
// Each node starts with a NodeStateSnapshot (gateway connect) holding a fifth of its channels,
// then grows to `peersPerNode` channels and keeps living: peers flap (every tenth peer of a node
// is flappy: picked six times as often), payments move channel balances (BalanceChanged), channels
// close (cooperative, local or remote force; force closes resolve two hours later) and are
// replaced by new ones (PeerOnline, ChannelOpenPending, ChannelOpened 30-60 minutes later), every
// channel change comes with lnd's ChannelBackupUpdated and a BalanceChanged, and now and then
// the gateway reconnects (NodeStateSnapshot). A node acts every 60 s of simulated time on
// average; the nodes' histories are merged in time order, as the gateway would publish them.
//
// Roughly, per 1,000,000 events: 60% peer flaps (online/offline), 20% balance changes, 10%
// backup updates, 8% channel open/pending/close/resolve, 0.5% snapshots (each listing every
// channel of its node).
import { createHash } from 'node:crypto';
import {
  BalanceChanged,
  ChannelBackupUpdated,
  ChannelClosed,
  ChannelOpened,
  ChannelOpenPending,
  ChannelResolved,
  createMessage,
  deterministicId,
  NodeStateSnapshot,
  PeerOffline,
  PeerOnline,
} from '@lnfleet/contracts';

const MINUTE = 60_000;
const PEER_POOL = 20_000;

const hex = (n, width) => n.toString(16).padStart(width, '0');
const sha = (text) => createHash('sha256').update(text).digest();

/** fleetNodeKey is the pubkey of the fleet's n-th managed node. */
export const fleetNodeKey = (n) => `03${hex(n + 1, 64)}`;
const poolPeerKey = (i) => `02${sha(`peer/${i}`).toString('hex')}`;

/** mulberry32 is a small seeded PRNG: the same seed gives the same history. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const TYPES = {
  BalanceChanged,
  ChannelBackupUpdated,
  ChannelClosed,
  ChannelOpened,
  ChannelOpenPending,
  ChannelResolved,
  NodeStateSnapshot,
  PeerOffline,
  PeerOnline,
};

/** NodeLife is one node's history, produced an event at a time in time order. */
class NodeLife {
  constructor(index, peersPerNode, startMs, seed) {
    this.index = index;
    this.nodeId = fleetNodeKey(index);
    this.peersPerNode = peersPerNode;
    this.random = mulberry32(seed ^ Math.imul(index + 1, 0x9e3779b1));
    this.clock = startMs + Math.floor(this.random() * MINUTE);
    this.sequence = 0;
    this.txCounter = 0;
    this.peers = new Map(); // pubkey → { online, flappy }
    this.channels = new Map(); // channelPoint → channel state
    this.onChain = 50_000_000 + Math.floor(this.random() * 50_000_000);
    this.ready = []; // events due, in time order
    this.scheduled = []; // [atMs, () => void] to run later
    this.started = false;
  }

  /** nextAt is when this node's next event happens. */
  nextAt() {
    this.fill();
    return this.ready[0].atMs;
  }

  /** take returns the node's next event (a valid message). */
  take() {
    this.fill();
    return this.ready.shift().message;
  }

  fill() {
    while (this.ready.length === 0) {
      if (!this.started) {
        this.started = true;
        this.start();
        continue;
      }
      const actAt = this.clock + Math.max(1_000, Math.round(-Math.log(1 - this.random()) * MINUTE));
      const due = this.scheduled.length > 0 && this.scheduled[0][0] <= actAt;
      if (due) {
        const [atMs, run] = this.scheduled.shift();
        this.clock = atMs;
        run();
      } else {
        this.clock = actAt;
        this.act();
      }
    }
  }

  emit(type, data) {
    const id = deterministicId(type, this.nodeId, this.sequence++);
    const message = createMessage(TYPES[type], { id, nodeId: this.nodeId, occurredAt: new Date(this.clock).toISOString(), causationId: null, data });
    this.ready.push({ atMs: this.clock, message });
  }

  schedule(atMs, run) {
    let i = this.scheduled.length;
    while (i > 0 && this.scheduled[i - 1][0] > atMs) i--;
    this.scheduled.splice(i, 0, [atMs, run]);
  }

  blockHeight() {
    return 880_000 + Math.floor((this.clock - Date.UTC(2026, 0, 1)) / (10 * MINUTE));
  }

  /** start: the gateway connects to a node that already has a fifth of its channels. */
  start() {
    const initial = Math.max(1, Math.floor(this.peersPerNode / 5));
    for (let i = 0; i < initial; i++) {
      const channel = this.newChannel();
      channel.state = 'open';
      channel.chanId = this.shortChannelId(channel);
      this.peers.get(channel.peer).online = true;
    }
    this.snapshot();
  }

  act() {
    const openOrPending = this.channels.size;
    const roll = this.random();
    if (roll < 0.55) this.flap();
    else if (roll < 0.85) this.payment();
    else if (roll < 0.96) {
      if (openOrPending < this.peersPerNode) this.openChannel();
      else this.payment();
    } else if (roll < 0.99) {
      if (openOrPending > this.peersPerNode * 0.8) this.closeChannel();
      else this.flap();
    } else this.snapshot();
  }

  newChannel() {
    let peer;
    do peer = poolPeerKey(Math.floor(this.random() * PEER_POOL));
    while (this.peers.has(peer) && [...this.channels.values()].some((channel) => channel.peer === peer));
    if (!this.peers.has(peer)) this.peers.set(peer, { online: false, flappy: this.peers.size % 10 === 0 });
    const txid = sha(`tx/${this.index}/${this.txCounter++}`).toString('hex');
    const capacity = 1_000_000 * (1 + Math.floor(this.random() * 10));
    const local = Math.floor(capacity * (0.3 + 0.6 * this.random()));
    const channel = { channelPoint: `${txid}:${Math.floor(this.random() * 2)}`, peer, capacity, local, state: 'pending', chanId: '0', opener: this.random() < 0.7 ? 'LOCAL' : 'REMOTE' };
    this.channels.set(channel.channelPoint, channel);
    return channel;
  }

  shortChannelId(channel) {
    const height = BigInt(this.blockHeight());
    const txIndex = BigInt(Math.floor(this.random() * 3_000));
    return String((height << 40n) | (txIndex << 16n) | BigInt(channel.channelPoint.slice(65)));
  }

  pendingData(channel) {
    return {
      channelPoint: channel.channelPoint,
      peer: channel.peer,
      peerAddresses: [`198.51.${(channel.capacity / 1_000_000) | 0}.${channel.peer.charCodeAt(10) % 250}:9735`],
      capacitySat: channel.capacity,
      localBalanceSat: channel.local,
      initiator: channel.opener,
      private: false,
      commitmentType: 'ANCHORS',
    };
  }

  openData(channel) {
    return { ...this.pendingData(channel), chanId: channel.chanId, remoteBalanceSat: channel.capacity - channel.local, active: this.peers.get(channel.peer).online };
  }

  balance() {
    let local = 0;
    let remote = 0;
    for (const channel of this.channels.values()) {
      if (channel.state !== 'open') continue;
      local += channel.local;
      remote += channel.capacity - channel.local;
    }
    return { confirmedSat: this.onChain, unconfirmedSat: 0, lockedSat: 0, channelLocalSat: local, channelRemoteSat: remote };
  }

  /** backupUpdated: lnd's packed multi-channel backup grows with the channels it covers. */
  backupUpdated() {
    const points = [...this.channels.values()].map((channel) => channel.channelPoint);
    const bytes = Buffer.alloc(64 + 120 * points.length);
    const seed = sha(`backup/${this.index}/${this.sequence}`);
    for (let i = 0; i < bytes.length; i += seed.length) seed.copy(bytes, i);
    this.emit('ChannelBackupUpdated', { multiChanBackup: bytes.toString('base64'), channelPoints: points });
  }

  snapshot() {
    const open = [];
    const pending = [];
    for (const channel of this.channels.values()) {
      if (channel.state === 'open') open.push(this.openData(channel));
      else pending.push(this.pendingData(channel));
    }
    const onlinePeers = [...this.peers].filter(([, peer]) => peer.online).map(([key]) => key);
    this.emit('NodeStateSnapshot', {
      alias: `bench-node-${this.index}`,
      blockHeight: this.blockHeight(),
      syncedToChain: true,
      openChannels: open,
      pendingChannels: pending,
      onlinePeers,
      balance: this.balance(),
    });
  }

  flap() {
    const candidates = [];
    for (const [key, peer] of this.peers) if (peer.online) for (let i = 0; i < (peer.flappy ? 6 : 1); i++) candidates.push(key);
    if (candidates.length === 0) return this.payment();
    const key = candidates[Math.floor(this.random() * candidates.length)];
    this.peers.get(key).online = false;
    this.emit('PeerOffline', { peer: key });
    this.schedule(this.clock + (1 + Math.floor(this.random() * 10)) * MINUTE, () => {
      const back = this.peers.get(key);
      if (back.online) return; // reconnected meanwhile (a channel was opened to it)
      back.online = true;
      this.emit('PeerOnline', { peer: key });
    });
  }

  payment() {
    const open = [...this.channels.values()].filter((channel) => channel.state === 'open');
    if (open.length > 0) {
      const channel = open[Math.floor(this.random() * open.length)];
      const amount = Math.floor(this.random() * channel.capacity * 0.05);
      channel.local = this.random() < 0.5 ? Math.max(0, channel.local - amount) : Math.min(channel.capacity, channel.local + amount);
    } else {
      this.onChain += Math.floor(this.random() * 100_000);
    }
    this.emit('BalanceChanged', this.balance());
  }

  openChannel() {
    const channel = this.newChannel();
    const peer = this.peers.get(channel.peer);
    if (!peer.online) {
      peer.online = true;
      this.emit('PeerOnline', { peer: channel.peer });
    }
    if (channel.opener === 'LOCAL') this.onChain = Math.max(0, this.onChain - channel.local);
    this.emit('ChannelOpenPending', this.pendingData(channel));
    this.backupUpdated();
    this.emit('BalanceChanged', this.balance());
    this.schedule(this.clock + (30 + Math.floor(this.random() * 30)) * MINUTE, () => {
      channel.state = 'open';
      channel.chanId = this.shortChannelId(channel);
      this.emit('ChannelOpened', this.openData(channel));
      this.backupUpdated();
      this.emit('BalanceChanged', this.balance());
    });
  }

  closeChannel() {
    const open = [...this.channels.values()].filter((channel) => channel.state === 'open');
    if (open.length === 0) return this.payment();
    const channel = open[Math.floor(this.random() * open.length)];
    const roll = this.random();
    const closeType = roll < 0.8 ? 'COOPERATIVE_CLOSE' : roll < 0.9 ? 'LOCAL_FORCE_CLOSE' : 'REMOTE_FORCE_CLOSE';
    this.channels.delete(channel.channelPoint);
    this.onChain += channel.local;
    this.emit('ChannelClosed', {
      channelPoint: channel.channelPoint,
      chanId: channel.chanId,
      peer: channel.peer,
      capacitySat: channel.capacity,
      closeType,
      closingTxid: sha(`close/${channel.channelPoint}`).toString('hex'),
      closeHeight: this.blockHeight(),
      settledBalanceSat: channel.local,
      openInitiator: channel.opener,
      closeInitiator: closeType === 'REMOTE_FORCE_CLOSE' ? 'REMOTE' : 'LOCAL',
    });
    this.backupUpdated();
    this.emit('BalanceChanged', this.balance());
    if (closeType !== 'COOPERATIVE_CLOSE') {
      this.schedule(this.clock + 120 * MINUTE, () => this.emit('ChannelResolved', { channelPoint: channel.channelPoint }));
    }
  }
}

/**
 * fleetHistory yields `events` node events of a fleet of `nodes` managed nodes with about
 * `peersPerNode` channels each, merged in time order, starting at `startMs` (simulated time:
 * a node acts about once a minute). The same arguments give the same events.
 */
export function* fleetHistory({ events, nodes = 1_000, peersPerNode = 50, startMs = Date.UTC(2026, 0, 1), seed = 7 }) {
  const lives = Array.from({ length: nodes }, (_, n) => new NodeLife(n, peersPerNode, startMs, seed));
  // A binary heap of nodes by their next event's time.
  const heap = lives.map((life) => ({ life, at: life.nextAt() }));
  const less = (a, b) => heap[a].at < heap[b].at || (heap[a].at === heap[b].at && heap[a].life.index < heap[b].life.index);
  const swap = (a, b) => ([heap[a], heap[b]] = [heap[b], heap[a]]);
  const down = (i) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(l, m)) m = l;
      if (r < heap.length && less(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (let i = Math.floor(heap.length / 2); i >= 0; i--) down(i);
  for (let produced = 0; produced < events; produced++) {
    const top = heap[0];
    yield top.life.take();
    top.at = top.life.nextAt();
    down(0);
  }
}

/** countByType tallies a history's event types (for the report). */
export function countByType(counts, message) {
  counts.set(message.type, (counts.get(message.type) ?? 0) + 1);
}
