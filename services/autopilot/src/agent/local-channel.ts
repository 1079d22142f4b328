/**
 * The node's own channels as the autopilot sees them: the channels it has (active) and the ones
 * it is opening (pending opens count towards the budget exactly like open channels, as in lnd).
 */

/** LocalChannel is one of the node's channels: its peer and the node's balance in it. */
export interface LocalChannel {
  /** channelId is the short channel id, or a placeholder for a channel still pending. */
  readonly channelId: string;
  /** peer is the public key of the node at the other end. */
  readonly peer: string;
  /** balanceSat is the node's own balance in the channel, in satoshis. */
  readonly balanceSat: number;
}

/** connectedPeers returns the set of peers the given channels go to. */
export function connectedPeers(channels: readonly LocalChannel[]): Set<string> {
  return new Set(channels.map((channel) => channel.peer));
}
