/**
 * `lnfleet replay <service>`: rebuild a service's projection into a fresh schema beside the live
 * one, then switch the live service over to it.
 *
 * Rebuild: one ordered consumer per source stream (ephemeral, acknowledges nothing, so the live
 * service's durables are untouched) reads from the start (or from a time); the service's own fold
 * code writes into the new schema, which nothing else writes to.
 *
 * Switch-over, in one PostgreSQL transaction on the CLI's connection:
 * 1. `LOCK TABLE` every table of the live schema `IN ACCESS EXCLUSIVE MODE`. Transactions of the
 *    live service already writing finish first (their effects come from events stored before the
 *    lock); new ones wait.
 * 2. Read the streams to their current end and fold what is new into the rebuilt schema. Every
 *    event whose effect the live schema holds was stored before the lock, so the rebuilt schema
 *    now holds it too.
 * 3. Run the service's switch statements (chanfitness raises its version rows so no replica
 *    keeps a state it folded from the old tables), then rename the live schema to
 *    `<live>_before_<time>` and the rebuilt one to the live name, and commit.
 *
 * The live service's waiting statements then resolve the table names again (PostgreSQL re-checks
 * a name after waiting for its lock) and land in the rebuilt tables; its consumers continue from
 * where they were. Nothing is lost: whatever the live schema held is in the rebuilt one, and any
 * event not yet handled is still unacknowledged on the live durable. Nothing is counted twice: an
 * event both folded by step 2 and later handled by the live service is one the projections
 * already hold (autopilot by stream sequence, chanfitness by message id), which changes nothing;
 * for the autopilot that also means it takes no decision on it then, and the node is evaluated
 * again at the next heartbeat. Waiting for the live consumers to catch up before the lock keeps
 * that to the events that arrive during the switch itself.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { JetStreamManager } from '@nats-io/jetstream';
import type pg from 'pg';
import type { DataSource } from 'typeorm';
import { ConfigError, type Env } from '@lnfleet/config';
import { openDatabase } from '@lnfleet/service-kit';
import { connectFleetNats, connectPostgres, databaseConfig } from '../connections.js';
import { CliError, ExitCode, UnavailableError, UsageError } from '../errors.js';
import type { ProgressSink } from '../progress.js';
import { OrderedReader, type ReaderStart } from '../stream-reader.js';
import { REPLAY_TARGETS, type LiveConsumer, type ReplayService, type ReplaySink, type ReplayTarget } from './targets.js';

export type { ReplayService } from './targets.js';

/** REPLAY_SERVICES lists the services `lnfleet replay` rebuilds. */
export const REPLAY_SERVICES = Object.keys(REPLAY_TARGETS) as ReplayService[];

/** replayServiceNamed checks a service name given on the command line. */
export function replayServiceNamed(name: string): ReplayService {
  if ((REPLAY_SERVICES as string[]).includes(name)) return name as ReplayService;
  const hint = name === 'backup' ? ' (the CLI does not rebuild the backup service: its rebuild also rewrites the backup files)' : '';
  throw new UsageError(`unknown service "${name}"${hint}; replay rebuilds: ${REPLAY_SERVICES.join(', ')}`);
}

/** ReplayRequest is what `lnfleet replay` was asked. */
export interface ReplayRequest {
  readonly service: ReplayService;
  /** fromMs starts every source at the first message stored at or after it; the start of the streams otherwise. */
  readonly fromMs?: number;
  /** switchOver renames the rebuilt schema to the live one once caught up. */
  readonly switchOver: boolean;
  /** schema names the new schema (default `<live>_replay_<yyyymmddhhmmss>`). */
  readonly schema?: string;
  /** liveSchema is the live service's schema (default DATABASE_SCHEMA, else the service's name). */
  readonly liveSchema?: string;
  /** liveWaitMs is how long to wait for the live service's consumers to catch up before switching. */
  readonly liveWaitMs?: number;
  readonly progress?: ProgressSink;
  readonly log?: (line: string) => void;
  /** batchSize is how many messages one fetch reads (default 5000: fewer, longer fetches keep JetStream busy). */
  readonly batchSize?: number;
  /** flushEvery is how many folded events the sink may hold before writing (default 20000). */
  readonly flushEvery?: number;
}

