import pg from 'pg';
import type { Env } from '@lnfleet/config';
import { databaseConfig } from './connections.js';
import { runReplay, type ReplayService } from './replay/replay.js';

/** ReplaySpeed is one measured replay: how many events, how long, how fast. */
export interface ReplaySpeed {
  readonly service: ReplayService;
  /** events counts the messages read from the service's source streams. */
  readonly events: number;
  /** seconds is the time from the first read until the rebuilt schema held everything. */
  readonly seconds: number;
  readonly eventsPerSecond: number;
}

/**
 * measureReplay rebuilds a service's projection from the whole of its streams into a scratch
 * schema, exactly as `lnfleet replay <service> --no-switch` does (same readers, same sink, same
 * service code), times it, and drops the scratch schema. The environment says which NATS
 * (NATS_URL, LNFLEET_NAMESPACE) and PostgreSQL (DATABASE_URL) to use; the live schema is not
 * touched. Benchmarks quote `eventsPerSecond` next to the raw JetStream rate of the same run.
 */
export async function measureReplay(service: ReplayService, env: Env, options: { readonly batchSize?: number; readonly flushEvery?: number } = {}): Promise<ReplaySpeed> {
  const schema = `bench_replay_${service}_${process.pid}_${Date.now()}`;
  try {
    const outcome = await runReplay({ service, switchOver: false, schema, ...options }, env);
    return { service, events: outcome.events, seconds: outcome.seconds, eventsPerSecond: outcome.seconds > 0 ? outcome.events / outcome.seconds : 0 };
  } finally {
    const client = new pg.Client({ connectionString: databaseConfig(env).url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
  }
}
