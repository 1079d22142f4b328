/**
 * The subset of lnd's lnrpc messages the gateway reads or writes, as lnd-proto.ts loads them:
 * snake_case names, 64-bit integers as decimal strings, enums by name, bytes as Buffers, and
 * every scalar present (proto3 defaults). Field numbers and meaning are lnd's (lightning.proto).
 */

/** LndInitiator is lnd's Initiator enum. */
export type LndInitiator = 'INITIATOR_UNKNOWN' | 'INITIATOR_LOCAL' | 'INITIATOR_REMOTE' | 'INITIATOR_BOTH';

/** LndGetInfoResponse is GetInfoResponse. */
export interface LndGetInfoResponse {
  identity_pubkey: string;
  alias: string;
  block_height: number;
  synced_to_chain: boolean;
  version: string;
}

/** LndChannel is lnrpc.Channel (ListChannels, OPEN_CHANNEL). */
export interface LndChannel {
  active: boolean;
  remote_pubkey: string;
  channel_point: string;
  chan_id: string;
  capacity: string;
  local_balance: string;
  remote_balance: string;
  private: boolean;
  initiator: boolean;
  commitment_type: string;
}

/** LndClosureType is ChannelCloseSummary.ClosureType. */
export type LndClosureType = 'COOPERATIVE_CLOSE' | 'LOCAL_FORCE_CLOSE' | 'REMOTE_FORCE_CLOSE' | 'BREACH_CLOSE' | 'FUNDING_CANCELED' | 'ABANDONED';

/** LndChannelCloseSummary is lnrpc.ChannelCloseSummary (ClosedChannels, CLOSED_CHANNEL). */
export interface LndChannelCloseSummary {
  channel_point: string;
  chan_id: string;
  closing_tx_hash: string;
  remote_pubkey: string;
  capacity: string;
  close_height: number;
  settled_balance: string;
  close_type: LndClosureType;
  open_initiator: LndInitiator;
  close_initiator: LndInitiator;
}

/** LndChannelPoint is lnrpc.ChannelPoint: txid as bytes (internal order) or as a display string. */
export interface LndChannelPoint {
  funding_txid_bytes?: Buffer | null;
  funding_txid_str?: string | null;
  output_index: number;
  /** funding_txid names the member of the oneof that is set. */
  funding_txid?: 'funding_txid_bytes' | 'funding_txid_str';
}

/** LndPendingUpdate is lnrpc.PendingUpdate (PENDING_OPEN_CHANNEL, OpenChannel's chan_pending). */
export interface LndPendingUpdate {
  txid: Buffer;
  output_index: number;
}

/** LndChannelEventType is ChannelEventUpdate.UpdateType. */
export type LndChannelEventType =
  | 'OPEN_CHANNEL'
  | 'CLOSED_CHANNEL'
  | 'ACTIVE_CHANNEL'
  | 'INACTIVE_CHANNEL'
  | 'PENDING_OPEN_CHANNEL'
  | 'FULLY_RESOLVED_CHANNEL'
  | 'CHANNEL_FUNDING_TIMEOUT';

/** LndChannelEventUpdate is ChannelEventUpdate, one message of SubscribeChannelEvents. */
export interface LndChannelEventUpdate {
  type: LndChannelEventType;
  open_channel?: LndChannel | null;
  closed_channel?: LndChannelCloseSummary | null;
  active_channel?: LndChannelPoint | null;
  inactive_channel?: LndChannelPoint | null;
  pending_open_channel?: LndPendingUpdate | null;
  fully_resolved_channel?: LndChannelPoint | null;
  channel_funding_timeout?: LndChannelPoint | null;
}

/** LndPeerEvent is PeerEvent, one message of SubscribePeerEvents. */
export interface LndPeerEvent {
  pub_key: string;
  type: 'PEER_ONLINE' | 'PEER_OFFLINE';
}

/** LndPendingChannel is PendingChannelsResponse.PendingChannel. */
export interface LndPendingChannel {
  remote_node_pub: string;
  channel_point: string;
  capacity: string;
  local_balance: string;
  remote_balance: string;
  initiator: LndInitiator;
  commitment_type: string;
  private: boolean;
  /** chan_status_flags is lnd's channel status bit names joined by "|" (e.g. "ChanStatusLocalCloseInitiator"). */
  chan_status_flags: string;
}

/** LndForceClosedChannel is PendingChannelsResponse.ForceClosedChannel: closed on chain, outputs not all swept. */
export interface LndForceClosedChannel {
  channel: LndPendingChannel | null;
  closing_txid: string;
}

/** LndWaitingCloseChannel is PendingChannelsResponse.WaitingCloseChannel: the close transaction is broadcast, not confirmed. */
export interface LndWaitingCloseChannel {
  channel: LndPendingChannel | null;
  limbo_balance: string;
  closing_txid: string;
}

/** LndPendingChannelsResponse is PendingChannelsResponse, reduced to pending opens, closes waiting for confirmation and force closes being resolved. */
export interface LndPendingChannelsResponse {
  pending_open_channels: Array<{ channel: LndPendingChannel | null }>;
  pending_force_closing_channels: LndForceClosedChannel[];
  waiting_close_channels: LndWaitingCloseChannel[];
}

/** LndWalletBalanceResponse is WalletBalanceResponse. */
export interface LndWalletBalanceResponse {
  total_balance: string;
  confirmed_balance: string;
  unconfirmed_balance: string;
  locked_balance: string;
}

/** LndAmount is lnrpc.Amount. */
export interface LndAmount {
  sat: string;
  msat: string;
}

/** LndChannelBalanceResponse is ChannelBalanceResponse. */
export interface LndChannelBalanceResponse {
  local_balance: LndAmount | null;
  remote_balance: LndAmount | null;
}

/** LndChanBackupSnapshot is ChanBackupSnapshot, one message of SubscribeChannelBackups. */
export interface LndChanBackupSnapshot {
  multi_chan_backup: { chan_points: LndChannelPoint[]; multi_chan_backup: Buffer } | null;
}

/** LndPeer is lnrpc.Peer (ListPeers). */
export interface LndPeer {
  pub_key: string;
  address: string;
}

/** LndGraphNode is lnrpc.LightningNode (DescribeGraph). */
export interface LndGraphNode {
  pub_key: string;
  alias: string;
  addresses: Array<{ network: string; addr: string }>;
}

/** LndChannelEdge is lnrpc.ChannelEdge (DescribeGraph). */
export interface LndChannelEdge {
  channel_id: string;
  chan_point: string;
  node1_pub: string;
  node2_pub: string;
  capacity: string;
}

/** LndOpenChannelRequest is the part of OpenChannelRequest the gateway sets. */
export interface LndOpenChannelRequest {
  node_pubkey: Buffer;
  local_funding_amount: string;
  push_sat: string;
  target_conf: number;
  min_confs: number;
  private: boolean;
  spend_unconfirmed: boolean;
}
