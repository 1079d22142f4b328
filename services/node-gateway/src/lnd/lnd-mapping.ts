import { status, type ServiceError } from '@grpc/grpc-js';
import { CommitmentType, type ClosingChannel, type OpenChannelState, type PendingChannel, type WalletBalance } from '@lnfleet/contracts';
import type { ChannelBackup, ClosedChannelSummary, GraphEdge, GraphNode, NodeInfo, OpenFailureKind } from '../node/lightning-node.js';
import type {
  LndChannel,
  LndChannelBalanceResponse,
  LndChannelCloseSummary,
  LndChannelEdge,
  LndChannelPoint,
  LndChanBackupSnapshot,
  LndForceClosedChannel,
  LndGetInfoResponse,
  LndGraphNode,
  LndInitiator,
  LndPendingChannel,
  LndWaitingCloseChannel,
  LndWalletBalanceResponse,
} from './lnd-messages.js';

/**
 * Pure translation of lnd's messages into the LightningNode port's shapes, and of lnd's errors
 * into messages an operator can act on. No I/O here.
 */

/** LndProtocolError says lnd sent something this gateway cannot represent (a bug or a newer lnd). */
export class LndProtocolError extends Error {
  override readonly name = 'LndProtocolError';
}

/** satOf reads an lnd int64 amount (decimal string) as a satoshi number. */
export function satOf(value: string, field: string): number {
  const sat = Number(value);
  if (!Number.isSafeInteger(sat) || sat < 0) throw new LndProtocolError(`${field} is not a non-negative amount of satoshis: ${value}`);
  return sat;
}

/** displayTxid writes a txid given in lnd's internal byte order as the usual (byte-reversed) hex. */
export function displayTxid(internalOrder: Uint8Array): string {
  if (internalOrder.length !== 32) throw new LndProtocolError(`a txid has 32 bytes, not ${internalOrder.length}`);
  return Buffer.from(internalOrder).reverse().toString('hex');
}

/** channelPointOf writes an lnrpc.ChannelPoint as "txid:index". */
export function channelPointOf(point: LndChannelPoint): string {
  const txid = point.funding_txid === 'funding_txid_str' || (point.funding_txid === undefined && point.funding_txid_str)
    ? (point.funding_txid_str ?? '')
    : displayTxid(point.funding_txid_bytes ?? Buffer.alloc(0));
  return `${txid}:${point.output_index}`;
}

/** initiatorOf maps lnd's Initiator enum to the contract's. */
export function initiatorOf(value: LndInitiator): 'UNKNOWN' | 'LOCAL' | 'REMOTE' | 'BOTH' {
  switch (value) {
    case 'INITIATOR_LOCAL':
      return 'LOCAL';
    case 'INITIATOR_REMOTE':
      return 'REMOTE';
    case 'INITIATOR_BOTH':
      return 'BOTH';
    default:
      return 'UNKNOWN';
  }
}

/** commitmentTypeOf maps lnd's CommitmentType; a type newer than the contract is UNKNOWN_COMMITMENT_TYPE. */
export function commitmentTypeOf(value: string): PendingChannel['commitmentType'] {
  const parsed = CommitmentType.safeParse(value);
  return parsed.success ? parsed.data : 'UNKNOWN_COMMITMENT_TYPE';
}

/** nodeInfoOf maps GetInfoResponse. */
export function nodeInfoOf(info: LndGetInfoResponse): NodeInfo {
  return { identityPubkey: info.identity_pubkey, alias: info.alias, blockHeight: info.block_height, syncedToChain: info.synced_to_chain, version: info.version };
}

/** openChannelStateOf maps an lnrpc.Channel (lnd does not list the peer's addresses with it). */
export function openChannelStateOf(channel: LndChannel): OpenChannelState {
  return {
    channelPoint: channel.channel_point,
    peer: channel.remote_pubkey,
    peerAddresses: [],
    capacitySat: satOf(channel.capacity, 'capacity'),
    localBalanceSat: satOf(channel.local_balance, 'local_balance'),
    initiator: channel.initiator ? 'LOCAL' : 'REMOTE',
    private: channel.private,
    commitmentType: commitmentTypeOf(channel.commitment_type),
    chanId: channel.chan_id,
    remoteBalanceSat: satOf(channel.remote_balance, 'remote_balance'),
    active: channel.active,
  };
}

