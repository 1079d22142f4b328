/**
 * BackupStore maps the backup projection to its tables (see the migration) with plain SQL through
 * TypeORM's EntityManager. It holds no rules: which channels need a backup is `evolve`'s business,
 * which versions may go is `versionsToDelete`'s; this only loads, saves and lists.
 */
import { createHash } from 'node:crypto';
import type { ChannelPoint, Pubkey } from '@lnfleet/contracts';
import { initialChannelSet, phaseOf, type ChannelRecord, type ChannelSet } from '../channel-set/channel-set.js';

/**
 * Queryable runs SQL and returns the rows: a TypeORM EntityManager or DataSource (the service), or
 * a plain pg client behind `pgQueryable` (the tools).
 */
export interface Queryable {
  query<T = unknown>(sql: string, parameters?: unknown[]): Promise<T>;
}

/** OwnBackupMark is what the projection remembers of the node's own packed backups. */
export interface OwnBackupMark {
  /** version counts the distinct own backups stored so far. */
  readonly version: number;
  /** sequence is the stream sequence of the newest ChannelBackupUpdated applied, null before the first. */
  readonly sequence: number | null;
  /** contentHash is the SHA-256 of the newest own backup, null before the first. */
  readonly contentHash: string | null;
}

/** NodeBackupState is one node's projection: its channel set and its own-backup mark. */
export interface NodeBackupState {
  readonly channelSet: ChannelSet;
  readonly own: OwnBackupMark;
  /** lastSequence is the newest stream sequence applied to the node (0 before any). */
  readonly lastSequence: number;
}

/** VersionInfo describes one stored version of a backup, without its bytes. */
export interface VersionInfo {
  readonly version: number;
  /** contentHash is the SHA-256 of the plaintext channel set (channel set) or of the packed backup (own), hex. */
  readonly contentHash: string;
  readonly sizeBytes: number;
  readonly channelCount: number;
  /** streamSequence is the events-stream sequence of the node fact the version reflects. */
  readonly streamSequence: number;
  readonly createdAt: Date;
}

/** NewVersion is a version about to be stored, with its bytes. */
export interface NewVersion extends VersionInfo {
  readonly bytes: Uint8Array;
}

/** BackupTable names the two kinds of stored backups. */
export type BackupTable = 'backup_version' | 'backup_own';

/**
 * nodeLockKey is the 64-bit key of a node's advisory lock: the first 8 bytes of
 * sha256("lnfleet.backup:" + nodeId), as a signed decimal string for `pg_advisory_xact_lock`.
 */
export function nodeLockKey(nodeId: string): string {
  return createHash('sha256').update(`lnfleet.backup:${nodeId}`).digest().readBigInt64BE(0).toString();
}

/**
 * lockNode takes the node's transaction-scoped advisory lock: until the transaction ends, no
 * other replica applies an event to this node or writes its files.
 */
export async function lockNode(manager: Queryable, nodeId: string): Promise<void> {
  await manager.query('SELECT pg_advisory_xact_lock($1::bigint)', [nodeLockKey(nodeId)]);
}

interface NodeRow {
  channel_set_version: number;
  snapshot_seq: string | null;
  snapshot_points: ChannelPoint[] | null;
  own_version: number;
  own_seq: string | null;
  own_hash: string | null;
  last_seq: string;
}

/** StoredRecord is a channel record as kept in `backup_channel.record`. */
type StoredRecord = Omit<ChannelRecord, 'channelPoint'>;

