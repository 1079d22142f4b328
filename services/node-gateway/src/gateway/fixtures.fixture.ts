import type { OpenChannelState, PendingChannel, WalletBalance } from '@lnfleet/contracts';
import type { ClosedChannelSummary, NodeInfo } from '../node/lightning-node.js';
import type { CurrentNodeState } from './reconcile.js';

/** Test data for the gateway's pure core: a node, peers, channels, balances. */
export const NODE = `02${'1'.repeat(64)}`;
export const peer = (i: number): string => `03${i.toString(16).padStart(64, '0')}`;
export const point = (i: number): string => `${i.toString(16).padStart(64, 'a')}:0`;
export const T0 = Date.UTC(2025, 9, 25, 12);

export function pending(i: number): PendingChannel {
  return { channelPoint: point(i), peer: peer(i), peerAddresses: [], capacitySat: 1_000_000, localBalanceSat: 1_000_000, initiator: 'LOCAL', private: false, commitmentType: 'ANCHORS' };
}

export function open(i: number): OpenChannelState {
  return { ...pending(i), chanId: String(1_000 + i), remoteBalanceSat: 0, active: true };
}

export function closed(i: number, closeType: ClosedChannelSummary['closeType'] = 'COOPERATIVE_CLOSE'): ClosedChannelSummary {
  return { channelPoint: point(i), chanId: String(1_000 + i), peer: peer(i), capacitySat: 1_000_000, closeType, closingTxid: 'f'.repeat(64), closeHeight: 900_000, settledBalanceSat: 990_000, openInitiator: 'LOCAL', closeInitiator: 'LOCAL', resolved: true };
}

export const BALANCE: WalletBalance = { confirmedSat: 5_000_000, unconfirmedSat: 0, lockedSat: 0, channelLocalSat: 1_000_000, channelRemoteSat: 0 };

export const INFO: NodeInfo = { identityPubkey: NODE, alias: 'fleet-1', blockHeight: 900_100, syncedToChain: true, version: 'test' };

export function current(partial: Partial<CurrentNodeState> = {}): CurrentNodeState {
  return { info: INFO, openChannels: [], pendingChannels: [], onlinePeers: [], balance: BALANCE, closingChannels: [], closedChannels: [], ...partial };
}
