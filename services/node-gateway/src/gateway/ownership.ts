import { replicaOf } from './sharding.js';

/**
 * Ownership across replicas that may disagree on the replica count. Each live replica holds the
 * lease of its slot (`replica.<index>`), recording its index, the replica count it was started
 * with, and `since`, the KV revision at which it took the slot (lower = older). Replicas with the
 * same count never claim the same node (rendezvous hashing gives each node one index). Replicas
 * started with different counts can: then the older holding keeps the node and the newer one
 * refuses it until the older one is gone. Both read the same leases, so they agree on who yields,
 * and a replica reads its peers only after taking its slot, so of two replicas starting at once
 * the later always sees the earlier.
 */

/** ReplicaClaim is one live replica slot lease. */
export interface ReplicaClaim {
  /** holder is the holding process's instance id. */
  readonly holder: string;
  readonly index: number;
  readonly replicas: number;
  /** since is the KV revision at which the slot was taken. */
  readonly since: number;
  /** host is where the holder runs, for messages. */
  readonly host: string;
}

/** claims says whether a replica claims a node under the replica count it was started with. */
export function claims(claim: ReplicaClaim, nodeId: string): boolean {
  return replicaOf(nodeId, claim.replicas) === claim.index;
}

/**
 * contestedNodes returns, for each of my nodes (`nodeIds`, which I claim under my count) that an
 * older live replica also claims under its count, the oldest such replica: I must not serve
 * those nodes while it lives.
 */
export function contestedNodes(me: ReplicaClaim, peers: readonly ReplicaClaim[], nodeIds: readonly string[]): Map<string, ReplicaClaim> {
  const older = peers.filter((peer) => peer.holder !== me.holder && peer.since < me.since).sort((a, b) => a.since - b.since);
  const contested = new Map<string, ReplicaClaim>();
  for (const nodeId of nodeIds) {
    const owner = older.find((peer) => claims(peer, nodeId));
    if (owner !== undefined) contested.set(nodeId, owner);
  }
  return contested;
}

/** disagreeing lists the live peers started with another replica count than mine. */
export function disagreeing(me: ReplicaClaim, peers: readonly ReplicaClaim[]): ReplicaClaim[] {
  return peers.filter((peer) => peer.holder !== me.holder && peer.replicas !== me.replicas);
}

/** describeClaim names a replica for an operator: "replica 1 of 2 (host node-gateway-1)". */
export function describeClaim(claim: ReplicaClaim): string {
  return `replica ${claim.index} of ${claim.replicas} (host ${claim.host})`;
}