/** pendingChannelOf maps PendingChannelsResponse.PendingChannel (a pending open). */
export function pendingChannelOf(channel: LndPendingChannel): PendingChannel {
  return {
    channelPoint: channel.channel_point,
    peer: channel.remote_node_pub,
    peerAddresses: [],
    capacitySat: satOf(channel.capacity, 'capacity'),
    localBalanceSat: satOf(channel.local_balance, 'local_balance'),
    initiator: initiatorOf(channel.initiator),
    private: channel.private,
    commitmentType: commitmentTypeOf(channel.commitment_type),
  };
}

const NO_TXID = /^0*$/;

/**
 * closedSummaryOf maps a ChannelCloseSummary; lnd writes an empty or all-zero closing txid when
 * there is none. `resolved`: ClosedChannels lists only fully resolved closes; a CLOSED_CHANNEL
 * event comes before the resolution.
 */
export function closedSummaryOf(summary: LndChannelCloseSummary, resolved: boolean): ClosedChannelSummary {
  return {
    channelPoint: summary.channel_point,
    chanId: summary.chan_id,
    peer: summary.remote_pubkey,
    capacitySat: satOf(summary.capacity, 'capacity'),
    closeType: summary.close_type,
    closingTxid: NO_TXID.test(summary.closing_tx_hash) ? null : summary.closing_tx_hash,
    closeHeight: summary.close_height,
    settledBalanceSat: satOf(summary.settled_balance, 'settled_balance'),
    openInitiator: initiatorOf(summary.open_initiator),
    closeInitiator: initiatorOf(summary.close_initiator),
    resolved,
  };
}

/**
 * forceClosingSummaryOf describes a force close lnd still resolves (PendingChannels'
 * pending_force_closing_channels). lnd lists local and remote force closes together there; the
 * side that initiated the close (chan_status_flags) tells them apart. That listing has no short
 * channel id nor close height: they are "0" and 0 until ClosedChannels has the full summary.
 */
export function forceClosingSummaryOf(closing: LndForceClosedChannel): ClosedChannelSummary | null {
  const channel = closing.channel;
  if (channel === null) return null;
  const local = channel.chan_status_flags.includes('ChanStatusLocalCloseInitiator');
  const remote = channel.chan_status_flags.includes('ChanStatusRemoteCloseInitiator');
  return {
    channelPoint: channel.channel_point,
    chanId: '0',
    peer: channel.remote_node_pub,
    capacitySat: satOf(channel.capacity, 'capacity'),
    closeType: local ? 'LOCAL_FORCE_CLOSE' : 'REMOTE_FORCE_CLOSE',
    closingTxid: NO_TXID.test(closing.closing_txid) ? null : closing.closing_txid,
    closeHeight: 0,
    settledBalanceSat: satOf(channel.local_balance, 'local_balance'),
    openInitiator: initiatorOf(channel.initiator),
    closeInitiator: local ? 'LOCAL' : remote ? 'REMOTE' : 'UNKNOWN',
    resolved: false,
  };
}

/**
 * waitingCloseOf describes a channel lnd lists as waiting close (its close transaction broadcast
 * but not confirmed); lnd writes an empty closing txid while it does not know it yet.
 */
export function waitingCloseOf(waiting: LndWaitingCloseChannel): ClosingChannel | null {
  const channel = waiting.channel;
  if (channel === null) return null;
  return {
    channelPoint: channel.channel_point,
    peer: channel.remote_node_pub,
    capacitySat: satOf(channel.capacity, 'capacity'),
    closingTxid: NO_TXID.test(waiting.closing_txid) ? null : waiting.closing_txid,
  };
}

/** balanceOf joins WalletBalance and ChannelBalance into the contract's totals. */
export function balanceOf(wallet: LndWalletBalanceResponse, channels: LndChannelBalanceResponse): WalletBalance {
  return {
    confirmedSat: satOf(wallet.confirmed_balance, 'confirmed_balance'),
    unconfirmedSat: satOf(wallet.unconfirmed_balance, 'unconfirmed_balance'),
    lockedSat: satOf(wallet.locked_balance, 'locked_balance'),
    channelLocalSat: satOf(channels.local_balance?.sat ?? '0', 'local_balance.sat'),
    channelRemoteSat: satOf(channels.remote_balance?.sat ?? '0', 'remote_balance.sat'),
  };
}

