import { Client, credentials, Metadata, status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import type { ClosingChannel, OpenChannelState, PendingChannel, WalletBalance } from '@lnfleet/contracts';
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
import {
  backupOf,
  balanceOf,
  channelPointOf,
  closedSummaryOf,
  describeRpcError,
  displayTxid,
  forceClosingSummaryOf,
  graphEdgeOf,
  graphNodeOf,
  isConnectionError,
  nodeInfoOf,
  openChannelStateOf,
  openFailureKindOf,
  pendingChannelOf,
  sameBalance,
  waitingCloseOf,
} from './lnd-mapping.js';
import type {
  LndChannel,
  LndChannelBalanceResponse,
  LndChannelCloseSummary,
  LndChannelEdge,
  LndChannelEventUpdate,
  LndChannelPoint,
  LndChanBackupSnapshot,
  LndGetInfoResponse,
  LndGraphNode,
  LndOpenChannelRequest,
  LndPeer,
  LndPeerEvent,
  LndPendingChannelsResponse,
  LndWalletBalanceResponse,
} from './lnd-messages.js';
import { lightningMethod, type LightningMethod } from './lnd-proto.js';

/** LndCredentials are what it takes to talk to one lnd: where, its TLS certificate, and a macaroon. */
export interface LndCredentials {
  /** socket is lnd's gRPC "host:port"; the host must be one of the certificate's names. */
  readonly socket: string;
  /** cert is lnd's tls.cert (PEM). */
  readonly cert: Buffer;
  /** macaroon is the macaroon file's bytes; it travels hex-encoded in the `macaroon` metadata of every call. */
  readonly macaroon: Buffer;
}

/** LndNodeOptions tune an LndNode. */
export interface LndNodeOptions {
  /** id is the operator's name for the node, used in error messages. */
  readonly id: string;
  /** balancePollMs is how often WalletBalance/ChannelBalance are polled while subscribed (lnd has no balance stream). Default 30 s. */
  readonly balancePollMs?: number;
  /** callTimeoutMs bounds each query. Default 30 s. */
  readonly callTimeoutMs?: number;
  /** openTimeoutMs bounds OpenChannelSync, which waits for the peer and the funding broadcast. Default 5 min. */
  readonly openTimeoutMs?: number;
  /** graphTimeoutMs bounds DescribeGraph, which can be tens of MB. Default 2 min. */
  readonly graphTimeoutMs?: number;
  /** now stamps notifications (lnd's streams carry no time). Default: the wall clock. */
  readonly now?: () => number;
}

/** LndRpcError is a failed call, with a message that names the node and RPC and says what to check. */
export class LndRpcError extends Error {
  override readonly name = 'LndRpcError';
  constructor(
    message: string,
    /** code is the gRPC status code. */
    readonly code: status,
    /** connection says whether the node could not be reached or refused the credentials (as opposed to answering with an error). */
    readonly connection: boolean,
  ) {
    super(message);
  }
}

const MiB = 1024 * 1024;

/**
 * LndNode is the LightningNode port over lnd's gRPC interface (lnrpc.Lightning), with TLS and a
 * macaroon. It keeps no state about the node: every query is a call, and `subscribe` merges
 * SubscribeChannelEvents, SubscribePeerEvents and SubscribeChannelBackups with a balance poll into
 * one ordered stream of notifications. When any of the streams ends or fails, the subscription
 * reports `streamDropped` once and stops; the NodeSession then reconnects with exponential
 * backoff and reconciles. gRPC itself re-establishes the connection (with its own backoff) on the
 * next call.
 */
export class LndNode implements LightningNode {
  private readonly client: Client;
  private readonly now: () => number;
  private readonly callTimeoutMs: number;

  constructor(
    private readonly lnd: LndCredentials,
    private readonly options: LndNodeOptions,
  ) {
    // The macaroon lives only in this closure and the call metadata; nothing logs either.
    const macaroonHex = lnd.macaroon.toString('hex');
    const macaroon = credentials.createFromMetadataGenerator((_params, callback) => {
      const metadata = new Metadata();
      metadata.add('macaroon', macaroonHex);
      callback(null, metadata);
    });
    this.client = new Client(lnd.socket, credentials.combineChannelCredentials(credentials.createSsl(lnd.cert), macaroon), {
      'grpc.max_receive_message_length': 512 * MiB,
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.initial_reconnect_backoff_ms': 1_000,
      'grpc.max_reconnect_backoff_ms': 30_000,
    });
    this.now = options.now ?? Date.now;
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000;
  }

  /** socket is where the node is reached. */
  get socket(): string {
    return this.lnd.socket;
  }

  async getInfo(): Promise<NodeInfo> {
    return nodeInfoOf(await this.call<LndGetInfoResponse>('GetInfo', {}));
  }

  async listChannels(): Promise<OpenChannelState[]> {
    const response = await this.call<{ channels: LndChannel[] }>('ListChannels', {});
    return response.channels.map(openChannelStateOf);
  }

  async pendingChannels(): Promise<PendingChannel[]> {
    const response = await this.call<LndPendingChannelsResponse>('PendingChannels', {});
    return response.pending_open_channels.flatMap((pending) => (pending.channel === null ? [] : [pendingChannelOf(pending.channel)]));
  }

  async closingChannels(): Promise<ClosingChannel[]> {
    const response = await this.call<LndPendingChannelsResponse>('PendingChannels', {});
    return response.waiting_close_channels.flatMap((waiting) => {
      const closing = waitingCloseOf(waiting);
      return closing === null ? [] : [closing];
    });
  }

  /**
   * closedChannels joins ClosedChannels (fully resolved closes of every type: no filter flag set)
   * and the force closes lnd is still resolving (PendingChannels), so that a channel closed while
   * the gateway was away is explained even before its outputs are swept.
   */
  async closedChannels(): Promise<ClosedChannelSummary[]> {
    const [closed, pending] = await Promise.all([this.call<{ channels: LndChannelCloseSummary[] }>('ClosedChannels', {}), this.call<LndPendingChannelsResponse>('PendingChannels', {})]);
    const resolved = closed.channels.map((summary) => closedSummaryOf(summary, true));
    const known = new Set(resolved.map((summary) => summary.channelPoint));
    const resolving = pending.pending_force_closing_channels.flatMap((closing) => {
      const summary = forceClosingSummaryOf(closing);
      return summary === null || known.has(summary.channelPoint) ? [] : [summary];
    });
    return [...resolved, ...resolving];
  }

  async onlinePeers(): Promise<string[]> {
    const response = await this.call<{ peers: LndPeer[] }>('ListPeers', {});
    return response.peers.map((peer) => peer.pub_key);
  }

  async walletBalance(): Promise<WalletBalance> {
    const [wallet, channels] = await Promise.all([this.call<LndWalletBalanceResponse>('WalletBalance', {}), this.call<LndChannelBalanceResponse>('ChannelBalance', {})]);
    return balanceOf(wallet, channels);
  }

  async describeGraph(): Promise<DescribedGraph> {
    const graph = await this.call<{ nodes: LndGraphNode[]; edges: LndChannelEdge[] }>('DescribeGraph', { include_unannounced: false }, this.options.graphTimeoutMs ?? 120_000);
    return { nodes: graph.nodes.map(graphNodeOf), edges: graph.edges.map(graphEdgeOf) };
  }

  /**
   * openChannel connects to the peer first when it is not a peer yet and addresses are given
   * (lnd opens only to connected peers), then calls OpenChannelSync, which returns once the
   * funding transaction is broadcast. A refusal is a typed result; a lost connection or a timeout
   * rejects, because whether lnd went ahead is then unknown (the caller recovers from the node's
   * channels).
   */
  async openChannel(request: OpenChannelRequest): Promise<OpenChannelResult> {
    if (request.peerAddresses.length > 0 && !(await this.onlinePeers()).includes(request.peer)) {
      const refused = await this.connectPeer(request.peer, request.peerAddresses);
      if (refused !== null) return refused;
    }
    const lndRequest: LndOpenChannelRequest = {
      node_pubkey: Buffer.from(request.peer, 'hex'),
      local_funding_amount: String(request.localFundingSat),
      push_sat: String(request.pushSat),
      target_conf: request.targetConf,
      min_confs: request.minConfs,
      private: request.private,
      spend_unconfirmed: request.minConfs === 0,
    };
    try {
      const point = await this.call<LndChannelPoint>('OpenChannelSync', lndRequest, this.options.openTimeoutMs ?? 300_000);
      return { ok: true, channelPoint: channelPointOf(point) };
    } catch (error) {
      if (error instanceof LndRpcError && !error.connection && error.code !== status.DEADLINE_EXCEEDED) {
        return { ok: false, kind: openFailureKindOf(error.message), message: error.message };
      }
      throw error;
    }
  }

  subscribe(listener: NodeListener): NodeSubscription {
    return new LndSubscription(this, listener, this.options.balancePollMs ?? 30_000, this.now);
  }

  /** close ends the gRPC channel; the node is not usable afterwards. */
  close(): void {
    this.client.close();
  }

  /** stream opens one of lnd's server streams (used by LndSubscription). */
  stream(method: LightningMethod, request: object): ClientReadableStream<object> {
    const rpc = lightningMethod(method);
    return this.client.makeServerStreamRequest(rpc.path, rpc.requestSerialize, rpc.responseDeserialize, request, new Metadata());
  }

  /** describe turns a gRPC failure into an LndRpcError naming this node. */
  describe(rpc: string, error: ServiceError): LndRpcError {
    return new LndRpcError(describeRpcError(this.options.id, this.lnd.socket, rpc, error), error.code, isConnectionError(error));
  }

  /** connectPeer tries each address in turn; null once connected, else why not. */
  private async connectPeer(peer: string, addresses: readonly string[]): Promise<OpenChannelResult | null> {
    let last = 'no address';
    for (const host of addresses) {
      try {
        await this.call('ConnectPeer', { addr: { pubkey: peer, host }, perm: false, timeout: '30' }, 40_000);
        return null;
      } catch (error) {
        if (!(error instanceof LndRpcError) || error.connection) throw error;
        // lnd answers a second connect with "already connected to peer": that is success.
        if (/already connected/i.test(error.message)) return null;
        last = error.message;
      }
    }
    return { ok: false, kind: 'PEER_UNREACHABLE', message: `cannot connect to ${peer}: ${last}` };
  }

  private call<T>(method: LightningMethod, request: object, timeoutMs: number = this.callTimeoutMs): Promise<T> {
    const rpc = lightningMethod(method);
    return new Promise<T>((resolve, reject) => {
      this.client.makeUnaryRequest(rpc.path, rpc.requestSerialize, rpc.responseDeserialize, request, new Metadata(), { deadline: Date.now() + timeoutMs }, (error, response) => {
        if (error !== null) reject(this.describe(method, error));
        else resolve(response as T);
      });
    });
  }
}

/**
 * LndSubscription is one `subscribe`: three lnd streams and a balance poll, merged in arrival
 * order through one promise chain (a PENDING_OPEN needs a PendingChannels lookup before it can be
 * reported, and nothing after it may overtake it).
 */
class LndSubscription implements NodeSubscription {
  private readonly streams: Array<ClientReadableStream<object>> = [];
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private ending = false;
  private lastBalance: WalletBalance | undefined;
  private readonly poll: NodeJS.Timeout | undefined;

  constructor(
    private readonly node: LndNode,
    private readonly listener: NodeListener,
    balancePollMs: number,
    private readonly now: () => number,
  ) {
    // The first balance read is the baseline: the session publishes the current balance in its snapshot.
    this.enqueue(async () => {
      this.lastBalance = await node.walletBalance();
      return [];
    });
    this.open('SubscribeChannelEvents', (update, atMs) => {
      this.enqueue(() => this.channelNotifications(update as LndChannelEventUpdate, atMs));
    });
    this.open('SubscribePeerEvents', (message, atMs) => {
      const event = message as LndPeerEvent;
      const peer = event.pub_key;
      this.enqueue(() => Promise.resolve([event.type === 'PEER_ONLINE' ? { type: 'peerOnline', atMs, peer } : { type: 'peerOffline', atMs, peer }]));
    });
    this.open('SubscribeChannelBackups', (snapshot, atMs) => {
      const backup = backupOf(snapshot as LndChanBackupSnapshot);
      this.enqueue(() => Promise.resolve(backup === null ? [] : [{ type: 'backupUpdated', atMs, backup }]));
    });
    if (balancePollMs > 0) {
      this.poll = setInterval(() => { this.enqueue(() => this.balanceCheck(this.now())); }, balancePollMs);
      this.poll.unref();
    }
  }

  close(): void {
    this.closed = true;
    this.stopAll();
  }

  /** open starts one stream; lnd-proto decodes its messages into the shape lnd-messages.ts names for that RPC. */
  private open(method: LightningMethod, onData: (message: object, atMs: number) => void): void {
    const stream = this.node.stream(method, {});
    this.streams.push(stream);
    stream.on('data', (message: object) => { onData(message, this.now()); });
    stream.on('error', (error: ServiceError) => { this.end(this.node.describe(method, error).message); });
    stream.on('end', () => { this.end(`lnd ended ${method}`); });
  }

  private enqueue(produce: () => Promise<NodeNotification[]>): void {
    if (this.ending || this.closed) return;
    this.chain = this.chain.then(produce).then(
      (notifications) => {
        for (const notification of notifications) if (!this.closed) this.listener(notification);
      },
      (error: unknown) => { this.end(error instanceof Error ? error.message : String(error)); },
    );
  }

  /** end reports the drop once, after everything received before it. */
  private end(reason: string): void {
    if (this.ending || this.closed) return;
    this.ending = true;
    this.stopAll();
    const atMs = this.now();
    this.chain = this.chain.then(() => {
      if (!this.closed) this.listener({ type: 'streamDropped', atMs, reason });
    });
  }

  private stopAll(): void {
    if (this.poll !== undefined) clearInterval(this.poll);
    for (const stream of this.streams) {
      stream.removeAllListeners('data');
      // A cancelled call still emits 'error' (CANCELLED); keep a listener so it is not thrown.
      stream.removeAllListeners('error');
      stream.removeAllListeners('end');
      stream.on('error', () => undefined);
      stream.cancel();
    }
  }

  private async channelNotifications(update: LndChannelEventUpdate, atMs: number): Promise<NodeNotification[]> {
    switch (update.type) {
      case 'OPEN_CHANNEL':
        return update.open_channel ? [{ type: 'channelOpened', atMs, channel: openChannelStateOf(update.open_channel) }, ...(await this.balanceCheck(atMs))] : [];
      case 'CLOSED_CHANNEL':
        return update.closed_channel ? [{ type: 'channelClosed', atMs, channel: closedSummaryOf(update.closed_channel, false) }, ...(await this.balanceCheck(atMs))] : [];
      case 'ACTIVE_CHANNEL':
        return update.active_channel ? [{ type: 'channelActive', atMs, channelPoint: channelPointOf(update.active_channel) }] : [];
      case 'INACTIVE_CHANNEL':
        return update.inactive_channel ? [{ type: 'channelInactive', atMs, channelPoint: channelPointOf(update.inactive_channel) }] : [];
      case 'FULLY_RESOLVED_CHANNEL':
        return update.fully_resolved_channel ? [{ type: 'channelFullyResolved', atMs, channelPoint: channelPointOf(update.fully_resolved_channel) }, ...(await this.balanceCheck(atMs))] : [];
      case 'PENDING_OPEN_CHANNEL': {
        if (!update.pending_open_channel) return [];
        // PENDING_OPEN carries only the outpoint; the rest of the channel comes from PendingChannels.
        const point = `${displayTxid(update.pending_open_channel.txid)}:${update.pending_open_channel.output_index}`;
        const pending = (await this.node.pendingChannels()).find((channel) => channel.channelPoint === point);
        // Already confirmed (OPEN_CHANNEL follows) or canceled: nothing pending to report.
        return pending === undefined ? [] : [{ type: 'channelPendingOpen', atMs, channel: pending }, ...(await this.balanceCheck(atMs))];
      }
      case 'CHANNEL_FUNDING_TIMEOUT': {
        if (!update.channel_funding_timeout) return [];
        // The pending channel was given up; lnd records it among the closed channels.
        const point = channelPointOf(update.channel_funding_timeout);
        const closed = (await this.node.closedChannels()).find((channel) => channel.channelPoint === point);
        return closed === undefined ? [] : [{ type: 'channelClosed', atMs, channel: closed }];
      }
      default:
        return [];
    }
  }

  private async balanceCheck(atMs: number): Promise<NodeNotification[]> {
    const balance = await this.node.walletBalance();
    if (this.lastBalance !== undefined && sameBalance(balance, this.lastBalance)) return [];
    this.lastBalance = balance;
    return [{ type: 'balanceChanged', atMs, balance }];
  }
}
