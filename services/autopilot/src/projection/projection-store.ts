/**
 * ProjectionStore reads and writes a node's {@link NodeProjection} in PostgreSQL (the tables of
 * entities.ts). It is the thin part: the rules live in `evolve`; this only maps rows to records
 * and back, writing the rows that differ from what was loaded. A decision's critical path is
 * lock, load, save: one statement each (plain SQL, not TypeORM's per-table queries).
 */
import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { AutopilotPolicyRow } from './entities.js';
import { initialProjection, type ChannelRecord, type NodeProjection, type PendingOpenRecord, type PolicyRecord } from './node-projection.js';

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

/** SqlRunner runs one statement and returns its rows (an EntityManager is one). */
export interface SqlRunner {
  query<T>(sql: string, parameters?: unknown[]): Promise<T>;
}

/**
 * sqlLiteral quotes a string as a PostgreSQL literal (quotes doubled; an E'' string with
 * backslashes doubled when it has any), for statements sent without parameters so that
 * several share one round trip.
 */
export function sqlLiteral(value: string): string {
  const quoted = value.replaceAll("'", "''");
  return value.includes('\\') ? ` E'${quoted.replaceAll('\\', '\\\\')}'` : `'${quoted}'`;
}

/**
 * loadSql reads every row of one node in one statement (one round trip instead of one per
 * table): each table's rows as a JSON array, bigints as JSON numbers, times as epoch ms.
 */
const loadSql = (node: string): string => `
  SELECT
    (SELECT json_build_object('revision', revision, 'confirmedSat', confirmed_sat, 'unconfirmedSat', unconfirmed_sat,
            'lockedSat', locked_sat, 'balanceSeq', balance_seq)
       FROM autopilot_node WHERE node_id = $1) AS node,
    (SELECT json_build_object('enabled', enabled, 'dryRun', dry_run, 'constraints', constraints, 'heuristics', heuristics, 'seq', seq)
       FROM autopilot_policy WHERE node_id = $1) AS policy,
    (SELECT coalesce(json_agg(json_build_object('channelPoint', channel_point, 'peer', peer, 'capacitySat', capacity_sat,
            'localBalanceSat', local_balance_sat, 'status', status, 'seq', seq)), '[]')
       FROM autopilot_channel WHERE node_id = $1) AS channels,
    (SELECT coalesce(json_agg(json_build_object('commandId', command_id, 'peer', peer, 'amountSat', amount_sat,
            'expiresAtMs', ${epochMsSql('expires_at')}, 'status', status, 'seq', seq)), '[]')
       FROM autopilot_pending_open WHERE node_id = $1) AS opens,
    (SELECT coalesce(json_agg(json_build_object('peer', peer, 'attempts', attempts, 'failedUntilMs', ${epochMsSql('failed_until')}, 'seq', seq)), '[]')
       FROM autopilot_failure WHERE node_id = $1) AS failures,
    (SELECT coalesce(json_agg(json_build_object('peer', peer, 'fit', fit, 'seq', seq)), '[]')
       FROM autopilot_peer_fitness WHERE node_id = $1) AS fitness`.replaceAll('$1', node);

function epochMsSql(column: string): string {
  return `round(extract(epoch FROM ${column}) * 1000)::bigint`;
}

interface LoadedRows {
  node: { revision: number; confirmedSat: number | null; unconfirmedSat: number | null; lockedSat: number | null; balanceSeq: number | null } | null;
  policy: { enabled: boolean; dryRun: boolean; constraints: PolicyRecord['constraints']; heuristics: PolicyRecord['heuristics']; seq: number } | null;
  channels: { channelPoint: string; peer: string; capacitySat: number; localBalanceSat: number; status: ChannelRecord['status']; seq: number }[];
  opens: { commandId: string; peer: string; amountSat: number; expiresAtMs: number; status: PendingOpenRecord['status']; seq: number }[];
  failures: { peer: string; attempts: number; failedUntilMs: number; seq: number }[];
  fitness: { peer: string; fit: boolean; seq: number }[];
}

/** loadProjection reads one node's projection (the initial projection for an unknown node). */
export async function loadProjection(manager: SqlRunner, nodeId: string): Promise<NodeProjection> {
  const [rows] = await manager.query<LoadedRows[]>(loadSql('$1'), [nodeId]);
  return projectionOf(nodeId, rows);
}

