import type { ClosingChannel, CloseType, OpenChannelState, PendingChannel, WalletBalance } from '@lnfleet/contracts';

/**
 * The LightningNode port: everything the fleet needs from one Lightning node, whatever drives it
 * (lnd over gRPC, or a simulated node). Shapes follow lnd's RPCs (GetInfo, ListChannels,
 * PendingChannels, ClosedChannels, ListPeers, WalletBalance + ChannelBalance, OpenChannel,
 * DescribeGraph, SubscribeChannelEvents, SubscribePeerEvents, SubscribeChannelBackups), already
 * translated to satoshi numbers and display-order txids, so the gateway's translation to contract
 * events does not depend on which implementation produced them.
 *
 * Terms:
 * - channel point: a channel's funding outpoint `txid:index`, the one id every channel has from
 *   the moment it is pending until it is resolved;
 * - notification: something the node reports while subscribed (a fact, or a change in the
 *   subscription itself such as the stream dropping). Recoverable conditions are notifications,
 *   not exceptions.
 */

/** NodeInfo is lnd's GetInfo: who the node is and how far it has synced. */
export interface NodeInfo {
  /** identityPubkey is the node's public key; it is the `nodeId` of every message about it. */
  readonly identityPubkey: string;
  readonly alias: string;
  readonly blockHeight: number;
  readonly syncedToChain: boolean;
  /** version is the node software's version string (e.g. lnd's "0.20.3-beta"). */
  readonly version: string;
}

/** ClosedChannelSummary is lnd's ChannelCloseSummary (ClosedChannels RPC and CLOSED_CHANNEL). */
export interface ClosedChannelSummary {
  readonly channelPoint: string;
  /** chanId is the short channel id as a decimal string; "0" when the channel never confirmed. */
  readonly chanId: string;
  readonly peer: string;
  readonly capacitySat: number;
  readonly closeType: CloseType;
  /** closingTxid is null when the funding was canceled or the channel abandoned. */
  readonly closingTxid: string | null;
  readonly closeHeight: number;
  readonly settledBalanceSat: number;
  readonly openInitiator: 'UNKNOWN' | 'LOCAL' | 'REMOTE' | 'BOTH';
  readonly closeInitiator: 'UNKNOWN' | 'LOCAL' | 'REMOTE' | 'BOTH';
  /**
   * resolved says every output of the close is swept (lnd's FULLY_RESOLVED has happened; lnd's
   * ClosedChannels lists only such closes, PendingChannels the others). A LOCAL_FORCE_CLOSE stays
   * unresolved until its time-locked outputs are swept.
   */
  readonly resolved: boolean;
}

/** ChannelBackup is lnd's packed, encrypted multi-channel backup and the channels it covers. */
export interface ChannelBackup {
  /** multiChanBackup is the packed multi exactly as the node produced it (only the node can decrypt it). */
  readonly multiChanBackup: Uint8Array;
  readonly channelPoints: readonly string[];
}

/** GraphNode is one node of lnd's DescribeGraph answer. */
export interface GraphNode {
  readonly pub_key: string;
  readonly alias: string;
  readonly addresses: ReadonlyArray<{ readonly network: string; readonly addr: string }>;
}

/** GraphEdge is one channel of lnd's DescribeGraph answer (64-bit numbers as decimal strings, as lnd's JSON writes them). */
export interface GraphEdge {
  readonly channel_id: string;
  readonly chan_point: string | null;
  readonly node1_pub: string;
  readonly node2_pub: string;
  readonly capacity: string;
}

