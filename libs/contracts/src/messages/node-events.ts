import { z } from 'zod';
import { defineMessage } from '../envelope.js';
import {
  ChannelPoint,
  CloseType,
  CommitmentType,
  Initiator,
  NetworkAddress,
  Pubkey,
  Sat,
  ShortChannelId,
  Timestamp,
  Txid,
} from '../primitives.js';

/**
 * Facts the node-gateway observes on a managed node. Names and enums follow lnd's
 * SubscribeChannelEvents / SubscribePeerEvents / WalletBalance so that a reader of lnd's API
 * recognises every field; amounts are satoshis unless the field name says msat.
 */

/** PendingChannel is what is known of a channel whose funding transaction is not yet confirmed. */
export const PendingChannel = z.strictObject({
  channelPoint: ChannelPoint,
  peer: Pubkey.describe('the remote node'),
  peerAddresses: z.array(NetworkAddress).max(32).describe('addresses the peer is known at (may be empty)'),
  capacitySat: Sat,
  localBalanceSat: Sat,
  initiator: Initiator,
  private: z.boolean(),
  commitmentType: CommitmentType,
});
export type PendingChannel = z.infer<typeof PendingChannel>;

/**
 * ClosingChannel is a channel whose close transaction is broadcast but not yet confirmed (lnd's
 * PendingChannels waiting_close_channels): no longer usable, not yet closed.
 */
export const ClosingChannel = z.strictObject({
  channelPoint: ChannelPoint,
  peer: Pubkey.describe('the remote node'),
  capacitySat: Sat,
  closingTxid: Txid.nullable().describe('the broadcast closing transaction; null when the node has not reported it'),
});
export type ClosingChannel = z.infer<typeof ClosingChannel>;

/** OpenChannelState is an open channel as lnd's ListChannels describes it. */
export const OpenChannelState = PendingChannel.extend({
  chanId: ShortChannelId,
  remoteBalanceSat: Sat,
  active: z.boolean().describe('whether the channel is usable right now (peer online, not disabled)'),
});
export type OpenChannelState = z.infer<typeof OpenChannelState>;

/** WalletBalance is the node's on-chain wallet and its channel balances. */
export const WalletBalance = z.strictObject({
  confirmedSat: Sat.describe('confirmed on-chain balance'),
  unconfirmedSat: Sat.describe('unconfirmed on-chain balance'),
  lockedSat: Sat.describe('on-chain balance locked by leases or pending transactions'),
  channelLocalSat: Sat.describe('sum of local balances of open channels'),
  channelRemoteSat: Sat.describe('sum of remote balances of open channels'),
});
export type WalletBalance = z.infer<typeof WalletBalance>;

export const ChannelOpenPending = defineMessage({
  type: 'ChannelOpenPending',
  kind: 'event',
  schemaVersion: 1,
  description: 'A channel funding transaction was broadcast and awaits confirmation (lnd PENDING_OPEN).',
  data: PendingChannel,
});

export const ChannelOpened = defineMessage({
  type: 'ChannelOpened',
  kind: 'event',
  schemaVersion: 1,
  description: 'A channel reached its confirmation depth and is open (lnd OPEN_CHANNEL).',
  data: OpenChannelState,
});

export const ChannelClosed = defineMessage({
  type: 'ChannelClosed',
  kind: 'event',
  schemaVersion: 1,
  description:
    'A channel was closed (lnd CLOSED_CHANNEL). A LOCAL_FORCE_CLOSE still has funds in time-locked outputs until ChannelResolved.',
  data: z.strictObject({
    channelPoint: ChannelPoint,
    chanId: ShortChannelId,
    peer: Pubkey,
    capacitySat: Sat,
    closeType: CloseType,
    closingTxid: Txid.nullable().describe('closing transaction, null when the funding was canceled or the channel abandoned'),
    closeHeight: z.int().nonnegative(),
    settledBalanceSat: Sat,
    openInitiator: Initiator,
    closeInitiator: Initiator,
  }),
});

export const ChannelResolved = defineMessage({
  type: 'ChannelResolved',
  kind: 'event',
  schemaVersion: 1,
  description: 'All outputs of a closed channel are swept (lnd FULLY_RESOLVED); nothing of it remains to recover.',
  data: z.strictObject({ channelPoint: ChannelPoint }),
});

export const PeerOnline = defineMessage({
  type: 'PeerOnline',
  kind: 'event',
  schemaVersion: 1,
  description: 'The node connected to a peer (lnd PEER_ONLINE).',
  data: z.strictObject({ peer: Pubkey }),
});

