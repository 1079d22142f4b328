/**
 * The autopilot's own settings, read from the environment and validated at start: a bad value
 * stops the service with a ConfigError naming the variable.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { z } from 'zod';
import { booleanFlag, ConfigError, durationMs, parseEnv, type Env } from '@lnfleet/config';

const DurablePrefix = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ -')
  .default('autopilot');

/** AutopilotConfig is the validated autopilot configuration. */
export interface AutopilotConfig {
  /** graphFile is lnd describegraph JSON (.json or .json.gz); required when snapshots are off and no source is given in code. */
  readonly graphFile?: string;
  /** graphSnapshots follows the gateway's graph snapshots in the object store (the file, if any, serves until the first). */
  readonly graphSnapshots: boolean;
  /** heartbeatMs is how often every enabled node is re-evaluated; shorter reacts sooner to expiries, costs more. */
  readonly heartbeatMs: number;
  /** commandTtlMs is how long an OpenChannel stays executable; its pending open expires a grace period later. */
  readonly commandTtlMs: number;
  /** outcomeGraceMs is how long after a command's expiry its outcome is still waited for. */
  readonly outcomeGraceMs: number;
  /** centralityWorkers is the number of worker threads computing centrality; 0 uses the event loop. */
  readonly centralityWorkers: number;
  /**
   * mode `live` folds events and decides; `replay` only folds, to rebuild the projection from the
   * streams into a fresh schema (with its own durables) before switching over.
   */
  readonly mode: 'live' | 'replay';
  /** batch bounds the live fold's batches (AUTOPILOT_BATCH_EVENTS, AUTOPILOT_CONCURRENCY). */
  readonly batch: BatchLimits;
}

/** BatchLimits bounds the batches events are folded and decided in. */
export interface BatchLimits {
  /** maxEvents is the most events one batch (one transaction) folds. */
  readonly maxEvents: number;
  /** inFlight is how many batches one replica runs at once; overlapping nodes queue on their locks. */
  readonly inFlight: number;
}

/**
 * eventConcurrency is how many messages the transport hands one replica's engine at once: enough
 * to fill every batch in flight (AUTOPILOT_BATCH_EVENTS × AUTOPILOT_CONCURRENCY), so the messages
 * of a pull wait in the engine's queue, not in the transport.
 */
export function eventConcurrency(env: Env): number {
  const parsed = parseEnv(z.object({ AUTOPILOT_CONCURRENCY: Concurrency, AUTOPILOT_BATCH_EVENTS: BatchEvents }), env);
  return parsed.AUTOPILOT_CONCURRENCY * parsed.AUTOPILOT_BATCH_EVENTS;
}

/** EVENTS_PULL is how many messages one pull of node events asks for. */
export const EVENTS_PULL = 256;

// Each batch in flight holds one pooled database connection (the pool has 10).
const Concurrency = z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(8, 'at most 8 (the database pool has 10 connections)').default(2);
const BatchEvents = z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(1_000, 'at most 1000').default(256);

/** durablePrefix names the service's durable consumers (`<prefix>-events`, `<prefix>-derived`). */
export function durablePrefix(env: Env): string {
  return parseEnv(z.object({ AUTOPILOT_DURABLE_PREFIX: DurablePrefix }), env).AUTOPILOT_DURABLE_PREFIX;
}


/** AutopilotEnv lists the variables and their defaults. */
export const AutopilotEnv = z.object({
  AUTOPILOT_GRAPH_FILE: z.string().min(1).optional(),
  AUTOPILOT_GRAPH_SNAPSHOTS: booleanFlag.default(true),
  AUTOPILOT_HEARTBEAT_MS: durationMs.min(100, 'must be at least 100 ms').default(60_000),
  AUTOPILOT_COMMAND_TTL_MS: durationMs.min(1_000, 'must be at least 1000 ms').default(10 * 60_000),
  AUTOPILOT_OUTCOME_GRACE_MS: durationMs.default(60_000),
  AUTOPILOT_CENTRALITY_WORKERS: z.coerce.number().int('must be a whole number').min(0, 'must be 0 or more').max(64, 'at most 64').default(2),
  AUTOPILOT_MODE: z.enum(['live', 'replay'], { error: 'must be live or replay' }).default('live'),
  AUTOPILOT_DURABLE_PREFIX: DurablePrefix,
  AUTOPILOT_CONCURRENCY: Concurrency,
  AUTOPILOT_BATCH_EVENTS: BatchEvents,
});

/**
 * loadAutopilotConfig validates the autopilot's variables. With `graphFromEnv` (no graph source
 * given in code) a graph file, when set, must be readable (checked now, not at the first
 * decision), and it is required when graph snapshots are off.
 */
export function loadAutopilotConfig(env: Env, graphFromEnv: boolean): AutopilotConfig {
  const parsed = parseEnv(AutopilotEnv, env);
  const graphFile = parsed.AUTOPILOT_GRAPH_FILE;
  if (graphFromEnv && graphFile === undefined && !parsed.AUTOPILOT_GRAPH_SNAPSHOTS) {
    throw new ConfigError('AUTOPILOT_GRAPH_FILE', 'is required with AUTOPILOT_GRAPH_SNAPSHOTS=false: the lnd describegraph JSON (.json or .json.gz) the autopilot decides on');
  }
  if (graphFromEnv && graphFile !== undefined) {
    try {
      accessSync(graphFile, constants.R_OK);
      if (!statSync(graphFile).isFile()) throw new Error('not a file');
    } catch {
      throw new ConfigError('AUTOPILOT_GRAPH_FILE', `${graphFile} is not a readable file`);
    }
  }
  return {
    ...(graphFile !== undefined ? { graphFile } : {}),
    graphSnapshots: parsed.AUTOPILOT_GRAPH_SNAPSHOTS,
    heartbeatMs: parsed.AUTOPILOT_HEARTBEAT_MS,
    commandTtlMs: parsed.AUTOPILOT_COMMAND_TTL_MS,
    outcomeGraceMs: parsed.AUTOPILOT_OUTCOME_GRACE_MS,
    centralityWorkers: parsed.AUTOPILOT_CENTRALITY_WORKERS,
    mode: parsed.AUTOPILOT_MODE,
    batch: { maxEvents: parsed.AUTOPILOT_BATCH_EVENTS, inFlight: parsed.AUTOPILOT_CONCURRENCY },
  };
}