/** DescribedGraph is the public channel graph as the node sees it (lnd DescribeGraph). */
export interface DescribedGraph {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

/** OpenChannelRequest is lnd's OpenChannelRequest, reduced to what an OpenChannel command carries. */
export interface OpenChannelRequest {
  readonly peer: string;
  /** peerAddresses are tried when the node is not already connected to the peer. */
  readonly peerAddresses: readonly string[];
  readonly localFundingSat: number;
  readonly pushSat: number;
  readonly targetConf: number;
  readonly minConfs: number;
  readonly private: boolean;
}

/**
 * OpenFailureKind classifies why a node refused or failed an open. It is the node-side subset of
 * the contract's OpenFailureReason; the gateway adds the reasons it decides itself (validation,
 * expiry, node not managed).
 */
export type OpenFailureKind = 'INSUFFICIENT_FUNDS' | 'PEER_UNREACHABLE' | 'REJECTED_BY_PEER' | 'NODE_ERROR';

/** OpenChannelResult is the answer to openChannel: the pending channel's point, or a typed failure. */
export type OpenChannelResult =
  | { readonly ok: true; readonly channelPoint: string }
  | { readonly ok: false; readonly kind: OpenFailureKind; readonly message: string };

/**
 * NodeNotification is one thing a subscribed node reports. `atMs` is the node-side time of the
 * fact in epoch milliseconds (lnd's streams carry no time, so the lnd adapter stamps receipt time;
 * the simulation stamps its simulated time).
 */
export type NodeNotification =
  /** channelPendingOpen is lnd's PENDING_OPEN: the funding transaction was broadcast. */
  | { readonly type: 'channelPendingOpen'; readonly atMs: number; readonly channel: PendingChannel }
  /** channelOpened is lnd's OPEN_CHANNEL: the funding confirmed. */
  | { readonly type: 'channelOpened'; readonly atMs: number; readonly channel: OpenChannelState }
  /** channelClosed is lnd's CLOSED_CHANNEL, with how it closed. */
  | { readonly type: 'channelClosed'; readonly atMs: number; readonly channel: ClosedChannelSummary }
  /** channelFullyResolved is lnd's FULLY_RESOLVED: every output of a closed channel is swept. */
  | { readonly type: 'channelFullyResolved'; readonly atMs: number; readonly channelPoint: string }
  /** channelActive / channelInactive are lnd's ACTIVE / INACTIVE: usability follows the peer link. */
  | { readonly type: 'channelActive'; readonly atMs: number; readonly channelPoint: string }
  | { readonly type: 'channelInactive'; readonly atMs: number; readonly channelPoint: string }
  /** peerOnline / peerOffline are lnd's PEER_ONLINE / PEER_OFFLINE. */
  | { readonly type: 'peerOnline'; readonly atMs: number; readonly peer: string }
  | { readonly type: 'peerOffline'; readonly atMs: number; readonly peer: string }
  /** balanceChanged carries the new totals (lnd has no balance stream; the adapter polls or derives it). */
  | { readonly type: 'balanceChanged'; readonly atMs: number; readonly balance: WalletBalance }
  /** backupUpdated is SubscribeChannelBackups' multi-channel snapshot, sent on every channel set change. */
  | { readonly type: 'backupUpdated'; readonly atMs: number; readonly backup: ChannelBackup }
  /**
   * streamDropped says the subscription ended without being closed by the subscriber (lnd stream
   * error, node restart). Nothing more arrives on it; the subscriber reconnects and reconciles.
   */
  | { readonly type: 'streamDropped'; readonly atMs: number; readonly reason: string };

/** NodeNotificationType names the kinds of notification. */
export type NodeNotificationType = NodeNotification['type'];

/** NodeListener receives a subscription's notifications, in the order the node produced them. */
export type NodeListener = (notification: NodeNotification) => void;

/** NodeSubscription is a live subscription; close() stops it (no streamDropped follows). */
export interface NodeSubscription {
  close(): void;
}

/**
 * LightningNode is the port the gateway drives. Queries reject only on a broken connection
 * (the caller reconnects); a refused open is a typed result, not an exception.
 */
export interface LightningNode {
  /** getInfo is lnd's GetInfo. */
  getInfo(): Promise<NodeInfo>;
  /** listChannels is lnd's ListChannels: the open channels. */
  listChannels(): Promise<OpenChannelState[]>;
  /** pendingChannels is lnd's PendingChannels, limited to pending opens. */
  pendingChannels(): Promise<PendingChannel[]>;
  /**
   * closingChannels is lnd's PendingChannels waiting_close_channels: channels whose close
   * transaction is broadcast but not confirmed. They are in neither listChannels nor
   * closedChannels until the close confirms.
   */
  closingChannels(): Promise<ClosingChannel[]>;
  /** closedChannels is lnd's ClosedChannels: how every channel that is gone ended. */
  closedChannels(): Promise<ClosedChannelSummary[]>;
  /** onlinePeers is lnd's ListPeers: the pubkeys the node is connected to now. */
  onlinePeers(): Promise<string[]>;
  /** walletBalance is lnd's WalletBalance plus ChannelBalance, as one set of totals. */
  walletBalance(): Promise<WalletBalance>;
  /**
   * subscribe starts channel, peer, balance and backup notifications (lnd's three streams, merged
   * in arrival order). It reports from now on; what happened before is read with the queries.
   */
  subscribe(listener: NodeListener): NodeSubscription;
  /** openChannel is lnd's OpenChannel, resolving on chan_pending with the pending channel point. */
  openChannel(request: OpenChannelRequest): Promise<OpenChannelResult>;
  /** describeGraph is lnd's DescribeGraph (public channels only). */
  describeGraph(): Promise<DescribedGraph>;
  /** close releases the connection (lnd's gRPC channel) when the gateway stops; the node is not used afterwards. */
  close?(): void;
}
