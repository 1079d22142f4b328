import { createHash } from 'node:crypto';
import { NetworkAddress, type ClosingChannel, type CloseType, type OpenChannelState, type PendingChannel, type WalletBalance } from '@lnfleet/contracts';
import type {
  ClosedChannelSummary,
  DescribedGraph,
  LightningNode,
  NodeInfo,
  NodeListener,
  NodeNotification,
  NodeSubscription,
  OpenChannelRequest,
  OpenChannelResult,
} from '../node/lightning-node.js';
import { exponentialMs, intBelow, intBetween, sampleIndices, type Rng } from './prng.js';
import type { TimerHandle, SimClock } from './sim-clock.js';
import type { SimGraph } from './sim-graph.js';
import type { FlapProfile, SimnetConfig } from './simnet-config.js';

/** MIN_CHANNEL_SAT is lnd's smallest channel (its funding policy refuses anything smaller). */
export const MIN_CHANNEL_SAT = 20_000;

/** SimContext is what every simulated node shares: the clock, the graph and the tunables. */
export interface SimContext {
  readonly clock: SimClock;
  readonly graph: SimGraph;
  readonly config: SimnetConfig;
}

/** SimChannel is a simulated node's view of one of its channels (pending or open). */
interface SimChannel {
  readonly channelPoint: string;
  readonly peer: string;
  readonly capacitySat: number;
  readonly initiator: 'LOCAL' | 'REMOTE';
  readonly private: boolean;
  status: 'pending' | 'open';
  chanId: string;
  localSat: number;
  remoteSat: number;
  active: boolean;
  openTimer?: TimerHandle;
}

interface SimPeer {
  online: boolean;
  readonly profile: FlapProfile;
  timer?: TimerHandle;
}

/** SimNodeSeed says which graph node a simulated node is and how it starts. */
export interface SimNodeSeed {
  /** graphIndex is the node's index in the shared graph; its pubkey and alias come from there. */
  readonly graphIndex: number;
  /** rng is this node's own random stream, so nodes do not perturb each other's draws. */
  readonly rng: Rng;
}

/** ChannelNotFoundError says a control call named a channel the simulated node does not have. */
export class ChannelNotFoundError extends Error {
  override readonly name = 'ChannelNotFoundError';
}

/**
 * SimNode is one simulated fleet node, a LightningNode whose world is the shared graph and the
 * shared SimClock. Its state (wallet, a few channels, their peers) is small; everything that
 * happens to it is scheduled on the clock and reported to subscribers as it happens, whether or
 * not anyone listens, just as a real node keeps running while the gateway is away.
 *
 * Each fleet node is simulated on its own: its counterparties, even other fleet nodes, are
 * modelled as remote peers, so two fleet nodes sharing a real channel do not see each other's
 * changes to it.
 */
export class SimNode implements LightningNode {
  /** pubkey is the node's identity (a real graph node's key). */
  readonly pubkey: string;
  readonly alias: string;
  private readonly rng: Rng;
  private confirmedSat: number;
  private lockedSat = 0;
  private readonly channels = new Map<string, SimChannel>();
  private readonly closed: ClosedChannelSummary[] = [];
  /** forceClosing holds local force closes whose outputs are not swept yet: they stay in the backup. */
  private readonly forceClosing = new Set<string>();
  private readonly peers = new Map<string, SimPeer>();
  private readonly listeners = new Set<NodeListener>();
  private txCounter = 0;
  private backupVersion = 0;

