import type { KnownMessage, WalletBalance } from '@lnfleet/contracts';

/**
 * PublishedState is what the gateway has told the stream about one node: which channels it
 * announced (pending or open), which peers it last reported online, and the last balance. The
 * gateway persists it after publishing, and compares it with the node's real state on every
 * (re)connect to publish what it missed.
 */
export interface PublishedState {
  /** channels maps each announced, not yet closed channel point to its last announced status. */
  readonly channels: Readonly<Record<string, 'pending' | 'open'>>;
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
  return { channels: {}, onlinePeers: [], balance: null, unresolved: [] };
}

/** withDefaults completes a state saved by an older version (before `unresolved`). */
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
      return { ...state, channels: { ...state.channels, [event.data.channelPoint]: 'open' } };
    case 'ChannelClosed': {
      const point = event.data.channelPoint;
      const unresolved = event.data.closeType === 'LOCAL_FORCE_CLOSE' && !state.unresolved.includes(point) ? [...state.unresolved, point].sort() : state.unresolved;
      if (!(point in state.channels)) return unresolved === state.unresolved ? state : { ...state, unresolved };
      const { [point]: _closed, ...rest } = state.channels;
      return { ...state, channels: rest, unresolved };
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
      const channels: Record<string, 'pending' | 'open'> = {};
      for (const channel of event.data.pendingChannels) channels[channel.channelPoint] = 'pending';
      for (const channel of event.data.openChannels) channels[channel.channelPoint] = 'open';
      return { ...state, channels, onlinePeers: [...event.data.onlinePeers].sort(), balance: event.data.balance };
    }
    default:
      // Every other message (backups, command outcomes, other services' facts)
      // leaves the channel/peer/balance picture unchanged.
      return state;
  }
}
