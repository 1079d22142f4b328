import type { DataSource } from 'typeorm';
import type { FitnessEvent, FoldEvent, FoldFacts, LoggedEvent, UnfitReason } from '../fitness/index.js';
import { foldFacts, normalizeReasons } from '../fitness/index.js';

/**
 * FitnessEventStore is the SQL side of the projection (tables: see the FitnessLog migration). It
 * writes batches of events in one statement and reads a node's log back in log order. It holds no
 * business rules: what the rows mean is decided by the pure core's fold.
 */

/** EventRow is one received event to append, already placed in its node's log. */
export interface EventRow extends LoggedEvent {
  readonly nodeId: string;
  readonly event: FitnessEvent;
}

/**
 * NodeChanges is what an append changed in one node's log: new events, and known ones moved to the
 * lower sequence of a copy.
 */
export interface NodeChanges {
  /** changes counts the rows changed (new or moved). */
  readonly changes: number;
  /** inserted counts the new events among them. */
  readonly inserted: number;
  /** first is the earliest log position among the changed rows. */
  readonly first: { readonly at: number; readonly sequence: number };
}

/** NodeVersion is the bookkeeping row of one node's log. */
export interface NodeVersion {
  readonly nodeId: string;
  /** version grows by one with every change to the node's log (never for a duplicate). */
  readonly version: number;
  /** events is how many distinct events the log holds. */
  readonly events: number;
  /** lastOccurredMs is the time of the node's newest event: the node's own "now" in the log. */
  readonly lastOccurredMs: number;
  /** lastSequence is the highest stream sequence in the log. */
  readonly lastSequence: number;
}

/** AppendResult is what one append changed: for every node whose log changed, its new bookkeeping and the changes. */
export type AppendResult = ReadonlyMap<string, NodeVersion & NodeChanges>;

/** NodeLog is a node's bookkeeping with its events (all of them, or those up to a time) in log order. */
export interface NodeLog {
  readonly version: NodeVersion;
  readonly events: readonly LoggedEvent[];
}

/** StoredStatus is the last fitness verdict published for a peer. */
export interface StoredStatus {
  readonly reasons: readonly UnfitReason[];
  readonly evaluatedMs: number;
}

/** SavedStatus is a verdict to record: whose, what, and the id of the message that published it. */
export interface SavedStatus {
  readonly nodeId: string;
  readonly peer: string;
  readonly status: StoredStatus;
  readonly messageId: string;
}

/** ProjectionStats summarises the projection, e.g. to tell when it has caught up. */
export interface ProjectionStats {
  readonly nodes: number;
  readonly events: number;
  /** lastSequence is the highest stream sequence stored, 0 when empty. */
  readonly lastSequence: number;
}

/** statusKey identifies a peer of a node in maps. */
export function statusKey(nodeId: string, peer: string): string {
  return `${nodeId}/${peer}`;
}

interface VersionRecord {
  node_id: string;
  version: string;
  events: string;
  last_occurred_ms: string;
  last_stream_seq: string;
}

interface ChangeRecord extends VersionRecord {
  changes: string;
  inserted: string;
  first_occurred_ms: string;
  first_stream_seq: string;
}

interface LogRecord extends VersionRecord {
  stream_seq: string | null;
  occurred_ms: string | null;
  message_id: string | null;
  type: FoldEvent['type'] | null;
  facts: FoldFacts | null;
}

/*
 * One statement, so one round trip and one implicit transaction: insert the events (a copy with a
 * lower sequence moves the stored one there, anything else already stored is left alone), then
 * bump the version of each node whose log changed, and answer per node (not per row: parsing a
 * row per event back costs the client more than the database). Input is sorted by node and
 * message id so concurrent writers take row locks in the same order and cannot deadlock.
 */