  constructor(
    private readonly context: SimContext,
    seed: SimNodeSeed,
  ) {
    const { graph, config } = context;
    const self = graph.node(seed.graphIndex);
    this.pubkey = self.pub_key;
    this.alias = self.alias.slice(0, 64);
    this.rng = seed.rng;
    this.confirmedSat = intBetween(this.rng, config.walletMinSat, config.walletMaxSat);
    const edges = graph.edgesOf(seed.graphIndex);
    for (const pick of sampleIndices(this.rng, edges.length, config.initialChannels)) {
      const edge = edges[pick];
      if (edge === undefined) continue;
      const channelPoint = `${this.txid(`initial:${edge.channel_id}`)}:${intBelow(this.rng, 2)}`;
      const capacitySat = Number(edge.capacity);
      const localSat = Math.floor(capacitySat * this.rng());
      const peer = edge.node1_pub === this.pubkey ? edge.node2_pub : edge.node1_pub;
      this.ensurePeer(peer, this.rng() < 0.95);
      this.channels.set(channelPoint, {
        channelPoint,
        peer,
        capacitySat,
        initiator: this.rng() < 0.5 ? 'LOCAL' : 'REMOTE',
        private: false,
        status: 'open',
        chanId: edge.channel_id,
        localSat,
        remoteSat: capacitySat - localSat,
        active: this.peers.get(peer)?.online ?? false,
      });
    }
    this.schedulePayment();
  }

  // ---- LightningNode ------------------------------------------------------------------------

  getInfo(): Promise<NodeInfo> {
    return Promise.resolve({ identityPubkey: this.pubkey, alias: this.alias, blockHeight: this.blockHeight(), syncedToChain: true, version: 'simnet-0.1' });
  }

  listChannels(): Promise<OpenChannelState[]> {
    return Promise.resolve(this.openChannelStates());
  }

  pendingChannels(): Promise<PendingChannel[]> {
    return Promise.resolve([...this.channels.values()].filter((c) => c.status === 'pending').map((c) => this.pendingState(c)));
  }

  /** closingChannels is always empty: a simulated close confirms at once. */
  closingChannels(): Promise<ClosingChannel[]> {
    return Promise.resolve([]);
  }

  closedChannels(): Promise<ClosedChannelSummary[]> {
    return Promise.resolve(this.closed.map((summary) => ({ ...summary, resolved: !this.forceClosing.has(summary.channelPoint) })));
  }

  onlinePeers(): Promise<string[]> {
    return Promise.resolve(this.onlinePeerList());
  }

  walletBalance(): Promise<WalletBalance> {
    return Promise.resolve(this.balance());
  }

  subscribe(listener: NodeListener): NodeSubscription {
    // Each subscribe is its own subscription, even with the same function.
    const wrapped: NodeListener = (notification) => {
      listener(notification);
    };
    this.listeners.add(wrapped);
    return {
      close: () => {
        this.listeners.delete(wrapped);
      },
    };
  }

  openChannel(request: OpenChannelRequest): Promise<OpenChannelResult> {
    return Promise.resolve(this.open(request));
  }

  describeGraph(): Promise<DescribedGraph> {
    return Promise.resolve(this.context.graph.describe);
  }

  // ---- synchronous views (tests, the simnet driver) -----------------------------------------

  /** balance is the node's current wallet and channel totals. */
  balance(): WalletBalance {
    let channelLocalSat = 0;
    let channelRemoteSat = 0;
    for (const channel of this.channels.values()) {
      if (channel.status !== 'open') continue;
      channelLocalSat += channel.localSat;
      channelRemoteSat += channel.remoteSat;
    }
    return { confirmedSat: this.confirmedSat, unconfirmedSat: 0, lockedSat: this.lockedSat, channelLocalSat, channelRemoteSat };
  }

  /** openChannelStates lists the open channels. */
  openChannelStates(): OpenChannelState[] {
    return [...this.channels.values()].filter((c) => c.status === 'open').map((c) => this.openState(c));
  }

  /** pendingChannelPoints lists the channels waiting for confirmation. */
  pendingChannelPoints(): string[] {
    return [...this.channels.values()].filter((c) => c.status === 'pending').map((c) => c.channelPoint);
  }

  /** onlinePeerList lists the peers connected now, sorted. */
  onlinePeerList(): string[] {
    return [...this.peers.entries()].filter(([, p]) => p.online).map(([key]) => key).sort();
  }