function projectionOf(nodeId: string, rows: LoadedRows | undefined): NodeProjection {
  const base = initialProjection(nodeId);
  if (rows === undefined) return base;
  const { node, policy } = rows;
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
      rows.channels.map((row) => [
        row.channelPoint,
        { channelPoint: row.channelPoint, peer: row.peer, capacitySat: row.capacitySat, localBalanceSat: row.localBalanceSat, status: row.status, sequence: row.seq },
      ]),
    ),
    pendingOpens: new Map(
      rows.opens.map((row) => [
        row.commandId,
        { commandId: row.commandId, peer: row.peer, amountSat: row.amountSat, expiresAtMs: row.expiresAtMs, status: row.status, sequence: row.seq },
      ]),
    ),
    failures: new Map(rows.failures.map((row) => [row.peer, { peer: row.peer, attempts: row.attempts, failedUntilMs: row.failedUntilMs, sequence: row.seq }])),
    fitness: new Map(rows.fitness.map((row) => [row.peer, { peer: row.peer, fit: row.fit, sequence: row.seq }])),
  };
}

/** saveProjection writes the rows of `next` that differ from `loaded` (nothing when unchanged), in one statement. */
export async function saveProjection(manager: SqlRunner, loaded: NodeProjection, next: NodeProjection): Promise<void> {
  const sql = saveSql(loaded, next);
  if (sql !== undefined) await manager.query(sql);
}

/**
 * saveSql is the one statement that writes the rows of `next` that differ from `loaded` (an
 * upsert per table that changed, as data-modifying CTEs), values inlined as literals so that it
 * can share a round trip with COMMIT; undefined when nothing changed.
 */
