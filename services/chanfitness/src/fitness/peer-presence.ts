import type { Pubkey } from '@lnfleet/contracts';
import type { EpochMs } from './time.js';

/**
 * Peer presence: whether each peer the node has talked to is connected right now, tracked or not.
 * It has no log and no flap count (untracked peers still don't get those, as in lnd); it answers
 * two questions: is a peer online at the moment we start tracking it (lnd asks its server the
 * same), and did our node just lose all of its peers at once.
 */

/** PeerPresence is a peer's connection state and since when it has had it. */
export interface PeerPresence {
  readonly online: boolean;
  readonly since: EpochMs;
}

/** PresenceMap holds the presence of every peer we have heard of, by public key. */
export type PresenceMap = ReadonlyMap<Pubkey, PeerPresence>;

/**
 * setPresence records that `peer` is online or offline at `at`. `since` only moves when the state
 * changes, so a repeated event keeps the original time; the same map is returned when nothing
 * changed. An unknown peer counts as offline, so an offline report for it changes nothing.
 */
export function setPresence(map: PresenceMap, peer: Pubkey, online: boolean, at: EpochMs): PresenceMap {
  const current = map.get(peer);
  if ((current?.online ?? false) === online) return map;
  return new Map(map).set(peer, { online, since: at });
}

/** isOnline reports whether `peer` is currently connected; unknown peers are offline. */
export function isOnline(map: PresenceMap, peer: Pubkey): boolean {
  return map.get(peer)?.online ?? false;
}

/** onlinePeers returns the public keys of every connected peer. */
export function onlinePeers(map: PresenceMap): Pubkey[] {
  const online: Pubkey[] = [];
  for (const [peer, presence] of map) if (presence.online) online.push(peer);
  return online;
}
