import {
  ChannelClosed,
  ChannelOpened,
  createMessage,
  deterministicId,
  NodeStateSnapshot,
  PeerOffline,
  PeerOnline,
  type ChannelPoint,
  type MessageByType,
  type Pubkey,
} from '@lnfleet/contracts';

/*
 * Builders of real, schema-validated node events for chanfitness tests. Ids are deterministic in
 * the facts (as the gateway makes them), so building the same fact twice gives the same message.
 */

/** pubkey returns a valid compressed public key whose hex digits encode `n` (distinct per n and prefix). */
export function pubkey(n: number, prefix: '02' | '03' = '02'): Pubkey {
  return `${prefix}${n.toString(16).padStart(64, '0')}`;
}

/** channelPoint returns a valid funding outpoint whose txid encodes `n`. */
export function channelPoint(n: number, index = 0): ChannelPoint {
  return `${n.toString(16).padStart(64, 'a')}:${index}`;
}

const iso = (at: number): string => new Date(at).toISOString();

function openState(peer: Pubkey, point: ChannelPoint): MessageByType<'ChannelOpened'>['data'] {
  return {
    channelPoint: point,
    peer,
    peerAddresses: [],
    capacitySat: 1_000_000,
    localBalanceSat: 600_000,
    initiator: 'LOCAL',
    private: false,
    commitmentType: 'ANCHORS',
    chanId: '1',
    remoteBalanceSat: 400_000,
    active: true,
  };
}

/** opened builds a ChannelOpened of `point` with `peer` on `node` at `at`. */
export function opened(node: Pubkey, peer: Pubkey, point: ChannelPoint, at: number): MessageByType<'ChannelOpened'> {
  return createMessage(ChannelOpened, {
    id: deterministicId('ChannelOpened', node, point),
    nodeId: node,
    occurredAt: iso(at),
    causationId: null,
    data: openState(peer, point),
  });
}

/** closed builds a cooperative ChannelClosed of `point` with `peer` on `node` at `at`. */
export function closed(node: Pubkey, peer: Pubkey, point: ChannelPoint, at: number): MessageByType<'ChannelClosed'> {
  return createMessage(ChannelClosed, {
    id: deterministicId('ChannelClosed', node, point),
    nodeId: node,
    occurredAt: iso(at),
    causationId: null,
    data: {
      channelPoint: point,
      chanId: '1',
      peer,
      capacitySat: 1_000_000,
      closeType: 'COOPERATIVE_CLOSE',
      closingTxid: 'd'.repeat(64),
      closeHeight: 800_000,
      settledBalanceSat: 599_000,
      openInitiator: 'LOCAL',
      closeInitiator: 'REMOTE',
    },
  });
}

/** online builds a PeerOnline of `peer` on `node` at `at`. */
export function online(node: Pubkey, peer: Pubkey, at: number): MessageByType<'PeerOnline'> {
  return createMessage(PeerOnline, {
    id: deterministicId('PeerOnline', node, peer, at),
    nodeId: node,
    occurredAt: iso(at),
    causationId: null,
    data: { peer },
  });
}

/** offline builds a PeerOffline of `peer` on `node` at `at`. */
export function offline(node: Pubkey, peer: Pubkey, at: number): MessageByType<'PeerOffline'> {
  return createMessage(PeerOffline, {
    id: deterministicId('PeerOffline', node, peer, at),
    nodeId: node,
    occurredAt: iso(at),
    causationId: null,
    data: { peer },
  });
}

/** snapshot builds a NodeStateSnapshot of `node` at `at` with these open channels and online peers. */
export function snapshot(
  node: Pubkey,
  channels: readonly (readonly [Pubkey, ChannelPoint])[],
  onlinePeers: readonly Pubkey[],
  at: number,
): MessageByType<'NodeStateSnapshot'> {
  return createMessage(NodeStateSnapshot, {
    id: deterministicId('NodeStateSnapshot', node, at),
    nodeId: node,
    occurredAt: iso(at),
    causationId: null,
    data: {
      alias: 'fixture',
      blockHeight: 800_000,
      syncedToChain: true,
      openChannels: channels.map(([peer, point]) => openState(peer, point)),
      pendingChannels: [],
      onlinePeers: [...onlinePeers],
      balance: { confirmedSat: 0, unconfirmedSat: 0, lockedSat: 0, channelLocalSat: 0, channelRemoteSat: 0 },
    },
  });
}