function saveSql(loaded: NodeProjection, next: NodeProjection): string | undefined {
  if (next === loaded) return undefined;
  const node = sqlLiteral(next.nodeId);
  const json = (rows: unknown): string => `${sqlLiteral(JSON.stringify(rows))}::json`;
  const parts: string[] = [];
  const balance = next.balance;
  parts.push(`INSERT INTO autopilot_node (node_id, revision, confirmed_sat, unconfirmed_sat, locked_sat, balance_seq)
      SELECT ${node}, x.revision, x.confirmed_sat, x.unconfirmed_sat, x.locked_sat, x.balance_seq
        FROM json_to_record(${json({
          revision: next.revision,
          confirmed_sat: balance?.confirmedSat ?? null,
          unconfirmed_sat: balance?.unconfirmedSat ?? null,
          locked_sat: balance?.lockedSat ?? null,
          balance_seq: balance?.sequence ?? null,
        })}) AS x(revision bigint, confirmed_sat bigint, unconfirmed_sat bigint, locked_sat bigint, balance_seq bigint)
      ON CONFLICT (node_id) DO UPDATE SET revision = EXCLUDED.revision, confirmed_sat = EXCLUDED.confirmed_sat,
        unconfirmed_sat = EXCLUDED.unconfirmed_sat, locked_sat = EXCLUDED.locked_sat, balance_seq = EXCLUDED.balance_seq`);
  if (next.policy !== null && next.policy !== loaded.policy) {
    const { enabled, dryRun, constraints, heuristics, sequence } = next.policy;
    parts.push(`INSERT INTO autopilot_policy (node_id, enabled, dry_run, constraints, heuristics, seq)
      SELECT ${node}, x.enabled, x.dry_run, x.constraints, x.heuristics, x.seq
        FROM json_to_record(${json({ enabled, dry_run: dryRun, constraints, heuristics, seq: sequence })})
          AS x(enabled boolean, dry_run boolean, constraints jsonb, heuristics jsonb, seq bigint)
      ON CONFLICT (node_id) DO UPDATE SET enabled = EXCLUDED.enabled, dry_run = EXCLUDED.dry_run,
        constraints = EXCLUDED.constraints, heuristics = EXCLUDED.heuristics, seq = EXCLUDED.seq`);
  }
  const channels = changed(loaded.channels, next.channels);
  if (channels.length > 0) {
    const rows = channels.map((c) => ({ channel_point: c.channelPoint, peer: c.peer, capacity_sat: c.capacitySat, local_balance_sat: c.localBalanceSat, status: c.status, seq: c.sequence }));
    parts.push(`INSERT INTO autopilot_channel (node_id, channel_point, peer, capacity_sat, local_balance_sat, status, seq)
      SELECT ${node}, x.channel_point, x.peer, x.capacity_sat, x.local_balance_sat, x.status, x.seq
        FROM json_to_recordset(${json(rows)}) AS x(channel_point text, peer text, capacity_sat bigint, local_balance_sat bigint, status text, seq bigint)
      ON CONFLICT (node_id, channel_point) DO UPDATE SET peer = EXCLUDED.peer, capacity_sat = EXCLUDED.capacity_sat,
        local_balance_sat = EXCLUDED.local_balance_sat, status = EXCLUDED.status, seq = EXCLUDED.seq`);
  }
  const opens = changed(loaded.pendingOpens, next.pendingOpens);
  if (opens.length > 0) {
    const rows = opens.map((o) => ({ command_id: o.commandId, peer: o.peer, amount_sat: o.amountSat, expires_at_ms: o.expiresAtMs, status: o.status, seq: o.sequence }));
    parts.push(`INSERT INTO autopilot_pending_open (node_id, command_id, peer, amount_sat, expires_at, status, seq)
      SELECT ${node}, x.command_id, x.peer, x.amount_sat, to_timestamp(x.expires_at_ms / 1000.0), x.status, x.seq
        FROM json_to_recordset(${json(rows)}) AS x(command_id text, peer text, amount_sat bigint, expires_at_ms bigint, status text, seq bigint)
      ON CONFLICT (node_id, command_id) DO UPDATE SET peer = EXCLUDED.peer, amount_sat = EXCLUDED.amount_sat,
        expires_at = EXCLUDED.expires_at, status = EXCLUDED.status, seq = EXCLUDED.seq`);
  }
  const failures = changed(loaded.failures, next.failures);
  if (failures.length > 0) {
    const rows = failures.map((f) => ({ peer: f.peer, attempts: f.attempts, failed_until_ms: f.failedUntilMs, seq: f.sequence }));
    parts.push(`INSERT INTO autopilot_failure (node_id, peer, attempts, failed_until, seq)
      SELECT ${node}, x.peer, x.attempts, to_timestamp(x.failed_until_ms / 1000.0), x.seq
        FROM json_to_recordset(${json(rows)}) AS x(peer text, attempts integer, failed_until_ms bigint, seq bigint)
      ON CONFLICT (node_id, peer) DO UPDATE SET attempts = EXCLUDED.attempts, failed_until = EXCLUDED.failed_until, seq = EXCLUDED.seq`);
  }
  const fitness = changed(loaded.fitness, next.fitness);
  if (fitness.length > 0) {
    const rows = fitness.map((f) => ({ peer: f.peer, fit: f.fit, seq: f.sequence }));
    parts.push(`INSERT INTO autopilot_peer_fitness (node_id, peer, fit, seq)
      SELECT ${node}, x.peer, x.fit, x.seq FROM json_to_recordset(${json(rows)}) AS x(peer text, fit boolean, seq bigint)
      ON CONFLICT (node_id, peer) DO UPDATE SET fit = EXCLUDED.fit, seq = EXCLUDED.seq`);
  }
  // Data-modifying CTEs all run, whether or not the outer query reads them.
  return `WITH ${parts.map((part, i) => `w${i} AS (${part})`).join(',\n')} SELECT 1`;
}

/** PgClient is the part of a pooled pg client a node transaction uses. */
interface PgClient {
  /** Several statements without parameters give one result each. */
  query(text: string, parameters?: unknown[]): Promise<PgResult | PgResult[]>;
}
interface PgResult {
  readonly rows: unknown[];
}

/** NodeTransaction is an open transaction holding one node's advisory lock. */
export interface NodeTransaction {
  /** loaded is the node's projection as it stood once the lock was held. */
  readonly loaded: NodeProjection;
  /** sql runs a statement inside the transaction. */
  readonly sql: SqlRunner;
}

/**
 * inNodeTransaction runs `work` in a transaction holding the node's advisory lock and commits the
 * state it returns (writing the rows that differ from `loaded`); `work` throwing rolls back.
 * It is {@link inNodesTransaction} for one node.
 */