/** ReplayOutcome is what a replay did. */
export interface ReplayOutcome {
  readonly service: ReplayService;
  readonly schema: string;
  readonly liveSchema: string;
  /** events counts the messages read from the source streams (folded or skipped as not the service's). */
  readonly events: number;
  /** seconds is the time from the first read until caught up (before any switch-over). */
  readonly seconds: number;
  /** switched tells where the schemas went, null without a switch-over. */
  readonly switched: { readonly liveSchema: string; readonly retiredSchema: string; readonly catchUpEvents: number } | null;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const LOCK_TIMEOUT = '15s';
/** DEFAULT_BATCH_SIZE: on the bench history (1,000,000 events) 4,000-10,000 replayed the autopilot 1.5-2× faster than 1,000. */
const DEFAULT_BATCH_SIZE = 5_000;

/** runReplay connects as the services do (NATS_*, DATABASE_URL), rebuilds and, if asked, switches over. */
export async function runReplay(request: ReplayRequest, env: Env): Promise<ReplayOutcome> {
  const target = REPLAY_TARGETS[request.service];
  const dbConfig = databaseConfig(env);
  const liveSchema = identifier(request.liveSchema ?? dbConfig.schema ?? request.service, '--live-schema');
  const schema = identifier(request.schema ?? `${liveSchema.slice(0, 40)}_replay_${stamp(new Date())}`, '--schema');
  if (schema === liveSchema) throw new UsageError(`--schema must differ from the live schema ${liveSchema}`);
  const log = request.log ?? (() => undefined);

  const admin = await connectPostgres(dbConfig);
  let dataSource: DataSource | undefined;
  const nats = await connectFleetNats(env).catch(async (error: unknown) => {
    await admin.end().catch(() => undefined);
    throw error;
  });
  try {
    // The live consumers' names come from the service's variables: check them before any work.
    const liveConsumers = withUsage(() => target.liveConsumers(nats.topology, env));
    if (await schemaExists(admin, schema)) throw new UsageError(`schema ${schema} already exists; name another with --schema or drop it`);
    // The URL only: DATABASE_SCHEMA names the live schema, which openDatabase would prefer to ours.
    dataSource = await openDatabase({ url: dbConfig.url }, { schema, entities: target.entities, migrations: target.migrations }).catch((error: unknown) => {
      throw new UnavailableError(error instanceof Error ? error.message : String(error), { cause: error });
    });
    const start: ReaderStart = request.fromMs === undefined ? { kind: 'first' } : { kind: 'time', atMs: request.fromMs };
    const readers = target.sources(nats.topology).map((source) => new OrderedReader(nats.js, source, start, { readAhead: true }));
    const rebuild = new Rebuild(target, dataSource, readers, request);
    const started = performance.now();
    log(`replay ${request.service}: rebuilding into schema ${schema} from ${request.fromMs === undefined ? 'the start of the streams' : new Date(request.fromMs).toISOString()}`);
    await rebuild.catchUp();
    const seconds = (performance.now() - started) / 1_000;
    request.progress?.finish(rebuild.read, `caught up in ${seconds.toFixed(1)} s`);
    if (!request.switchOver) {
      return { service: request.service, schema, liveSchema, events: rebuild.read, seconds, switched: null };
    }
    await waitForLiveConsumers(nats.jsm, liveConsumers, request.liveWaitMs ?? 30_000, log);
    // Fold what came while waiting, so the locked part of the switch has little left to do.
    await rebuild.catchUp();
    const readBeforeSwitch = rebuild.read;
    const retiredSchema = identifier(`${liveSchema.slice(0, 40)}_before_${stamp(new Date())}`, 'retired schema');
    await switchOver(admin, { target, schema, liveSchema, retiredSchema, rebuild, log });
    return {
      service: request.service,
      schema,
      liveSchema,
      events: rebuild.read,
      seconds,
      switched: { liveSchema, retiredSchema, catchUpEvents: rebuild.read - readBeforeSwitch },
    };
  } finally {
    await dataSource?.destroy().catch(() => undefined);
    await nats.close().catch(() => undefined);
    await admin.end().catch(() => undefined);
  }
}

/**
 * Rebuild reads the sources in turn and folds them into the new schema. Reading, folding and
 * writing overlap: each reader fetches its next batch while the current one is folded, and the
 * sink writes what was folded so far while the next batches are read and folded.
 */
export class Rebuild {
  /** read counts messages read from all sources. */
  read = 0;
  private readonly sink: ReplaySink;
  private unwritten = 0;

  constructor(
    target: ReplayTarget,
    dataSource: DataSource,
    private readonly readers: readonly OrderedReader[],
    private readonly options: Pick<ReplayRequest, 'progress' | 'batchSize' | 'flushEvery'> = {},
  ) {
    this.sink = target.createSink(dataSource);
  }

