/**
 * The embedded PostgreSQL fallback: one PGlite per service (see postgres-worker.ts for why),
 * each in its own worker thread behind a socket on a free 127.0.0.1 port, so the services'
 * ordinary `pg` driver and TypeORM connect to it unchanged. Data lives in memory and is gone
 * when the fleet stops.
 */
import { Worker } from 'node:worker_threads';
import type { PostgresWorkerData, PostgresWorkerMessage } from './postgres-worker.js';

/** EmbeddedPostgres is a set of running embedded databases, one per key. */
export interface EmbeddedPostgres<K extends string> {
  readonly urls: Readonly<Record<K, string>>;
  stop(): Promise<void>;
}

const STOP_TIMEOUT_MS = 10_000;

/** startEmbeddedPostgres starts one database per entry of `schemas` (key → schema name). */
export async function startEmbeddedPostgres<K extends string>(schemas: Readonly<Record<K, string>>, timeoutMs = 120_000): Promise<EmbeddedPostgres<K>> {
  const keys = Object.keys(schemas) as K[];
  const started = await Promise.allSettled(keys.map((key) => startOne(schemas[key], timeoutMs)));
  const failure = started.find((result) => result.status === 'rejected');
  const running = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(running.map((db) => db.stop()));
  };
  if (failure !== undefined) {
    await stop();
    throw failure.reason instanceof Error ? failure.reason : new Error(String(failure.reason));
  }
  const urls = {} as Record<K, string>;
  keys.forEach((key, i) => {
    urls[key] = `postgres://postgres@127.0.0.1:${running[i]?.port ?? 0}/postgres`;
  });
  return { urls, stop };
}

interface RunningDatabase {
  readonly port: number;
  stop(): Promise<void>;
}

function startOne(schema: string, timeoutMs: number): Promise<RunningDatabase> {
  const worker = new Worker(new URL('./postgres-worker.js', import.meta.url), { workerData: { schema, dataDir: undefined } satisfies PostgresWorkerData });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`embedded PostgreSQL for schema ${schema} not ready after ${timeoutMs / 1000} s`));
    }, timeoutMs);
    worker.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    worker.once('message', (message: PostgresWorkerMessage) => {
      clearTimeout(timer);
      if (message.kind === 'ready') {
        resolve({ port: message.port, stop: () => stopWorker(worker) });
      } else {
        void worker.terminate();
        reject(new Error(`embedded PostgreSQL for schema ${schema} failed: ${message.kind === 'failed' ? message.error : 'stopped'}`));
      }
    });
  });
}

async function stopWorker(worker: Worker): Promise<void> {
  const stopped = new Promise<void>((resolve) => {
    worker.on('message', (message: PostgresWorkerMessage) => {
      if (message.kind === 'stopped') resolve();
    });
    worker.once('exit', () => {
      resolve();
    });
  });
  worker.postMessage('stop');
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS).unref());
  await Promise.race([stopped, timeout]);
  await worker.terminate();
}