/** loadNode reads one node's projection (the initial state for a node never seen). */
export async function loadNode(manager: Queryable, nodeId: Pubkey): Promise<NodeBackupState> {
  const nodes = await manager.query<NodeRow[]>('SELECT * FROM backup_node WHERE node_id = $1', [nodeId]);
  const node = nodes[0];
  const initial = initialChannelSet(nodeId);
  if (node === undefined) return { channelSet: initial, own: { version: 0, sequence: null, contentHash: null }, lastSequence: 0 };
  const channels = await manager.query<{ channel_point: ChannelPoint; record: StoredRecord }[]>(
    'SELECT channel_point, record FROM backup_channel WHERE node_id = $1',
    [nodeId],
  );
  const records = new Map<ChannelPoint, ChannelRecord>(channels.map((row) => [row.channel_point, { channelPoint: row.channel_point, ...row.record }]));
  const channelSet: ChannelSet = {
    ...initial,
    version: node.channel_set_version,
    records,
    latestSnapshot:
      node.snapshot_seq === null ? null : { sequence: Number(node.snapshot_seq), channelPoints: new Set(node.snapshot_points ?? []) },
  };
  return {
    channelSet,
    own: { version: node.own_version, sequence: node.own_seq === null ? null : Number(node.own_seq), contentHash: node.own_hash },
    lastSequence: Number(node.last_seq),
  };
}

/** saveNode writes the node row and the channel records of `next` that differ from `loaded`. */
export async function saveNode(manager: Queryable, loaded: NodeBackupState, next: NodeBackupState): Promise<void> {
  const set = next.channelSet;
  const snapshot = set.latestSnapshot;
  await manager.query(
    `INSERT INTO backup_node (node_id, channel_set_version, snapshot_seq, snapshot_points, own_version, own_seq, own_hash, last_seq)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (node_id) DO UPDATE SET channel_set_version = $2, snapshot_seq = $3, snapshot_points = $4,
       own_version = $5, own_seq = $6, own_hash = $7, last_seq = $8`,
    [
      set.nodeId,
      set.version,
      snapshot?.sequence ?? null,
      snapshot === null ? null : JSON.stringify([...snapshot.channelPoints].sort()),
      next.own.version,
      next.own.sequence,
      next.own.contentHash,
      next.lastSequence,
    ],
  );
  const changed: ChannelRecord[] = [];
  // Records are immutable: an untouched record is the very same object.
  for (const [point, record] of set.records) if (loaded.channelSet.records.get(point) !== record) changed.push(record);
  if (changed.length === 0) return;
  const values: unknown[] = [];
  const rows = changed.map((record, i) => {
    const { channelPoint, ...stored } = record;
    values.push(set.nodeId, channelPoint, phaseOf(record), JSON.stringify(stored), record.lastSequence);
    const p = i * 5;
    return `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}::jsonb, $${p + 5})`;
  });
  await manager.query(
    `INSERT INTO backup_channel (node_id, channel_point, phase, record, last_seq) VALUES ${rows.join(', ')}
     ON CONFLICT (node_id, channel_point) DO UPDATE SET phase = EXCLUDED.phase, record = EXCLUDED.record, last_seq = EXCLUDED.last_seq`,
    values,
  );
}