export const PeerOffline = defineMessage({
  type: 'PeerOffline',
  kind: 'event',
  schemaVersion: 1,
  description: 'The node lost its connection to a peer (lnd PEER_OFFLINE).',
  data: z.strictObject({ peer: Pubkey }),
});

export const BalanceChanged = defineMessage({
  type: 'BalanceChanged',
  kind: 'event',
  schemaVersion: 1,
  description: "The node's wallet or channel balance changed; carries the new totals, not a delta.",
  data: WalletBalance,
});

export const NodeStateSnapshot = defineMessage({
  type: 'NodeStateSnapshot',
  kind: 'event',
  schemaVersion: 1,
  description:
    "The node's full state, published on every (re)connect of the gateway so consumers can reconcile what they missed.",
  data: z.strictObject({
    alias: z.string().max(64),
    blockHeight: z.int().nonnegative(),
    syncedToChain: z.boolean(),
    openChannels: z.array(OpenChannelState),
    pendingChannels: z.array(PendingChannel),
    onlinePeers: z.array(Pubkey),
    balance: WalletBalance,
    closingChannels: z
      .array(ClosingChannel)
      .optional()
      .describe('channels whose close transaction is broadcast but not confirmed (lnd waiting close); absent when there are none. Their ChannelClosed follows when the close confirms.'),
  }),
});

export const ChannelBackupUpdated = defineMessage({
  type: 'ChannelBackupUpdated',
  kind: 'event',
  schemaVersion: 1,
  description:
    "The node's own encrypted multi-channel backup changed (lnd SubscribeChannelBackups); kept verbatim, only the node can decrypt it.",
  data: z.strictObject({
    multiChanBackup: z
      .base64()
      .min(60, 'an lnd packed multi-channel backup is at least 45 bytes')
      .describe('packed, encrypted multi-channel backup, base64'),
    channelPoints: z.array(ChannelPoint).describe('channels the backup covers'),
  }),
});

export const ChannelOpenRequested = defineMessage({
  type: 'ChannelOpenRequested',
  kind: 'event',
  schemaVersion: 1,
  description: 'The gateway executed an OpenChannel command; the node accepted it and broadcast the funding.',
  data: z.strictObject({
    commandId: z.string().min(1).max(200),
    peer: Pubkey,
    localFundingSat: Sat,
    channelPoint: ChannelPoint,
  }),
});

/** OpenFailureReason classifies why an OpenChannel command did not result in a channel. */
export const OpenFailureReason = z
  .enum([
    'INVALID_COMMAND',
    'NODE_NOT_MANAGED',
    'AMOUNT_OUT_OF_BOUNDS',
    'INSUFFICIENT_FUNDS',
    'PEER_UNREACHABLE',
    'REJECTED_BY_PEER',
    'NODE_ERROR',
    'EXPIRED',
  ])
  .describe('why the open failed');

export const ChannelOpenFailed = defineMessage({
  type: 'ChannelOpenFailed',
  kind: 'event',
  schemaVersion: 1,
  description: 'An OpenChannel command did not result in a pending channel.',
  data: z.strictObject({
    commandId: z.string().min(1).max(200),
    peer: Pubkey,
    localFundingSat: Sat,
    reason: OpenFailureReason,
    message: z.string().max(2000).describe('human-readable detail, e.g. the error lnd returned'),
    retryableAfter: Timestamp.nullable().describe('when retrying may succeed, if the failure is transient'),
  }),
});

/** GraphSnapshotFormat names how a stored graph snapshot is encoded. */
export const GraphSnapshotFormat = z
  .enum(['lnd-describegraph-json-gzip'])
  .describe("encoding of the stored object: lnd's DescribeGraph JSON (nodes, edges), gzipped");

export const GraphSnapshotPublished = defineMessage({
  type: 'GraphSnapshotPublished',
  kind: 'event',
  schemaVersion: 1,
  description:
    'The public channel graph as the node sees it (lnd DescribeGraph) was stored as a versioned snapshot in the JetStream object store; the graph itself is never sent as messages.',
  data: z.strictObject({
    version: z
      .string()
      .regex(/^sha256:[0-9a-f]{64}$/, 'must be "sha256:" and the 64-hex digest of the stored bytes')
      .describe('content version: SHA-256 of the stored object; equal graphs have equal versions'),
    bucket: z.string().regex(/^[-\w]{1,64}$/, 'must be an object store bucket name').describe('object store bucket holding the snapshot'),
    objectName: z.string().min(1).max(255).describe('name of the object in the bucket'),
    format: GraphSnapshotFormat,
    nodeCount: z.int().nonnegative(),
    channelCount: z.int().nonnegative(),
    sizeBytes: z.int().positive().describe('size of the stored object'),
    takenAt: Timestamp.describe('when the node was asked for its graph'),
  }),
});