export async function inNodeTransaction(dataSource: DataSource, nodeId: string, work: (tx: NodeTransaction) => NodeProjection | Promise<NodeProjection>): Promise<void> {
  await inNodesTransaction(dataSource, [nodeId], async ({ loaded, sql }) => {
    const node = loaded.get(nodeId) ?? initialProjection(nodeId);
    return new Map([[nodeId, await work({ loaded: node, sql })]]);
  });
}

/** NodesTransaction is an open transaction holding the advisory locks of several nodes. */
export interface NodesTransaction {
  /** loaded holds each node's projection as it stood once all the locks were held. */
  readonly loaded: ReadonlyMap<string, NodeProjection>;
  /** sql runs a statement inside the transaction. */
  readonly sql: SqlRunner;
}

/**
 * inNodesTransaction runs `work` in one transaction holding the advisory locks of all `nodeIds`
 * and commits the states it returns (each node's rows that differ from what was loaded; a node
 * left out of the result is left as it was); `work` throwing rolls everything back.
 *
 * Two round trips whatever the number of nodes: BEGIN, the locks and one load of every node's
 * rows in the first (the load runs after the last lock, so under READ COMMITTED it sees all that
 * was committed before the locks were granted), the saves and COMMIT in the second. The locks
 * are taken one statement after the other in ascending key order: two transactions that want
 * some of the same nodes (another batch, another replica, the heartbeat) queue behind each other
 * instead of each holding a lock the other waits for. Statements sent together cannot take
 * parameters, hence the inlined literals.
 */
export async function inNodesTransaction(
  dataSource: DataSource,
  nodeIds: readonly string[],
  work: (tx: NodesTransaction) => ReadonlyMap<string, NodeProjection> | Promise<ReadonlyMap<string, NodeProjection>>,
): Promise<void> {
  const nodes = [...new Set(nodeIds)];
  if (nodes.length === 0) return;
  const keys = [...new Set(nodes.map(nodeLockKey))].sort((a, b) => {
    const [x, y] = [BigInt(a), BigInt(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const runner = dataSource.createQueryRunner();
  const client = (await runner.connect()) as PgClient;
  try {
    const locks = keys.map((key) => `SELECT pg_advisory_xact_lock(${key}::bigint);`).join(' ');
    const results = await client.query(`BEGIN; ${locks} ${loadManySql(nodes)}`);
    const load = Array.isArray(results) ? results[keys.length + 1] : undefined;
    if (load === undefined) throw new Error('the nodes transaction did not return its load');
    const byNode = new Map((load.rows as (LoadedRows & { node_id: string })[]).map((row) => [row.node_id, row]));
    const loaded = new Map(nodes.map((nodeId) => [nodeId, projectionOf(nodeId, byNode.get(nodeId))]));
    const sql: SqlRunner = {
      query: async <T>(text: string, parameters?: unknown[]): Promise<T> => {
        const result = await client.query(text, parameters);
        return (Array.isArray(result) ? result.at(-1)?.rows : result.rows) as T;
      },
    };
    const next = await work({ loaded, sql });
    const saves: string[] = [];
    for (const [nodeId, state] of next) {
      const before = loaded.get(nodeId);
      if (before === undefined) throw new Error(`node ${nodeId} was not locked in this transaction`);
      const save = saveSql(before, state);
      if (save !== undefined) saves.push(`${save};`);
    }
    await client.query(`${saves.join(' ')} COMMIT`);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await runner.release();
  }
}

/** loadManySql reads every row of several nodes in one statement: one result row per node that has any. */
function loadManySql(nodeIds: readonly string[]): string {
  const list = nodeIds.map(sqlLiteral).join(', ');
  return `SELECT n.node_id, l.* FROM unnest(ARRAY[${list}]::text[]) AS n(node_id) CROSS JOIN LATERAL (${loadSql('n.node_id')}) AS l;`;
}

/**
 * crowdedPeers lists the peers that managed nodes other than `nodeId` together have at least
 * `limit` channels (pending or open) and opens in flight with. Decisions for different nodes run
 * in parallel, so the limit can be overshot by the opens of decisions taken at the same moment.
 */
export async function crowdedPeers(manager: SqlRunner, nodeId: string, limit: number): Promise<string[]> {
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