/** sameBalance says whether two balances have the same totals. */
export function sameBalance(a: WalletBalance, b: WalletBalance): boolean {
  return (
    a.confirmedSat === b.confirmedSat &&
    a.unconfirmedSat === b.unconfirmedSat &&
    a.lockedSat === b.lockedSat &&
    a.channelLocalSat === b.channelLocalSat &&
    a.channelRemoteSat === b.channelRemoteSat
  );
}

/** backupOf maps a ChanBackupSnapshot's packed multi; null when lnd sent no multi backup. */
export function backupOf(snapshot: LndChanBackupSnapshot): ChannelBackup | null {
  const multi = snapshot.multi_chan_backup;
  if (multi === null || multi.multi_chan_backup.length === 0) return null;
  return { multiChanBackup: new Uint8Array(multi.multi_chan_backup), channelPoints: multi.chan_points.map(channelPointOf) };
}

/** graphNodeOf maps a DescribeGraph node to the JSON lnd's `describegraph` writes. */
export function graphNodeOf(node: LndGraphNode): GraphNode {
  return { pub_key: node.pub_key, alias: node.alias, addresses: node.addresses.map((a) => ({ network: a.network, addr: a.addr })) };
}

/** graphEdgeOf maps a DescribeGraph edge. */
export function graphEdgeOf(edge: LndChannelEdge): GraphEdge {
  return { channel_id: edge.channel_id, chan_point: edge.chan_point === '' ? null : edge.chan_point, node1_pub: edge.node1_pub, node2_pub: edge.node2_pub, capacity: edge.capacity };
}

/**
 * openFailureKindOf classifies lnd's answer to a refused open from its message (lnd reports
 * them as gRPC UNKNOWN with a text): funds, an unreachable peer, or the peer's refusal.
 */
export function openFailureKindOf(message: string): OpenFailureKind {
  const text = message.toLowerCase();
  if (/insufficient|not enough (witness outputs|funds)|unable to fund|exceeds (the )?(available|wallet)/.test(text)) return 'INSUFFICIENT_FUNDS';
  if (/not online|unable to connect|peer .*not found|dial tcp|no addresses|connection refused|i\/o timeout|cannot connect/.test(text)) return 'PEER_UNREACHABLE';
  if (/received funding error|rejected|remote .*(reject|error)|channel too (small|large)|chan size/.test(text)) return 'REJECTED_BY_PEER';
  return 'NODE_ERROR';
}

/** isMacaroonRefusal says whether lnd refused the call for its macaroon (lnd answers UNKNOWN with a verification text). */
export function isMacaroonRefusal(error: ServiceError): boolean {
  return error.code === status.UNAUTHENTICATED || error.code === status.PERMISSION_DENIED || /macaroon|verification failed|permission denied/i.test(error.details);
}

/** isConnectionError says whether a failed call means the node could not be reached (as opposed to lnd answering with an error). */
export function isConnectionError(error: ServiceError): boolean {
  return error.code === status.UNAVAILABLE || error.code === status.DEADLINE_EXCEEDED || error.code === status.CANCELLED || isMacaroonRefusal(error);
}

/**
 * describeRpcError turns a failed call into a message that says what to fix, naming the node and
 * RPC but never a credential (gRPC details name neither the macaroon nor the certificate).
 */
export function describeRpcError(nodeId: string, socket: string, rpc: string, error: ServiceError): string {
  const where = `lnd node "${nodeId}" at ${socket}: ${rpc}`;
  if (isMacaroonRefusal(error)) return `${where} was refused for its macaroon (check macaroonPath: wrong node, wrong permissions or expired): ${error.details}`;
  if (error.code === status.UNAVAILABLE && /certificate|self.signed|ssl|tls|handshake|altname/i.test(error.details)) {
    return `${where} failed: TLS handshake failed (check certPath: it must be this node's tls.cert, and the socket's host must be in the certificate): ${error.details}`;
  }
  if (error.code === status.UNAVAILABLE) return `${where} failed: node unreachable: ${error.details}`;
  if (error.code === status.DEADLINE_EXCEEDED) return `${where} timed out`;
  return `${where} failed (${status[error.code]}): ${error.details}`;
}
