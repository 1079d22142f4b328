import {
  ChannelBackupUpdated,
  ChannelClosed,
  ChannelOpened,
  ChannelOpenPending,
  ChannelResolved,
  createMessage,
  deterministicId,
  NodeStateSnapshot,
  type ChannelPoint,
  type CloseType,
  type MessageByType,
  type OpenChannelState,
  type PendingChannel,
  type Pubkey,
} from '@lnfleet/contracts';

/*
 * Builders of real, schema-validated node events for the backup specs. Ids are deterministic in
 * the facts, as the gateway makes them, so building one fact twice gives the same message.
 */

/** NODE is the managed node of the fixtures. */
export const NODE: Pubkey = `03${'5e'.repeat(32)}`;
/** OTHER_NODE is a second managed node. */
export const OTHER_NODE: Pubkey = `02${'77'.repeat(32)}`;

/** pubkey returns a valid compressed public key whose hex encodes `n`. */
export function pubkey(n: number, prefix: '02' | '03' = '02'): Pubkey {
  return `${prefix}${n.toString(16).padStart(64, '0')}`;
}

/** channelPoint returns a valid funding outpoint whose txid encodes `n`. */
export function channelPoint(n: number, index = 0): ChannelPoint {
  return `${n.toString(16).padStart(64, 'b')}:${index}`;
}

const OCCURRED_AT = '2026-03-04T05:06:07.000Z';

function header(kind: string, node: Pubkey, ...parts: (string | number)[]) {
  const id = deterministicId(kind, node, ...parts);
  return { id, nodeId: node, occurredAt: OCCURRED_AT, causationId: null };
}

/** pendingData is a pending channel with a peer derived from the channel point, overridable. */
export function pendingData(point: ChannelPoint, overrides: Partial<PendingChannel> = {}): PendingChannel {
  return {
    channelPoint: point,
    peer: pubkey(Number.parseInt(point.slice(56, 64), 16)),
    peerAddresses: ['198.51.100.1:9735'],
    capacitySat: 2_000_000,
    localBalanceSat: 2_000_000,
    initiator: 'LOCAL',
    private: false,
    commitmentType: 'ANCHORS',
    ...overrides,
  };
}

/** openData is an open channel (pendingData plus a short channel id), overridable. */
export function openData(point: ChannelPoint, overrides: Partial<OpenChannelState> = {}): OpenChannelState {
  return {
    ...pendingData(point),
    chanId: '871234567890123',
    remoteBalanceSat: 0,
    active: true,
    ...overrides,
  };
}

/** pending builds a ChannelOpenPending. */
export function pending(point: ChannelPoint, overrides: Partial<PendingChannel> = {}, node = NODE): MessageByType<'ChannelOpenPending'> {
  return createMessage(ChannelOpenPending, { ...header('ChannelOpenPending', node, point), data: pendingData(point, overrides) });
}

/** opened builds a ChannelOpened. */
export function opened(point: ChannelPoint, overrides: Partial<OpenChannelState> = {}, node = NODE): MessageByType<'ChannelOpened'> {
  return createMessage(ChannelOpened, { ...header('ChannelOpened', node, point), data: openData(point, overrides) });
}

/** closed builds a ChannelClosed of `closeType`. */
export function closed(point: ChannelPoint, closeType: CloseType, node = NODE): MessageByType<'ChannelClosed'> {
  const data = openData(point);
  return createMessage(ChannelClosed, {
    ...header('ChannelClosed', node, point),
    data: {
      channelPoint: point,
      chanId: data.chanId,
      peer: data.peer,
      capacitySat: data.capacitySat,
      closeType,
      closingTxid: 'c'.repeat(64),
      closeHeight: 900_000,
      settledBalanceSat: 1_990_000,
      openInitiator: 'LOCAL',
      closeInitiator: closeType === 'LOCAL_FORCE_CLOSE' ? 'LOCAL' : 'REMOTE',
    },
  });
}

/** resolved builds a ChannelResolved. */
export function resolved(point: ChannelPoint, node = NODE): MessageByType<'ChannelResolved'> {
  return createMessage(ChannelResolved, { ...header('ChannelResolved', node, point), data: { channelPoint: point } });
}

/** snapshot builds a NodeStateSnapshot listing these open and pending channels; `tag` makes distinct snapshots. */
export function snapshot(
  channels: { open?: OpenChannelState[]; pending?: PendingChannel[] },
  tag = 'snapshot',
  node = NODE,
): MessageByType<'NodeStateSnapshot'> {
  return createMessage(NodeStateSnapshot, {
    ...header('NodeStateSnapshot', node, tag),
    data: {
      alias: 'backup-spec',
      blockHeight: 900_000,
      syncedToChain: true,
      openChannels: channels.open ?? [],
      pendingChannels: channels.pending ?? [],
      onlinePeers: [],
      balance: { confirmedSat: 0, unconfirmedSat: 0, lockedSat: 0, channelLocalSat: 0, channelRemoteSat: 0 },
    },
  });
}

/** backupUpdated builds a ChannelBackupUpdated carrying `packed`. */
export function backupUpdated(packed: Uint8Array, points: ChannelPoint[], node = NODE): MessageByType<'ChannelBackupUpdated'> {
  const multiChanBackup = Buffer.from(packed).toString('base64');
  return createMessage(ChannelBackupUpdated, {
    ...header('ChannelBackupUpdated', node, multiChanBackup),
    data: { multiChanBackup, channelPoints: points },
  });
}
