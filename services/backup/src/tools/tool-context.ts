/**
 * What the tools share: how they reach PostgreSQL (a plain pg client in the service's schema),
 * and how they take the master key (a MasterKey, a secret string, or the environment).
 */
import pg from 'pg';
import { loadDatabaseConfig, redactUrl, type Env } from '@lnfleet/config';
import { masterKeyFromEnv } from '../config.js';
import { MasterKey, parseMasterKey } from '../crypto/backup-crypto.js';
import type { Queryable } from '../store/backup-store.js';

/** DatabaseTarget says where the backup service keeps its tables. */
export interface DatabaseTarget {
  /** url is a postgres:// URL; default DATABASE_URL or the local default. */
  readonly url?: string;
  /** schema is the service's schema; default DATABASE_SCHEMA or `backup`. */
  readonly schema?: string;
}

/** KeyInput is the master key as a key, a secret (hex or base64), or undefined to read the environment. */
export type KeyInput = MasterKey | string | undefined;

/** resolveMasterKey turns a KeyInput into a MasterKey (BACKUP_MASTER_KEY / _FILE when undefined). */
export function resolveMasterKey(key: KeyInput, env: Env): MasterKey {
  if (key instanceof MasterKey) return key;
  if (typeof key === 'string') return parseMasterKey(key);
  return masterKeyFromEnv(env);
}

/** withDatabase connects to the backup schema, runs `work`, and disconnects. */
export async function withDatabase<T>(target: DatabaseTarget | undefined, env: Env, work: (db: Queryable) => Promise<T>): Promise<T> {
  const config = loadDatabaseConfig(env);
  const url = target?.url ?? config.url;
  const schema = target?.schema ?? config.schema ?? 'backup';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new RangeError(`schema "${schema}" is not a lowercase SQL identifier`);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, options: `-c search_path="${schema}"` });
  try {
    await client.connect();
  } catch (cause) {
    throw new Error(`cannot connect to PostgreSQL at ${redactUrl(url)}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  try {
    const db: Queryable = {
      query: async <R>(sql: string, parameters?: unknown[]): Promise<R> => (await client.query(sql, parameters)).rows as R,
    };
    return await work(db);
  } finally {
    await client.end().catch(() => undefined);
  }
}
