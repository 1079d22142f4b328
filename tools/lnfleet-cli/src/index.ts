/**
 * The lnfleet CLI as a library: what `lnfleet` runs, for tests, benchmarks and end-to-end checks.
 */
export { runCli, type CliIo } from './cli.js';
export { ExitCode, CliError, UsageError, NotFoundError, UnavailableError } from './errors.js';
export { parseInstant } from './instant.js';
export { auditNode, AUDIT_SCHEMA_VERSION, type AuditReport, type AuditInput, type AuditDecision, type AuditChannel, type AuditPeerFitness, type AuditBackup } from './audit/node-audit.js';
export { auditFromStreams, runAudit, type AuditRequest } from './audit/audit-command.js';
export { renderAudit } from './audit/render-audit.js';
export { runReplay, REPLAY_SERVICES, type ReplayRequest, type ReplayOutcome, type ReplayService } from './replay/replay.js';
export { measureReplay, type ReplaySpeed } from './benchmark.js';
export { OrderedReader, readAll, type ReadMessage, type SourceSpec } from './stream-reader.js';
export { projectionSnapshot, BOOKKEEPING_COLUMNS, type ProjectionSnapshot } from './replay/projection-snapshot.js';