/** insertChannelSetVersion stores a channel-set version with its encrypted file. */
export async function insertChannelSetVersion(manager: Queryable, nodeId: Pubkey, version: NewVersion): Promise<void> {
  await manager.query(
    `INSERT INTO backup_version (node_id, version, content_hash, size_bytes, channel_count, stream_seq, created_at, file)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [nodeId, version.version, version.contentHash, version.sizeBytes, version.channelCount, version.streamSequence, version.createdAt, Buffer.from(version.bytes)],
  );
}

/** insertOwnVersion stores a version of the node's own packed backup, verbatim. */
export async function insertOwnVersion(manager: Queryable, nodeId: Pubkey, version: NewVersion, channelPoints: readonly ChannelPoint[]): Promise<void> {
  await manager.query(
    `INSERT INTO backup_own (node_id, version, content_hash, size_bytes, channel_count, channel_points, stream_seq, created_at, packed)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9)`,
    [
      nodeId,
      version.version,
      version.contentHash,
      version.sizeBytes,
      version.channelCount,
      JSON.stringify(channelPoints),
      version.streamSequence,
      version.createdAt,
      Buffer.from(version.bytes),
    ],
  );
}

interface VersionRow {
  version: number;
  content_hash: string;
  size_bytes: number;
  channel_count: number;
  stream_seq: string;
  created_at: Date;
}

const VERSION_COLUMNS = 'version, content_hash, size_bytes, channel_count, stream_seq, created_at';

function versionInfo(row: VersionRow): VersionInfo {
  return {
    version: row.version,
    contentHash: row.content_hash,
    sizeBytes: row.size_bytes,
    channelCount: row.channel_count,
    streamSequence: Number(row.stream_seq),
    createdAt: row.created_at,
  };
}

/** listVersions lists a node's stored versions of one kind, oldest first, without their bytes. */
export async function listVersions(manager: Queryable, table: BackupTable, nodeId: string): Promise<VersionInfo[]> {
  const rows = await manager.query<VersionRow[]>(`SELECT ${VERSION_COLUMNS} FROM ${table} WHERE node_id = $1 ORDER BY version`, [nodeId]);
  return rows.map(versionInfo);
}

/** VersionChoice picks one stored version: the newest, a number, or the newest stored at or before a time. */
export type VersionChoice = { readonly latest: true } | { readonly version: number } | { readonly at: Date };

/** findVersion returns the chosen version of a node's backups of one kind with its bytes, or null. */
export async function findVersion(manager: Queryable, table: BackupTable, nodeId: string, choice: VersionChoice): Promise<NewVersion | null> {
  const bytesColumn = table === 'backup_version' ? 'file' : 'packed';
  const select = `SELECT ${VERSION_COLUMNS}, ${bytesColumn} AS bytes FROM ${table} WHERE node_id = $1`;
  const rows =
    'version' in choice
      ? await manager.query<(VersionRow & { bytes: Buffer })[]>(`${select} AND version = $2`, [nodeId, choice.version])
      : 'at' in choice
        ? await manager.query<(VersionRow & { bytes: Buffer })[]>(`${select} AND created_at <= $2 ORDER BY version DESC LIMIT 1`, [nodeId, choice.at])
        : await manager.query<(VersionRow & { bytes: Buffer })[]>(`${select} ORDER BY version DESC LIMIT 1`, [nodeId]);
  const row = rows[0];
  return row === undefined ? null : { ...versionInfo(row), bytes: new Uint8Array(row.bytes) };
}

/** deleteVersions removes versions of a node's backups of one kind (retention). */
export async function deleteVersions(manager: Queryable, table: BackupTable, nodeId: string, versions: readonly number[]): Promise<void> {
  if (versions.length === 0) return;
  await manager.query(`DELETE FROM ${table} WHERE node_id = $1 AND version = ANY($2::int[])`, [nodeId, versions]);
}

/** knownNodes lists every node the projection holds, sorted. */
export async function knownNodes(manager: Queryable): Promise<string[]> {
  const rows = await manager.query<{ node_id: string }[]>('SELECT node_id FROM backup_node ORDER BY node_id');
  return rows.map((row) => row.node_id);
}

/**
 * Batch operations: the engine folds a batch of events in memory and stores the outcome in a few
 * statements. Rows go in chunks so a statement stays under PostgreSQL's 65,535 parameters.
 */
const ROWS_PER_STATEMENT = 1_000;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** valuesClause renders `($1, $2), ($3, $4)` for `rows` rows of `width` parameters, with optional casts per column. */
function valuesClause(rows: number, width: number, casts: readonly string[] = []): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 0; c < width; c++) cells.push(`$${r * width + c + 1}${casts[c] ?? ''}`);
    out.push(`(${cells.join(', ')})`);
  }
  return out.join(', ');
}

/**
 * lockNodes takes the advisory locks of several nodes, in one order (sorted keys) for every
 * replica, so two batches sharing nodes cannot deadlock.
 */
export async function lockNodes(manager: Queryable, nodeIds: readonly string[]): Promise<void> {
  const keys = [...new Set(nodeIds.map(nodeLockKey))].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
  await manager.query('SELECT pg_advisory_xact_lock(k) FROM (SELECT k FROM unnest($1::bigint[]) WITH ORDINALITY AS t(k, i) ORDER BY i) AS ordered', [keys]);
}

/** loadNodes reads several nodes' projections (the initial state for a node never seen). */
export async function loadNodes(manager: Queryable, nodeIds: readonly Pubkey[]): Promise<Map<Pubkey, NodeBackupState>> {
  const nodes = await manager.query<(NodeRow & { node_id: Pubkey })[]>('SELECT * FROM backup_node WHERE node_id = ANY($1::text[])', [nodeIds]);
  const channels = await manager.query<{ node_id: Pubkey; channel_point: ChannelPoint; record: StoredRecord }[]>(
    'SELECT node_id, channel_point, record FROM backup_channel WHERE node_id = ANY($1::text[])',
    [nodes.map((node) => node.node_id)],
  );
  const recordsByNode = new Map<Pubkey, Map<ChannelPoint, ChannelRecord>>();
  for (const row of channels) {
    let records = recordsByNode.get(row.node_id);
    if (records === undefined) {
      records = new Map();
      recordsByNode.set(row.node_id, records);
    }
    records.set(row.channel_point, { channelPoint: row.channel_point, ...row.record });
  }
  const rows = new Map(nodes.map((node) => [node.node_id, node]));
  const states = new Map<Pubkey, NodeBackupState>();
  for (const nodeId of nodeIds) {
    const node = rows.get(nodeId);
    const initial = initialChannelSet(nodeId);
    if (node === undefined) {
      states.set(nodeId, { channelSet: initial, own: { version: 0, sequence: null, contentHash: null }, lastSequence: 0 });
      continue;
    }
    states.set(nodeId, {
      channelSet: {
        ...initial,
        version: node.channel_set_version,
        records: recordsByNode.get(nodeId) ?? new Map(),
        latestSnapshot:
          node.snapshot_seq === null ? null : { sequence: Number(node.snapshot_seq), channelPoints: new Set(node.snapshot_points ?? []) },
      },
      own: { version: node.own_version, sequence: node.own_seq === null ? null : Number(node.own_seq), contentHash: node.own_hash },
      lastSequence: Number(node.last_seq),
    });
  }
  return states;
}

/** NodeChange is one node's projection before and after a batch. */
export interface NodeChange {
  readonly loaded: NodeBackupState;
  readonly next: NodeBackupState;
}

/** saveNodes writes the node rows and the changed channel records of several nodes. */
export async function saveNodes(manager: Queryable, changes: readonly NodeChange[]): Promise<void> {
  for (const chunk of chunks(changes, ROWS_PER_STATEMENT)) {
    const values: unknown[] = [];
    for (const { next } of chunk) {
      const snapshot = next.channelSet.latestSnapshot;
      values.push(
        next.channelSet.nodeId,
        next.channelSet.version,
        snapshot?.sequence ?? null,
        snapshot === null ? null : JSON.stringify([...snapshot.channelPoints].sort()),
        next.own.version,
        next.own.sequence,
        next.own.contentHash,
        next.lastSequence,
      );
    }
    await manager.query(
      `INSERT INTO backup_node (node_id, channel_set_version, snapshot_seq, snapshot_points, own_version, own_seq, own_hash, last_seq)
       VALUES ${valuesClause(chunk.length, 8, ['', '::integer', '::bigint', '::jsonb', '::integer', '::bigint', '', '::bigint'])}
       ON CONFLICT (node_id) DO UPDATE SET channel_set_version = EXCLUDED.channel_set_version, snapshot_seq = EXCLUDED.snapshot_seq,
         snapshot_points = EXCLUDED.snapshot_points, own_version = EXCLUDED.own_version, own_seq = EXCLUDED.own_seq,
         own_hash = EXCLUDED.own_hash, last_seq = EXCLUDED.last_seq`,
      values,
    );
  }
  const changed: { nodeId: Pubkey; record: ChannelRecord }[] = [];
  for (const { loaded, next } of changes) {
    // Records are immutable: an untouched record is the very same object.
    for (const [point, record] of next.channelSet.records) {
      if (loaded.channelSet.records.get(point) !== record) changed.push({ nodeId: next.channelSet.nodeId, record });
    }
  }
  for (const chunk of chunks(changed, ROWS_PER_STATEMENT)) {
    const values: unknown[] = [];
    for (const { nodeId, record } of chunk) {
      const { channelPoint, ...stored } = record;
      values.push(nodeId, channelPoint, phaseOf(record), JSON.stringify(stored), record.lastSequence);
    }
    await manager.query(
      `INSERT INTO backup_channel (node_id, channel_point, phase, record, last_seq) VALUES ${valuesClause(chunk.length, 5, ['', '', '', '::jsonb', '::bigint'])}
       ON CONFLICT (node_id, channel_point) DO UPDATE SET phase = EXCLUDED.phase, record = EXCLUDED.record, last_seq = EXCLUDED.last_seq`,
      values,
    );
  }
}

/** NodeVersion is a version of one node's backup, about to be stored. */
export interface NodeVersion {
  readonly nodeId: Pubkey;
  readonly version: NewVersion;
}

/** insertChannelSetVersions stores channel-set versions of several nodes. */
export async function insertChannelSetVersions(manager: Queryable, versions: readonly NodeVersion[]): Promise<void> {
  // Files are a few kB each: fewer rows per statement keep one statement's size reasonable.
  for (const chunk of chunks(versions, 200)) {
    const values: unknown[] = [];
    for (const { nodeId, version } of chunk) {
      values.push(nodeId, version.version, version.contentHash, version.sizeBytes, version.channelCount, version.streamSequence, version.createdAt, Buffer.from(version.bytes));
    }
    await manager.query(
      `INSERT INTO backup_version (node_id, version, content_hash, size_bytes, channel_count, stream_seq, created_at, file)
       VALUES ${valuesClause(chunk.length, 8, ['', '::integer', '', '::integer', '::integer', '::bigint', '::timestamptz', '::bytea'])}`,
      values,
    );
  }
}

/** NodeOwnVersion is a version of a node's own packed backup, with the channels it covers. */
export interface NodeOwnVersion extends NodeVersion {
  readonly channelPoints: readonly ChannelPoint[];
}

/** insertOwnVersions stores versions of several nodes' own packed backups, verbatim. */
export async function insertOwnVersions(manager: Queryable, versions: readonly NodeOwnVersion[]): Promise<void> {
  for (const chunk of chunks(versions, 200)) {
    const values: unknown[] = [];
    for (const { nodeId, version, channelPoints } of chunk) {
      values.push(
        nodeId,
        version.version,
        version.contentHash,
        version.sizeBytes,
        version.channelCount,
        JSON.stringify(channelPoints),
        version.streamSequence,
        version.createdAt,
        Buffer.from(version.bytes),
      );
    }
    await manager.query(
      `INSERT INTO backup_own (node_id, version, content_hash, size_bytes, channel_count, channel_points, stream_seq, created_at, packed)
       VALUES ${valuesClause(chunk.length, 9, ['', '::integer', '', '::integer', '::integer', '::jsonb', '::bigint', '::timestamptz', '::bytea'])}`,
      values,
    );
  }
}

/** listVersionsOf lists several nodes' stored versions of one kind, oldest first per node, without their bytes. */
export async function listVersionsOf(manager: Queryable, table: BackupTable, nodeIds: readonly string[]): Promise<Map<string, VersionInfo[]>> {
  const out = new Map<string, VersionInfo[]>(nodeIds.map((nodeId) => [nodeId, []]));
  if (nodeIds.length === 0) return out;
  const rows = await manager.query<(VersionRow & { node_id: string })[]>(
    `SELECT node_id, ${VERSION_COLUMNS} FROM ${table} WHERE node_id = ANY($1::text[]) ORDER BY node_id, version`,
    [nodeIds],
  );
  for (const row of rows) out.get(row.node_id)?.push(versionInfo(row));
  return out;
}

/** deleteVersionsOf removes versions of several nodes' backups of one kind (retention). */
export async function deleteVersionsOf(manager: Queryable, table: BackupTable, doomed: readonly { readonly nodeId: string; readonly version: number }[]): Promise<void> {
  if (doomed.length === 0) return;
  await manager.query(`DELETE FROM ${table} t USING unnest($1::text[], $2::int[]) AS d(node_id, version) WHERE t.node_id = d.node_id AND t.version = d.version`, [
    doomed.map((d) => d.nodeId),
    doomed.map((d) => d.version),
  ]);
}
