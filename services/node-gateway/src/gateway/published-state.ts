import type { KnownMessage, WalletBalance } from '@lnfleet/contracts';
import type { ClosedChannelSummary } from '../node/lightning-node.js';

/**
 * AnnouncedStatus is how far an announced channel got: pending (funding broadcast), open, or
 * closing (its close transaction broadcast, not confirmed: lnd's "waiting close").
 */
export type AnnouncedStatus = 'pending' | 'open' | 'closing';

/**
 * PublishedState is what the gateway has told the stream about one node: which channels it
 * announced (pending or open), which peers it last reported online, and the last balance. The
 * gateway persists it after publishing, and compares it with the node's real state on every
 * (re)connect to publish what it missed.
 */
export interface PublishedState {
  /** channels maps each announced, not yet closed channel point to its last announced status. */
  readonly channels: Readonly<Record<string, AnnouncedStatus>>;
  /**
   * chanIds maps each announced open (or closing) channel to its short channel id, so that a
   * close lnd reports without one (a force close still resolving) carries the real id.
   */
  readonly chanIds: Readonly<Record<string, string>>;
  /** onlinePeers is sorted. */
  readonly onlinePeers: readonly string[];
  /** balance is null until one was published. */
  readonly balance: WalletBalance | null;
  /**
   * unresolved lists (sorted) the local force closes announced by ChannelClosed whose
   * ChannelResolved was not published yet: their funds are still time-locked, and a resolution
   * that happens while the gateway is away is published on the next connect.
   */
  readonly unresolved: readonly string[];
}

/** initialPublishedState is a node the gateway never published anything about. */
export function initialPublishedState(): PublishedState {
  return { channels: {}, chanIds: {}, onlinePeers: [], balance: null, unresolved: [] };
}

/** withDefaults completes a state saved by an older version (before `unresolved` or `chanIds`). */
export function withDefaults(state: Partial<PublishedState>): PublishedState {
  return { ...initialPublishedState(), ...state };
}

/** evolvePublished applies one published event; events that do not change the tracked state leave it as is. */
export function evolvePublished(state: PublishedState, event: KnownMessage): PublishedState {
  switch (event.type) {
    case 'ChannelOpenPending':
      // A pending announcement never downgrades an open channel (an old copy arriving late).
      if (state.channels[event.data.channelPoint] === 'open') return state;
      return { ...state, channels: { ...state.channels, [event.data.channelPoint]: 'pending' } };
    case 'ChannelOpened':
      return { ...state, channels: { ...state.channels, [event.data.channelPoint]: 'open' }, chanIds: withChanId(state.chanIds, event.data.channelPoint, event.data.chanId) };
    case 'ChannelClosed': {
      const point = event.data.channelPoint;
      const unresolved = event.data.closeType === 'LOCAL_FORCE_CLOSE' && !state.unresolved.includes(point) ? [...state.unresolved, point].sort() : state.unresolved;
      if (!(point in state.channels) && !(point in state.chanIds)) return unresolved === state.unresolved ? state : { ...state, unresolved };
      const { [point]: _closed, ...rest } = state.channels;
      const { [point]: _closedId, ...restIds } = state.chanIds;
      return { ...state, channels: rest, chanIds: restIds, unresolved };
    }
    case 'ChannelResolved':
      return state.unresolved.includes(event.data.channelPoint) ? { ...state, unresolved: state.unresolved.filter((p) => p !== event.data.channelPoint) } : state;
    case 'PeerOnline':
      return state.onlinePeers.includes(event.data.peer) ? state : { ...state, onlinePeers: [...state.onlinePeers, event.data.peer].sort() };
    case 'PeerOffline':
      return { ...state, onlinePeers: state.onlinePeers.filter((peer) => peer !== event.data.peer) };
    case 'BalanceChanged':
      return { ...state, balance: event.data };
    case 'NodeStateSnapshot': {
      const channels: Record<string, AnnouncedStatus> = {};
      const chanIds: Record<string, string> = {};
      for (const channel of event.data.pendingChannels) channels[channel.channelPoint] = 'pending';
      for (const channel of event.data.closingChannels ?? []) {
        channels[channel.channelPoint] = 'closing';
        // A closing channel keeps the short channel id it was announced with.
        const known = state.chanIds[channel.channelPoint];
        if (known !== undefined) chanIds[channel.channelPoint] = known;
      }
      for (const channel of event.data.openChannels) {
        channels[channel.channelPoint] = 'open';
        if (channel.chanId !== '0') chanIds[channel.channelPoint] = channel.chanId;
      }
      return { ...state, channels, chanIds, onlinePeers: [...event.data.onlinePeers].sort(), balance: event.data.balance };
    }
    default:
      // Every other message (backups, command outcomes, other services' facts)
      // leaves the channel/peer/balance picture unchanged.
      return state;
  }
}

function withChanId(chanIds: Readonly<Record<string, string>>, channelPoint: string, chanId: string): Readonly<Record<string, string>> {
  return chanId === '0' || chanIds[channelPoint] === chanId ? chanIds : { ...chanIds, [channelPoint]: chanId };
}

/**
 * withKnownChanId completes a close summary that has no short channel id (lnd lists force closes
 * still resolving, and waiting closes, without one) from the id the channel was announced with.
 */
export function withKnownChanId(summary: ClosedChannelSummary, state: PublishedState): ClosedChannelSummary {
  if (summary.chanId !== '0') return summary;
  const known = state.chanIds[summary.channelPoint];
  return known === undefined ? summary : { ...summary, chanId: known };
}