  /** subscriberCount is how many subscriptions are live. */
  get subscriberCount(): number {
    return this.listeners.size;
  }

  // ---- controls (tests and demos make things happen) ----------------------------------------

  /**
   * closeChannel closes a channel the way `closeType` says: a cooperative or remote force close
   * pays the local balance back at once, a local force close locks it until it is swept
   * (forceCloseResolveDelayMs later, then FULLY_RESOLVED), a pending channel can only be
   * FUNDING_CANCELED or ABANDONED.
   */
  closeChannel(channelPoint: string, closeType: CloseType): ClosedChannelSummary {
    const channel = this.channels.get(channelPoint);
    if (channel === undefined) throw new ChannelNotFoundError(`${this.pubkey} has no channel ${channelPoint}`);
    if (channel.openTimer !== undefined) this.context.clock.cancel(channel.openTimer);
    this.channels.delete(channelPoint);
    const local = channel.localSat;
    const noClosingTx = closeType === 'FUNDING_CANCELED' || closeType === 'ABANDONED';
    if (closeType === 'LOCAL_FORCE_CLOSE') {
      this.lockedSat += local;
      this.forceClosing.add(channelPoint);
      this.context.clock.after(this.context.config.forceCloseResolveDelayMs, () => {
        this.resolveForceClose(channelPoint, local);
      });
    } else if (closeType === 'FUNDING_CANCELED' && channel.initiator === 'LOCAL') {
      this.confirmedSat += channel.capacitySat - channel.remoteSat;
    } else if (!noClosingTx) {
      this.confirmedSat += local;
    }
    const summary: ClosedChannelSummary = {
      channelPoint,
      chanId: channel.status === 'open' ? channel.chanId : '0',
      peer: channel.peer,
      capacitySat: channel.capacitySat,
      closeType,
      closingTxid: noClosingTx ? null : this.txid(`close:${channelPoint}`),
      closeHeight: this.blockHeight(),
      settledBalanceSat: noClosingTx ? 0 : local,
      openInitiator: channel.initiator,
      closeInitiator: closeType === 'REMOTE_FORCE_CLOSE' || closeType === 'BREACH_CLOSE' ? 'REMOTE' : 'LOCAL',
      // Only a local force close has time-locked outputs to sweep in the simulation.
      resolved: closeType !== 'LOCAL_FORCE_CLOSE',
    };
    this.closed.push(summary);
    const at = this.context.clock.now();
    this.emit({ type: 'channelClosed', atMs: at, channel: summary });
    this.emitBackup();
    this.emit({ type: 'balanceChanged', atMs: at, balance: this.balance() });
    return summary;
  }

  /** setPeerOnline connects or disconnects a peer now (its flapping continues from there). */
  setPeerOnline(peer: string, online: boolean): void {
    const state = this.peers.get(peer);
    if (state === undefined) throw new ChannelNotFoundError(`${this.pubkey} has no peer ${peer}`);
    if (state.online !== online) this.togglePeer(peer);
  }

