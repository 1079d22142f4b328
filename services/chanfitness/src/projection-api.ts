/**
 * The chanfitness projection as tools outside the service use it (the lnfleet CLI rebuilds it in a
 * fresh schema and folds a node's history for audits): the pure core, the projection and its
 * store, the migrations, and the configuration. Importing this runs nothing; `main.ts` is the service.
 */
import { FitnessLog1767225600000 } from './projection/migrations/1767225600000-fitness-log.js';
import { FitnessEventFacts1767312000000 } from './projection/migrations/1767312000000-fitness-event-facts.js';
import { CHANFITNESS_MIGRATIONS } from './projection/migrations/index.js';

export * from './fitness/index.js';
export { FitnessProjection, type ProjectionCounters, type ProjectionOptions } from './projection/fitness-projection.js';
export { FitnessEventStore, statusKey, type SavedStatus, type StoredStatus } from './projection/event-store.js';
export { CHANFITNESS_MIGRATIONS, FitnessEventFacts1767312000000, FitnessLog1767225600000 };
export { loadChanfitnessConfig, type ChanfitnessConfig } from './config.js';


/**
 * FENCE_VERSIONS_SQL raises every node's version in a rebuilt schema (`$new`) above the version the
 * same node has in the schema it replaces (`$old`), in one statement, and adds a row for each node
 * only the old schema knows. Running replicas cache folded states by version and use one only
 * while its version equals the row's (and append to it only when the row grew by exactly the
 * batch), so after the rebuilt schema takes the old one's name no replica can take a state folded
 * from the old tables for current: each is read and folded again from the new tables. A node only
 * the old schema knows gets an empty log under a higher version for the same reason.
 */
export function fenceVersionsSql(newSchema: string, oldSchema: string): string {
  const fresh = quoteIdentifier(newSchema);
  const old = quoteIdentifier(oldSchema);
  return `INSERT INTO ${fresh}.fitness_node AS n (node_id, version, events, last_occurred_ms, last_stream_seq)
    SELECT o.node_id, o.version + 1, 0, 0, 0 FROM ${old}.fitness_node o ORDER BY o.node_id
    ON CONFLICT (node_id) DO UPDATE SET version = n.version + excluded.version`;
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
