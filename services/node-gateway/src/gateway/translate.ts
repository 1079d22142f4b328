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
  PeerOffline,
  PeerOnline,
  type KnownMessage,
  type OpenChannelState,
  type PendingChannel,
} from '@lnfleet/contracts';
import type { ClosedChannelSummary, NodeNotification } from '../node/lightning-node.js';

/**
 * The pure translation from node notifications to contract events. Every id is derived from the
 * fact it names, so the same fact seen again (after a gateway restart, a re-subscription, or by
 * reconciliation) gets the same id and JetStream drops the copy within its duplicate window:
 *
 * | event                | identified by                                  |
 * |----------------------|------------------------------------------------|
 * | ChannelOpenPending   | node, channel point                            |
 * | ChannelOpened        | node, channel point                            |
 * | ChannelClosed        | node, channel point                            |
 * | ChannelResolved      | node, channel point                            |
 * | PeerOnline/Offline   | node, peer, time (a peer comes and goes often) |
 * | BalanceChanged       | node, time, the new totals                     |
 * | ChannelBackupUpdated | node, SHA-256 of the backup bytes              |
 *
 * Peer and balance events carry the node-side time because the same peer or totals recur; lnd
 * does not replay them on re-subscription, so time-based ids cannot create copies there.
 */

/** isoTime writes epoch milliseconds as the ISO-8601 timestamp messages carry. */
export function isoTime(atMs: number): string {
  return new Date(atMs).toISOString();
}

/** channelPendingEvent is the ChannelOpenPending for a pending channel. */
export function channelPendingEvent(nodeId: string, channel: PendingChannel, atMs: number): KnownMessage {
  return createMessage(ChannelOpenPending, { id: deterministicId('ChannelOpenPending', nodeId, channel.channelPoint), nodeId, occurredAt: isoTime(atMs), causationId: null, data: channel });
}

/** channelOpenedEvent is the ChannelOpened for an open channel. */
export function channelOpenedEvent(nodeId: string, channel: OpenChannelState, atMs: number): KnownMessage {
  return createMessage(ChannelOpened, { id: deterministicId('ChannelOpened', nodeId, channel.channelPoint), nodeId, occurredAt: isoTime(atMs), causationId: null, data: channel });
}

/** channelClosedEvent is the ChannelClosed for a close summary. */
export function channelClosedEvent(nodeId: string, channel: ClosedChannelSummary, atMs: number): KnownMessage {
  return createMessage(ChannelClosed, {
    id: deterministicId('ChannelClosed', nodeId, channel.channelPoint),
    nodeId,
    occurredAt: isoTime(atMs),
    causationId: null,
    data: {
      channelPoint: channel.channelPoint,
      chanId: channel.chanId,
      peer: channel.peer,
      capacitySat: channel.capacitySat,
      closeType: channel.closeType,
      closingTxid: channel.closingTxid,
      closeHeight: channel.closeHeight,
      settledBalanceSat: channel.settledBalanceSat,
      openInitiator: channel.openInitiator,
      closeInitiator: channel.closeInitiator,
    },
  });
}

/** channelResolvedEvent is the ChannelResolved of a closed channel whose outputs are all swept. */
export function channelResolvedEvent(nodeId: string, channelPoint: string, atMs: number): KnownMessage {
  return createMessage(ChannelResolved, { id: deterministicId('ChannelResolved', nodeId, channelPoint), nodeId, occurredAt: isoTime(atMs), causationId: null, data: { channelPoint } });
}

/**
 * translateNotification turns one node notification into the contract events it means (none for
 * notifications the contracts do not carry: channel active/inactive and stream drops, which the
 * shell handles by reconnecting).
 */
export function translateNotification(nodeId: string, notification: NodeNotification): KnownMessage[] {
  const occurredAt = isoTime(notification.atMs);
  switch (notification.type) {
    case 'channelPendingOpen':
      return [channelPendingEvent(nodeId, notification.channel, notification.atMs)];
    case 'channelOpened':
      return [channelOpenedEvent(nodeId, notification.channel, notification.atMs)];
    case 'channelClosed':
      return [channelClosedEvent(nodeId, notification.channel, notification.atMs)];
    case 'channelFullyResolved':
      return [channelResolvedEvent(nodeId, notification.channelPoint, notification.atMs)];
    case 'peerOnline':
      return [createMessage(PeerOnline, { id: deterministicId('PeerOnline', nodeId, notification.peer, notification.atMs), nodeId, occurredAt, causationId: null, data: { peer: notification.peer } })];
    case 'peerOffline':
      return [createMessage(PeerOffline, { id: deterministicId('PeerOffline', nodeId, notification.peer, notification.atMs), nodeId, occurredAt, causationId: null, data: { peer: notification.peer } })];
    case 'balanceChanged': {
      const b = notification.balance;
      const id = deterministicId('BalanceChanged', nodeId, notification.atMs, b.confirmedSat, b.unconfirmedSat, b.lockedSat, b.channelLocalSat, b.channelRemoteSat);
      return [createMessage(BalanceChanged, { id, nodeId, occurredAt, causationId: null, data: { ...b } })];
    }
    case 'backupUpdated': {
      const bytes = notification.backup.multiChanBackup;
      const digest = createHash('sha256').update(bytes).digest('hex');
      return [
        createMessage(ChannelBackupUpdated, {
          id: deterministicId('ChannelBackupUpdated', nodeId, digest),
          nodeId,
          occurredAt,
          causationId: null,
          data: { multiChanBackup: Buffer.from(bytes).toString('base64'), channelPoints: [...notification.backup.channelPoints] },
        }),
      ];
    }
    case 'channelActive':
    case 'channelInactive':
    case 'streamDropped':
      return [];
    default: {
      const unreachable: never = notification;
      return unreachable;
    }
  }
}
