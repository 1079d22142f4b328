import { createHash } from 'node:crypto';

/**
 * Sharding: nodes are split across gateway replicas so that each node is served by exactly one.
 * A node goes to the replica with the highest rendezvous weight hash(replica, node id): the
 * assignment needs no coordination, every replica computes the same one, and changing the replica
 * count moves only the nodes whose winner changed (about 1/n of them).
 */

/** replicaOf returns the index of the replica (0-based, of `replicas`) that serves a node. */
export function replicaOf(nodeId: string, replicas: number): number {
  if (!Number.isInteger(replicas) || replicas < 1) throw new RangeError(`replicas must be a positive integer, got ${replicas}`);
  let best = 0;
  let bestWeight = -1;
  for (let r = 0; r < replicas; r++) {
    const weight = createHash('sha256').update(`${r}\u0000${nodeId}`).digest().readUInt32BE(0);
    if (weight > bestWeight) {
      best = r;
      bestWeight = weight;
    }
  }
  return best;
}

/** ordinalFromHostname reads a StatefulSet pod's ordinal from its hostname (`node-gateway-2` -> 2). */
export function ordinalFromHostname(hostname: string): number | undefined {
  const match = /-(\d+)$/.exec(hostname);
  return match === null ? undefined : Number(match[1]);
}
