import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import pg from 'pg';
import { ConfigError, loadDatabaseConfig, loadNatsConfig, redactUrl, type DatabaseConfig, type Env } from '@lnfleet/config';
import { Topology } from '@lnfleet/contracts';
import { connectNats, NatsUnavailableError } from '@lnfleet/messaging';
import { UnavailableError, UsageError } from './errors.js';

/** Nats is a connection to the fleet's NATS with the topology of its namespace. */
export interface Nats {
  readonly connection: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly topology: Topology;
  close(): Promise<void>;
}

/**
 * connectFleetNats connects as the services do (NATS_URL, authentication, LNFLEET_NAMESPACE), so
 * the CLI reads the same streams. A bad variable is a usage error naming it; an unreachable
 * server is an UnavailableError.
 */
export async function connectFleetNats(env: Env): Promise<Nats> {
  const config = withConfig(() => loadNatsConfig(env));
  let connection: NatsConnection;
  try {
    connection = await connectNats(config, 'lnfleet-cli');
  } catch (error) {
    if (error instanceof NatsUnavailableError) throw new UnavailableError(error.message, { cause: error });
    throw error;
  }
  const topology = new Topology({
    ...(config.namespace !== undefined ? { namespace: config.namespace } : {}),
    replicas: config.streamReplicas,
  });
  return {
    connection,
    js: jetstream(connection),
    jsm: await jetstreamManager(connection),
    topology,
    async close() {
      await connection.close();
    },
  };
}

/** databaseConfig reads DATABASE_URL (and DATABASE_SCHEMA, which the CLI does not use) as the services do. */
export function databaseConfig(env: Env): DatabaseConfig {
  return withConfig(() => loadDatabaseConfig(env));
}

/** connectPostgres opens one client, failing with an UnavailableError that says where it looked. */
export async function connectPostgres(config: DatabaseConfig): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: config.url, connectionTimeoutMillis: 5_000, application_name: 'lnfleet-cli' });
  try {
    await client.connect();
  } catch (cause) {
    await client.end().catch(() => undefined);
    throw new UnavailableError(
      `cannot connect to PostgreSQL at ${redactUrl(config.url)}: ${cause instanceof Error ? cause.message : String(cause)}. Is PostgreSQL running? Set DATABASE_URL to point elsewhere.`,
      { cause },
    );
  }
  return client;
}

function withConfig<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}