  /**
   * catchUp reads every source to its current end (as the server counts it, without waiting for
   * fetches to expire) and flushes the sink.
   */
  async catchUp(): Promise<void> {
    const batchSize = this.options.batchSize ?? DEFAULT_BATCH_SIZE;
    const writeEvery = this.options.flushEvery ?? 20_000;
    for (;;) {
      const waiting = await Promise.all(this.readers.map((reader) => reader.waiting()));
      const left = waiting.reduce((sum, n) => sum + n, 0);
      this.options.progress?.update(this.read, this.read + left);
      if (left === 0) break;
      for (const [index, reader] of this.readers.entries()) {
        if ((waiting[index] ?? 0) === 0) continue;
        // Many batches per source per turn: fewer round trips for info, and sources stay in step.
        for (let turn = 0; turn < 50; turn++) {
          const batch = await reader.next(batchSize);
          if (batch.length === 0) break;
          this.read += batch.length;
          this.unwritten += await this.sink.apply(batch);
          if (this.unwritten >= writeEvery) {
            await this.sink.write();
            this.unwritten = 0;
          }
          this.options.progress?.update(this.read, this.read + this.pendingNow());
          if (reader.pending === 0) break;
        }
      }
    }
    await this.sink.flush();
    this.unwritten = 0;
  }

  /** pendingNow is what the readers knew was left after their last batches. */
  private pendingNow(): number {
    return this.readers.reduce((sum, reader) => sum + (reader.pending ?? 0), 0);
  }
}

interface SwitchPlan {
  readonly target: ReplayTarget;
  readonly schema: string;
  readonly liveSchema: string;
  readonly retiredSchema: string;
  readonly rebuild: Rebuild;
  readonly log: (line: string) => void;
}

async function switchOver(admin: pg.Client, plan: SwitchPlan): Promise<void> {
  const { schema, liveSchema, retiredSchema, rebuild, log } = plan;
  await admin.query('BEGIN');
  try {
    await admin.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
    const liveExists = await schemaExists(admin, liveSchema);
    if (liveExists) {
      const tables = await admin.query<{ tablename: string }>('SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename', [liveSchema]);
      if (tables.rows.length > 0) {
        const started = Date.now();
        await admin.query(`LOCK TABLE ${tables.rows.map((row) => `${quote(liveSchema)}.${quote(row.tablename)}`).join(', ')} IN ACCESS EXCLUSIVE MODE`);
        log(`switch-over: locked ${tables.rows.length} tables of ${liveSchema} in ${Date.now() - started} ms`);
      }
    }
    const before = rebuild.read;
    await rebuild.catchUp();
    log(`switch-over: folded ${rebuild.read - before} events that arrived meanwhile`);
    if (liveExists) {
      for (const statement of plan.target.switchStatements(schema, liveSchema)) await admin.query(statement);
      await admin.query(`ALTER SCHEMA ${quote(liveSchema)} RENAME TO ${quote(retiredSchema)}`);
    }
    await admin.query(`ALTER SCHEMA ${quote(schema)} RENAME TO ${quote(liveSchema)}`);
    await admin.query('COMMIT');
  } catch (error) {
    await admin.query('ROLLBACK').catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError(`switch-over failed, nothing was switched (the rebuilt schema ${schema} is kept): ${reason}`, ExitCode.failure, { cause: error });
  }
}

/**
 * waitForLiveConsumers waits until the live service's durables have nothing pending (or the time
 * is up, which is reported and does not stop the switch). A durable that does not exist means no
 * live service has read that stream; that is reported too.
 */
async function waitForLiveConsumers(jsm: JetStreamManager, consumers: readonly LiveConsumer[], waitMs: number, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const lag: string[] = [];
    for (const { stream, durable } of consumers) {
      const info = await jsm.consumers.info(stream, durable).catch(() => undefined);
      if (info === undefined) continue;
      const behind = info.num_pending + info.num_ack_pending;
      if (behind > 0) lag.push(`${durable} ${behind} behind`);
    }
    if (lag.length === 0) return;
    if (Date.now() >= deadline) {
      log(`switch-over: the live service is still behind after ${Math.round(waitMs / 1_000)} s (${lag.join(', ')}); switching anyway`);
      return;
    }
    await sleep(100);
  }
}

async function schemaExists(client: pg.Client, schema: string): Promise<boolean> {
  const result = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  return result.rows.length > 0;
}

function identifier(name: string, option: string): string {
  if (!IDENTIFIER.test(name)) throw new UsageError(`${option} "${name}" must be a PostgreSQL schema name of 1-63 characters a-z 0-9 _ (not starting with a digit)`);
  return name;
}

function withUsage<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}