const APPEND_SQL = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb)
    AS t(node_id text, message_id text, stream_seq bigint, occurred_ms bigint, type text, facts jsonb)
  ORDER BY node_id, message_id
),
changed AS (
  INSERT INTO fitness_event AS e (node_id, message_id, stream_seq, occurred_ms, type, facts)
  SELECT node_id, message_id, stream_seq, occurred_ms, type, facts FROM input
  ON CONFLICT (node_id, message_id) DO UPDATE SET stream_seq = excluded.stream_seq
    WHERE excluded.stream_seq < e.stream_seq
  RETURNING e.node_id, e.message_id, e.stream_seq, e.occurred_ms, (e.xmax = 0) AS inserted
),
per_node AS (
  SELECT node_id, count(*) AS changes, count(*) FILTER (WHERE inserted) AS inserted,
         max(occurred_ms) AS last_occurred_ms, max(stream_seq) AS last_stream_seq,
         (min(ARRAY[occurred_ms, stream_seq]))[1] AS first_occurred_ms, (min(ARRAY[occurred_ms, stream_seq]))[2] AS first_stream_seq
  FROM changed GROUP BY node_id
),
nodes AS (
  INSERT INTO fitness_node AS n (node_id, version, events, last_occurred_ms, last_stream_seq)
  SELECT node_id, changes, inserted, last_occurred_ms, last_stream_seq FROM per_node ORDER BY node_id
  ON CONFLICT (node_id) DO UPDATE SET
    version = n.version + excluded.version,
    events = n.events + excluded.events,
    last_occurred_ms = GREATEST(n.last_occurred_ms, excluded.last_occurred_ms),
    last_stream_seq = GREATEST(n.last_stream_seq, excluded.last_stream_seq)
  RETURNING n.node_id, n.version, n.events, n.last_occurred_ms, n.last_stream_seq
)
SELECT n.node_id, n.version, n.events, n.last_occurred_ms, n.last_stream_seq,
       p.changes, p.inserted, p.first_occurred_ms, p.first_stream_seq
FROM nodes n JOIN per_node p USING (node_id)`;

const LOG_SQL = `
SELECT n.node_id, n.version, n.events, n.last_occurred_ms, n.last_stream_seq, e.stream_seq, e.occurred_ms, e.message_id, e.type, e.facts
FROM fitness_node n
LEFT JOIN fitness_event e ON e.node_id = n.node_id AND ($2::bigint IS NULL OR e.occurred_ms <= $2::bigint)
WHERE n.node_id = ANY($1::text[])
ORDER BY n.node_id, e.occurred_ms, e.stream_seq`;

/** FitnessEventStore reads and writes the projection's tables. */
export class FitnessEventStore {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * append stores events, each (node, message id) once, and returns what changed. Appending the
   * same events again changes nothing; a copy of a stored event under a lower stream sequence
   * moves it there (where an ordered replay first meets it).
   */
  async append(rows: readonly EventRow[]): Promise<AppendResult> {
    return this.appendUnique(uniqueLowestSequence(rows));
  }

  /**
   * appendUnique is append for rows that hold each (node, message id) at most once (as
   * uniqueByNode leaves them): the database rejects a statement that would change a row twice.
   */
  async appendUnique(rows: readonly EventRow[]): Promise<AppendResult> {
    if (rows.length === 0) return new Map();
    const input = JSON.stringify(
      rows.map((row) => ({
        node_id: row.nodeId,
        message_id: row.event.id,
        stream_seq: row.sequence,
        occurred_ms: row.at,
        type: row.event.type,
        // Only what the fold reads: the message itself stays in the stream.
        facts: foldFacts(row.event),
      })),
    );
    const records: ChangeRecord[] = await this.dataSource.query(APPEND_SQL, [input]);
    const nodes = new Map<string, NodeVersion & NodeChanges>();
    for (const record of records) {
      nodes.set(record.node_id, {
        ...toVersion(record),
        changes: Number(record.changes),
        inserted: Number(record.inserted),
        first: { at: Number(record.first_occurred_ms), sequence: Number(record.first_stream_seq) },
      });
    }
    return nodes;
  }

  /** nodeVersion returns a node's bookkeeping, undefined for a node without fitness events. */
  async nodeVersion(nodeId: string): Promise<NodeVersion | undefined> {
    const records: VersionRecord[] = await this.dataSource.query(
      'SELECT node_id, version, events, last_occurred_ms, last_stream_seq FROM fitness_node WHERE node_id = $1',
      [nodeId],
    );
    const record = records[0];
    return record === undefined ? undefined : toVersion(record);
  }

  /**
   * loadLogs reads the logs of several nodes in one statement (one snapshot, so each log matches
   * its version), each in log order; with `upTo`, only events that happened by then. Nodes
   * without fitness events are absent from the result.
   */
  async loadLogs(nodeIds: readonly string[], upTo?: number): Promise<Map<string, NodeLog>> {
    const logs = new Map<string, { version: NodeVersion; events: LoggedEvent[] }>();
    if (nodeIds.length === 0) return logs;
    const records: LogRecord[] = await this.dataSource.query(LOG_SQL, [nodeIds, upTo ?? null]);
    for (const record of records) {
      let log = logs.get(record.node_id);
      if (log === undefined) {
        log = { version: toVersion(record), events: [] };
        logs.set(record.node_id, log);
      }
      if (record.facts !== null && record.message_id !== null && record.type !== null && record.stream_seq !== null && record.occurred_ms !== null) {
        // Rows were validated against the contract when they were received; type and facts were stored together.
        const event = { id: record.message_id, type: record.type, data: record.facts } as FoldEvent;
        log.events.push({ event, at: Number(record.occurred_ms), sequence: Number(record.stream_seq) });
      }
    }
    return logs;
  }

  /** loadLog reads one node's log (see loadLogs), undefined for a node without fitness events. */
  async loadLog(nodeId: string, upTo?: number): Promise<NodeLog | undefined> {
    return (await this.loadLogs([nodeId], upTo)).get(nodeId);
  }

  /** statuses returns the last published verdicts of every peer of these nodes, keyed by statusKey. */
  async statuses(nodeIds: readonly string[]): Promise<Map<string, StoredStatus>> {
    const found = new Map<string, StoredStatus>();
    if (nodeIds.length === 0) return found;
    const records: { node_id: string; peer: string; reasons: string[]; evaluated_ms: string }[] = await this.dataSource.query(
      'SELECT node_id, peer, reasons, evaluated_ms FROM peer_fitness_status WHERE node_id = ANY($1::text[])',
      [nodeIds],
    );
    for (const record of records) {
      found.set(statusKey(record.node_id, record.peer), { reasons: normalizeReasons(record.reasons), evaluatedMs: Number(record.evaluated_ms) });
    }
    return found;
  }

  /** saveStatuses records published verdicts in one statement, each unless a newer one is already recorded. */
  async saveStatuses(statuses: readonly SavedStatus[]): Promise<void> {
    if (statuses.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO peer_fitness_status AS s (node_id, peer, reasons, evaluated_ms, message_id)
       SELECT node_id, peer, string_to_array(reasons, ','), evaluated_ms, message_id
       FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[]) AS t(node_id, peer, reasons, evaluated_ms, message_id)
       ORDER BY node_id, peer
       ON CONFLICT (node_id, peer) DO UPDATE SET reasons = excluded.reasons, evaluated_ms = excluded.evaluated_ms, message_id = excluded.message_id
       WHERE s.evaluated_ms <= excluded.evaluated_ms`,
      [
        statuses.map((s) => s.nodeId),
        statuses.map((s) => s.peer),
        statuses.map((s) => s.status.reasons.join(',')),
        statuses.map((s) => s.status.evaluatedMs),
        statuses.map((s) => s.messageId),
      ],
    );
  }

  /** nodeIds lists every node with fitness events. */
  async nodeIds(): Promise<string[]> {
    const records: { node_id: string }[] = await this.dataSource.query('SELECT node_id FROM fitness_node ORDER BY node_id');
    return records.map((record) => record.node_id);
  }

  /** recentNodeIds lists up to `limit` nodes, those with the most recent events first. */
  async recentNodeIds(limit: number): Promise<string[]> {
    const records: { node_id: string }[] = await this.dataSource.query('SELECT node_id FROM fitness_node ORDER BY last_stream_seq DESC LIMIT $1', [limit]);
    return records.map((record) => record.node_id);
  }

  /** stats counts nodes and events and reports the highest stored stream sequence. */
  async stats(): Promise<ProjectionStats> {
    const records: { nodes: string; events: string | null; last_sequence: string | null }[] = await this.dataSource.query(
      'SELECT count(*) AS nodes, sum(events) AS events, max(last_stream_seq) AS last_sequence FROM fitness_node',
    );
    const record = records[0];
    return { nodes: Number(record?.nodes ?? 0), events: Number(record?.events ?? 0), lastSequence: Number(record?.last_sequence ?? 0) };
  }
}

