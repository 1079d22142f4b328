import type pg from 'pg';
import type { ReplayService } from './targets.js';

/**
 * BOOKKEEPING_COLUMNS are columns that count writes rather than record facts, so a rebuild and
 * the live projection legitimately differ in them: the autopilot's per-node revision (the live
 * service also counts its own bookkeeping writes) and chanfitness's log version (grouped
 * differently by batching, and raised on purpose at a switch-over). Everything else must be equal.
 */
export const BOOKKEEPING_COLUMNS: Readonly<Record<ReplayService, Readonly<Record<string, readonly string[]>>>> = {
  autopilot: { autopilot_node: ['revision'] },
  chanfitness: { fitness_node: ['version'] },
};

/** ProjectionSnapshot is every row of every table of a schema (bookkeeping columns left out), in a fixed order. */
export type ProjectionSnapshot = Record<string, Record<string, unknown>[]>;

/**
 * projectionSnapshot reads a service's projection tables from `schema` (not its migrations table)
 * so that two schemas can be compared with a deep equality: the live one and a rebuild.
 */
export async function projectionSnapshot(client: pg.Client, service: ReplayService, schema: string): Promise<ProjectionSnapshot> {
  const ignored = BOOKKEEPING_COLUMNS[service];
  const tables = await client.query<{ tablename: string }>(
    "SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename <> 'migrations' ORDER BY tablename",
    [schema],
  );
  const snapshot: ProjectionSnapshot = {};
  for (const { tablename } of tables.rows) {
    const columns = await client.query<{ column_name: string }>(
      'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
      [schema, tablename],
    );
    const kept = columns.rows.map((row) => row.column_name).filter((name) => !(ignored[tablename] ?? []).includes(name));
    const list = kept.map(quote).join(', ');
    const rows = await client.query<Record<string, unknown>>(
      `SELECT ${list} FROM ${quote(schema)}.${quote(tablename)} ORDER BY ${kept.map((_, i) => String(i + 1)).join(', ')}`,
    );
    snapshot[tablename] = rows.rows;
  }
  return snapshot;
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