  /** dropSubscriptions ends every subscription as a broken stream would (streamDropped, then silence). */
  dropSubscriptions(reason: string): void {
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) listener({ type: 'streamDropped', atMs: this.context.clock.now(), reason });
  }

  // ---- simulation rules ---------------------------------------------------------------------

  private open(request: OpenChannelRequest): OpenChannelResult {
    const { config, clock, graph } = this.context;
    if (request.peer === this.pubkey) return { ok: false, kind: 'NODE_ERROR', message: 'cannot open a channel to yourself' };
    if (request.localFundingSat < MIN_CHANNEL_SAT) {
      return { ok: false, kind: 'NODE_ERROR', message: `funding amount ${request.localFundingSat} sat is below the minimum channel size ${MIN_CHANNEL_SAT} sat` };
    }
    const known = this.peers.get(request.peer);
    if (known === undefined) {
      const reachable = graph.addressesOf(request.peer).length > 0 || request.peerAddresses.length > 0;
      if (!reachable) return { ok: false, kind: 'PEER_UNREACHABLE', message: `no address known for ${request.peer}` };
    } else if (!known.online) {
      return { ok: false, kind: 'PEER_UNREACHABLE', message: `peer ${request.peer} is offline` };
    }
    const cost = request.localFundingSat + config.fundingFeeSat;
    if (cost > this.confirmedSat) {
      return { ok: false, kind: 'INSUFFICIENT_FUNDS', message: `need ${cost} sat confirmed (funding + fee), have ${this.confirmedSat} sat` };
    }
    if (this.rng() < config.openFailureProbability) {
      return { ok: false, kind: 'REJECTED_BY_PEER', message: `peer ${request.peer} rejected the channel (simulated)` };
    }
    this.confirmedSat -= cost;
    if (known === undefined) {
      // lnd connects to a new peer before funding, and reports the connection.
      this.ensurePeer(request.peer, true);
      this.emit({ type: 'peerOnline', atMs: clock.now(), peer: request.peer });
    }
    const channelPoint = `${this.txid(`open:${this.txCounter++}`)}:0`;
    const channel: SimChannel = {
      channelPoint,
      peer: request.peer,
      capacitySat: request.localFundingSat,
      initiator: 'LOCAL',
      private: request.private,
      status: 'pending',
      chanId: '0',
      localSat: request.localFundingSat - request.pushSat,
      remoteSat: request.pushSat,
      active: false,
    };
    channel.openTimer = clock.after(config.openDelayMs, () => {
      this.confirm(channel);
    });
    this.channels.set(channelPoint, channel);
    const at = clock.now();
    this.emit({ type: 'channelPendingOpen', atMs: at, channel: this.pendingState(channel) });
    this.emitBackup();
    this.emit({ type: 'balanceChanged', atMs: at, balance: this.balance() });
    return { ok: true, channelPoint };
  }

  private confirm(channel: SimChannel): void {
    delete channel.openTimer;
    const height = this.blockHeight();
    const txIndex = 1 + intBelow(this.rng, 3_000);
    channel.chanId = ((BigInt(height) << 40n) | (BigInt(txIndex) << 16n)).toString();
    channel.status = 'open';
    channel.active = this.peers.get(channel.peer)?.online ?? false;
    const at = this.context.clock.now();
    this.emit({ type: 'channelOpened', atMs: at, channel: this.openState(channel) });
    this.emitBackup();
    this.emit({ type: 'balanceChanged', atMs: at, balance: this.balance() });
  }

  private resolveForceClose(channelPoint: string, amountSat: number): void {
    this.lockedSat -= amountSat;
    this.confirmedSat += amountSat;
    this.forceClosing.delete(channelPoint);
    const at = this.context.clock.now();
    this.emit({ type: 'channelFullyResolved', atMs: at, channelPoint });
    this.emitBackup();
    this.emit({ type: 'balanceChanged', atMs: at, balance: this.balance() });
  }

  private ensurePeer(peer: string, online: boolean): void {
    if (this.peers.has(peer)) return;
    const { config } = this.context;
    const profile = this.rng() < config.flakyPeerFraction ? config.flakyPeer : config.stablePeer;
    const state: SimPeer = { online, profile };
    this.peers.set(peer, state);
    this.scheduleFlap(peer, state);
  }

  private scheduleFlap(peer: string, state: SimPeer): void {
    const mean = state.online ? state.profile.meanOnlineMs : state.profile.meanOfflineMs;
    state.timer = this.context.clock.after(exponentialMs(this.rng, mean), () => {
      this.togglePeer(peer);
    });
  }

  private togglePeer(peer: string): void {
    const state = this.peers.get(peer);
    if (state === undefined) return;
    if (state.timer !== undefined) this.context.clock.cancel(state.timer);
    state.online = !state.online;
    const at = this.context.clock.now();
    this.emit(state.online ? { type: 'peerOnline', atMs: at, peer } : { type: 'peerOffline', atMs: at, peer });
    for (const channel of this.channels.values()) {
      if (channel.peer !== peer || channel.status !== 'open' || channel.active === state.online) continue;
      channel.active = state.online;
      this.emit({ type: state.online ? 'channelActive' : 'channelInactive', atMs: at, channelPoint: channel.channelPoint });
    }
    this.scheduleFlap(peer, state);
  }

  private schedulePayment(): void {
    const mean = this.context.config.meanPaymentIntervalMs;
    if (mean <= 0) return;
    this.context.clock.after(exponentialMs(this.rng, mean), () => {
      this.pay();
      this.schedulePayment();
    });
  }

  /** pay moves a random amount across one active channel, in a random direction. */
  private pay(): void {
    const active = [...this.channels.values()].filter((c) => c.status === 'open' && c.active);
    const channel = active.length === 0 ? undefined : active[intBelow(this.rng, active.length)];
    if (channel === undefined) return;
    const outgoing = this.rng() < 0.5;
    const available = outgoing ? channel.localSat : channel.remoteSat;
    const limit = Math.min(available, Math.floor(channel.capacitySat * this.context.config.maxPaymentFraction));
    if (limit < 1) return;
    const amount = intBetween(this.rng, 1, limit);
    channel.localSat += outgoing ? -amount : amount;
    channel.remoteSat += outgoing ? amount : -amount;
    this.emit({ type: 'balanceChanged', atMs: this.context.clock.now(), balance: this.balance() });
  }

  private blockHeight(): number {
    const { config, clock } = this.context;
    return config.startHeight + Math.floor((clock.now() - config.startMs) / config.blockIntervalMs);
  }

  private txid(label: string): string {
    return createHash('sha256').update(`simnet:${this.context.config.seed}:${this.pubkey}:${label}`).digest('hex');
  }

  private pendingState(channel: SimChannel): PendingChannel {
    return {
      channelPoint: channel.channelPoint,
      peer: channel.peer,
      peerAddresses: this.peerAddresses(channel.peer),
      capacitySat: channel.capacitySat,
      localBalanceSat: channel.localSat,
      initiator: channel.initiator,
      private: channel.private,
      commitmentType: 'ANCHORS',
    };
  }

  private openState(channel: SimChannel): OpenChannelState {
    return { ...this.pendingState(channel), chanId: channel.chanId, remoteBalanceSat: channel.remoteSat, active: channel.active };
  }

  private peerAddresses(peer: string): string[] {
    return this.context.graph
      .addressesOf(peer)
      .filter((address) => NetworkAddress.safeParse(address).success)
      .slice(0, 32);
  }

  /** emitBackup reports the new multi-channel backup: pending, open and unswept local force closes. */
  private emitBackup(): void {
    const channelPoints = [...this.channels.keys(), ...this.forceClosing].sort();
    this.backupVersion++;
    this.emit({ type: 'backupUpdated', atMs: this.context.clock.now(), backup: { multiChanBackup: this.packedBackup(channelPoints), channelPoints } });
  }

  /**
   * packedBackup stands in for lnd's encrypted packed multi: a 24-byte nonce, a body of ~100
   * bytes per channel and a 16-byte tag, derived deterministically so that a run is reproducible.
   * It is opaque, like the real thing (only the node could decrypt it).
   */
  private packedBackup(channelPoints: readonly string[]): Uint8Array {
    const size = 24 + 5 + 100 * channelPoints.length + 16;
    const out = new Uint8Array(size);
    let filled = 0;
    for (let block = 0; filled < size; block++) {
      const digest = createHash('sha256').update(`backup:${this.pubkey}:${this.backupVersion}:${channelPoints.join(',')}:${block}`).digest();
      out.set(digest.subarray(0, Math.min(digest.length, size - filled)), filled);
      filled += digest.length;
    }
    return out;
  }

  private emit(notification: NodeNotification): void {
    for (const listener of [...this.listeners]) listener(notification);
  }
}
