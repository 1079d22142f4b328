/**
 * One embedded PostgreSQL (PGlite) behind a PostgreSQL wire-protocol socket, in a worker thread
 * (so the databases use both cores and the summary stays responsive).
 *
 * PGlite is one session: every connection to the socket shares it (see pglite-server.ts for how
 * round trips and transactions are kept apart). Session settings are shared too, and a
 * connection's startup options (the services set search_path there) are ignored. Hence one
 * PGlite per service, with the session's search_path set to that service's schema before
 * anyone connects.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PgliteServer } from './pglite-server.js';

/** PostgresWorkerData is what the parent passes. */
export interface PostgresWorkerData {
  readonly schema: string;
  /** dataDir keeps the database on disk; undefined keeps it in memory. */
  readonly dataDir: string | undefined;
}

/** PostgresWorkerMessage is what the worker reports. */
export type PostgresWorkerMessage = { readonly kind: 'ready'; readonly port: number } | { readonly kind: 'failed'; readonly error: string } | { readonly kind: 'stopped' };

const data = workerData as PostgresWorkerData;
const port = parentPort;
if (port === null) throw new Error('postgres-worker must run in a worker thread');

try {
  const db = await PGlite.create(data.dataDir === undefined ? {} : { dataDir: data.dataDir });
  const schema = data.schema.replaceAll('"', '""');
  await db.exec(`CREATE SCHEMA IF NOT EXISTS "${schema}"; SET search_path TO "${schema}"`);
  const server = new PgliteServer(db, { host: '127.0.0.1', port: 0 });
  await server.start();
  port.postMessage({ kind: 'ready', port: server.port } satisfies PostgresWorkerMessage);
  port.on('message', (message: unknown) => {
    if (message !== 'stop') return;
    void (async () => {
      await server.stop();
      await db.close();
      port.postMessage({ kind: 'stopped' } satisfies PostgresWorkerMessage);
      port.close();
    })();
  });
} catch (error) {
  port.postMessage({ kind: 'failed', error: error instanceof Error ? error.message : String(error) } satisfies PostgresWorkerMessage);
}
