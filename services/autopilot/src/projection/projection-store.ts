/**
 * ProjectionStore reads and writes a node's {@link NodeProjection} through TypeORM. It is the
 * thin part: the rules live in `evolve`; this only maps rows to records and back, writing the
 * rows that differ from what was loaded.
 */
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import {
  AutopilotChannelRow,
  AutopilotFailureRow,
  AutopilotNodeRow,
  AutopilotPeerFitnessRow,
  AutopilotPendingOpenRow,
  AutopilotPolicyRow,
} from './entities.js';
import { initialProjection, type NodeProjection } from './node-projection.js';

/**
 * nodeLockKey is the 64-bit key of a node's advisory lock: the first 8 bytes of
 * sha256("lnfleet.autopilot:" + nodeId), as a signed decimal string for `pg_advisory_xact_lock`.
 */
export function nodeLockKey(nodeId: string): string {
  const digest = createHash('sha256').update(`lnfleet.autopilot:${nodeId}`).digest();
  return digest.readBigInt64BE(0).toString();
}

/**
 * lockNode takes the node's transaction-scoped advisory lock: until the transaction ends, no
 * other transaction (in any replica) deciding for this node gets past this call.
 */
export async function lockNode(manager: EntityManager, nodeId: string): Promise<void> {
  await manager.query('SELECT pg_advisory_xact_lock($1::bigint)', [nodeLockKey(nodeId)]);
}

/** loadProjection reads one node's projection (the initial projection for an unknown node). */
export async function loadProjection(manager: EntityManager, nodeId: string): Promise<NodeProjection> {
  // One after the other: inside a transaction they share one connection anyway.
  const node = await manager.findOneBy(AutopilotNodeRow, { nodeId });
  const policy = await manager.findOneBy(AutopilotPolicyRow, { nodeId });
  const channels = await manager.findBy(AutopilotChannelRow, { nodeId });
  const pendingOpens = await manager.findBy(AutopilotPendingOpenRow, { nodeId });
  const failures = await manager.findBy(AutopilotFailureRow, { nodeId });
  const fitness = await manager.findBy(AutopilotPeerFitnessRow, { nodeId });
  const base = initialProjection(nodeId);
  return {
    ...base,
    revision: node?.revision ?? 0,
    balance:
      node === null || node.balanceSeq === null
        ? null
        : { confirmedSat: node.confirmedSat ?? 0, unconfirmedSat: node.unconfirmedSat ?? 0, lockedSat: node.lockedSat ?? 0, sequence: node.balanceSeq },
    policy:
      policy === null
        ? null
        : { enabled: policy.enabled, dryRun: policy.dryRun, constraints: policy.constraints, heuristics: policy.heuristics, sequence: policy.seq },
    channels: new Map(
      channels.map((row) => [
        row.channelPoint,
        { channelPoint: row.channelPoint, peer: row.peer, capacitySat: row.capacitySat, localBalanceSat: row.localBalanceSat, status: row.status, sequence: row.seq },
      ]),
    ),
    pendingOpens: new Map(
      pendingOpens.map((row) => [
        row.commandId,
        { commandId: row.commandId, peer: row.peer, amountSat: row.amountSat, expiresAtMs: row.expiresAt, status: row.status, sequence: row.seq },
      ]),
    ),
    failures: new Map(failures.map((row) => [row.peer, { peer: row.peer, attempts: row.attempts, failedUntilMs: row.failedUntil, sequence: row.seq }])),
    fitness: new Map(fitness.map((row) => [row.peer, { peer: row.peer, fit: row.fit, sequence: row.seq }])),
  };
}

/** saveProjection writes the rows of `next` that differ from `loaded` (nothing when unchanged). */
export async function saveProjection(manager: EntityManager, loaded: NodeProjection, next: NodeProjection): Promise<void> {
  if (next === loaded) return;
  const { nodeId } = next;
  await manager.upsert(
    AutopilotNodeRow,
    {
      nodeId,
      revision: next.revision,
      confirmedSat: next.balance?.confirmedSat ?? null,
      unconfirmedSat: next.balance?.unconfirmedSat ?? null,
      lockedSat: next.balance?.lockedSat ?? null,
      balanceSeq: next.balance?.sequence ?? null,
    },
    ['nodeId'],
  );
  if (next.policy !== null && next.policy !== loaded.policy) {
    const { enabled, dryRun, constraints, heuristics, sequence } = next.policy;
    await manager.upsert(AutopilotPolicyRow, { nodeId, enabled, dryRun, constraints, heuristics, seq: sequence }, ['nodeId']);
  }
  const channels = changed(loaded.channels, next.channels).map((c) => ({
    nodeId,
    channelPoint: c.channelPoint,
    peer: c.peer,
    capacitySat: c.capacitySat,
    localBalanceSat: c.localBalanceSat,
    status: c.status,
    seq: c.sequence,
  }));
  if (channels.length > 0) await manager.upsert(AutopilotChannelRow, channels, ['nodeId', 'channelPoint']);
  const opens = changed(loaded.pendingOpens, next.pendingOpens).map((o) => ({
    nodeId,
    commandId: o.commandId,
    peer: o.peer,
    amountSat: o.amountSat,
    expiresAt: o.expiresAtMs,
    status: o.status,
    seq: o.sequence,
  }));
  if (opens.length > 0) await manager.upsert(AutopilotPendingOpenRow, opens, ['nodeId', 'commandId']);
  const failures = changed(loaded.failures, next.failures).map((f) => ({
    nodeId,
    peer: f.peer,
    attempts: f.attempts,
    failedUntil: f.failedUntilMs,
    seq: f.sequence,
  }));
  if (failures.length > 0) await manager.upsert(AutopilotFailureRow, failures, ['nodeId', 'peer']);
  const fitness = changed(loaded.fitness, next.fitness).map((row) => ({ nodeId, peer: row.peer, fit: row.fit, seq: row.sequence }));
  if (fitness.length > 0) await manager.upsert(AutopilotPeerFitnessRow, fitness, ['nodeId', 'peer']);
}

/**
 * crowdedPeers lists the peers that managed nodes other than `nodeId` together have at least
 * `limit` channels (pending or open) and opens in flight with. Decisions for different nodes run
 * in parallel, so the limit can be overshot by the opens of decisions taken at the same moment.
 */
export async function crowdedPeers(manager: EntityManager, nodeId: string, limit: number): Promise<string[]> {
  const rows = await manager.query<{ peer: string }[]>(
    `SELECT peer FROM (
       SELECT peer FROM autopilot_channel WHERE node_id <> $1 AND status <> 'closed'
       UNION ALL
       SELECT peer FROM autopilot_pending_open WHERE node_id <> $1 AND status = 'in-flight'
     ) AS fleet GROUP BY peer HAVING count(*) >= $2 ORDER BY peer`,
    [nodeId, limit],
  );
  return rows.map((row) => row.peer);
}

/** enabledNodes lists the nodes whose policy enables the autopilot, for the heartbeat. */
export async function enabledNodes(manager: EntityManager): Promise<string[]> {
  const rows = await manager.find(AutopilotPolicyRow, { where: { enabled: true }, select: { nodeId: true }, order: { nodeId: 'ASC' } });
  return rows.map((row) => row.nodeId);
}

function changed<T>(before: ReadonlyMap<string, T>, after: ReadonlyMap<string, T>): T[] {
  const rows: T[] = [];
  for (const [key, value] of after) {
    // Records are immutable: an untouched record is the very same object.
    if (before.get(key) !== value) rows.push(value);
  }
  return rows;
}