function toVersion(record: VersionRecord): NodeVersion {
  return {
    nodeId: record.node_id,
    version: Number(record.version),
    events: Number(record.events),
    lastOccurredMs: Number(record.last_occurred_ms),
    lastSequence: Number(record.last_stream_seq),
  };
}

/**
 * uniqueByNode groups rows by node, keeping one row per (node, message id): the one with the
 * lowest sequence, where an ordered replay first meets the message.
 */
export function uniqueByNode(rows: readonly EventRow[]): Map<string, EventRow[]> {
  const byNode = new Map<string, Map<string, EventRow>>();
  for (const row of rows) {
    let byId = byNode.get(row.nodeId);
    if (byId === undefined) {
      byId = new Map();
      byNode.set(row.nodeId, byId);
    }
    const seen = byId.get(row.event.id);
    if (seen === undefined || row.sequence < seen.sequence) byId.set(row.event.id, row);
  }
  const grouped = new Map<string, EventRow[]>();
  for (const [nodeId, byId] of byNode) grouped.set(nodeId, [...byId.values()]);
  return grouped;
}

/** uniqueLowestSequence keeps one row per (node, message id), the one with the lowest sequence. */
export function uniqueLowestSequence(rows: readonly EventRow[]): EventRow[] {
  return [...uniqueByNode(rows).values()].flat();
}
