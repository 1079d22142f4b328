import pg from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { redactUrl, type DatabaseConfig } from '@lnfleet/config';

/** DatabaseUnavailableError says PostgreSQL could not be reached at start, and where it was looked for. */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
  constructor(url: string, cause: unknown) {
    super(
      `cannot connect to PostgreSQL at ${redactUrl(url)}: ${cause instanceof Error ? cause.message : String(cause)}. ` +
        'Is PostgreSQL running? Set DATABASE_URL to point elsewhere.',
      { cause },
    );
  }
}

/** DatabaseOptions says which schema a service owns and what lives in it. */
export interface DatabaseOptions {
  /** schema is the service's own schema (principle: each service owns its data). */
  readonly schema: string;
  readonly entities?: DataSourceOptions['entities'];
  readonly migrations?: DataSourceOptions['migrations'];
}

/**
 * openDatabase creates the service's schema if needed, connects TypeORM to it and runs the
 * service's migrations. Tables are never synchronised from entities: migrations are the record.
 */
export async function openDatabase(config: DatabaseConfig, options: DatabaseOptions): Promise<DataSource> {
  const schema = config.schema ?? options.schema;
  const client = new pg.Client({ connectionString: config.url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } catch (cause) {
    throw new DatabaseUnavailableError(config.url, cause);
  } finally {
    await client.end().catch(() => undefined);
  }
  const dataSource = new DataSource({
    type: 'postgres',
    url: config.url,
    schema,
    entities: options.entities ?? [],
    migrations: options.migrations ?? [],
    migrationsTableName: 'migrations',
    migrationsRun: true,
    synchronize: false,
    logging: ['error'],
    // search_path makes raw SQL (not only entity metadata) land in the service's own schema.
    extra: { application_name: schema, options: `-c search_path="${schema}"` },
  });
  try {
    return await dataSource.initialize();
  } catch (cause) {
    throw new DatabaseUnavailableError(config.url, cause);
  }
}
