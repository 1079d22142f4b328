/**
 * The autopilot's projection as tools outside the service use it (the lnfleet CLI rebuilds it in a
 * fresh schema and folds a node's history for audits): the pure fold, the mapping to rows, and the
 * tables' entities and migrations. Importing this runs nothing; `main.ts` is the service.
 */
export {
  evolve,
  initialProjection,
  spendableSat,
  PROJECTED_TYPES,
  type BalanceRecord,
  type ChannelRecord,
  type ChannelStatus,
  type FailureRow,
  type NodeProjection,
  type PeerFitnessRow,
  type PendingOpenRecord,
  type PendingOpenStatus,
  type PolicyRecord,
  type ProjectedEvent,
  type ProjectedMessage,
  type ProjectedType,
} from './projection/node-projection.js';
export { loadProjection, saveProjection } from './projection/projection-store.js';
export { PROJECTION_ENTITIES } from './projection/entities.js';
export { AUTOPILOT_MIGRATIONS } from './projection/migrations/index.js';
export { durablePrefix } from './decisions/config.js';
