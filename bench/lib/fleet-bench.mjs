// Helpers for the fleet benchmarks (replay, ingest): the built services as child processes (as
// they are deployed: `node services/<name>/dist/main.js`, configured by env), their durable
// consumers watched through JetStream, and a publisher for a fleet history.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { encodeMessage } from '@lnfleet/contracts';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** hasService tells whether a service is built and consumes events (the backup shell may not yet). */
export function hasService(name) {
  const service = resolve(root, `services/${name}/dist/service.js`);
  return existsSync(resolve(root, `services/${name}/dist/main.js`)) && existsSync(service) && !readFileSync(service, 'utf8').includes('bindings: () => []');
}

/** freePort asks the kernel for a free TCP port (the services' HTTP API, for /status). */
export async function freePort() {
  const server = createServer();
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address();
  await new Promise((done) => server.close(done));
  return port;
}

/** procStat reads a process's CPU time (ms) and peak resident memory (MiB) from /proc. */
function procStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (100/s)
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpuMs: ticks * 10, peakRssMiB: hwm === null ? Number.NaN : Math.round(Number(hwm[1]) / 1024) };
  } catch {
    return { cpuMs: Number.NaN, peakRssMiB: Number.NaN };
  }
}

/**
 * startService runs a built service as a child process with `env` added to this one's (node
 * `flags` first, e.g. chanfitness's --max-semi-space-size=64 as it is deployed). Its output is
 * kept (the last lines are printed if it fails). Returns the process's pid, `stats()` (CPU ms,
 * peak RSS), `status()` (GET /status) and `stop()` (SIGTERM, then wait for the exit).
 */
export async function startService(name, env, { flags = [] } = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, [...flags, resolve(root, `services/${name}/dist/main.js`)], {
    env: { ...process.env, HTTP_HOST: '127.0.0.1', HTTP_PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = [];
  const keep = (chunk) => {
    output.push(...String(chunk).split('\n').filter((line) => line !== ''));
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = false;
  const exit = new Promise((done) => child.once('exit', (code, signal) => { exited = true; done({ code, signal }); }));
  let last = { cpuMs: 0, peakRssMiB: 0 };
  return {
    name,
    pid: child.pid,
    output,
    get exited() { return exited; },
    stats() {
      if (!exited) last = procStat(child.pid);
      return last;
    },
    async status() {
      const response = await fetch(`http://127.0.0.1:${port}/status`).catch(() => undefined);
      return response?.ok === true ? response.json() : undefined;
    },
    async stop() {
      if (!exited) {
        last = procStat(child.pid);
        child.kill('SIGTERM');
      }
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const result = await exit;
      clearTimeout(killer);
      return result;
    },
  };
}

/** consumerState reads a durable's progress; missing (not created yet) counts as nothing done. */
export async function consumerState(jsm, stream, durable) {
  try {
    const info = await jsm.consumers.info(stream, durable);
    return { exists: true, pending: info.num_pending, ackPending: info.num_ack_pending, acked: info.ack_floor.stream_seq, delivered: info.delivered.stream_seq };
  } catch {
    return { exists: false, pending: Number.POSITIVE_INFINITY, ackPending: 0, acked: 0, delivered: 0 };
  }
}

/**
 * watchDrain polls a durable until it has acknowledged everything up to `lastSeq`. Returns when
 * it first acknowledged an event and when it finished (performance.now() ms), `acked` (its ack
 * floor) and `complete`. With `maxMs`, gives up that long after the first acknowledgement and
 * returns what was done by then (`complete: false`). Throws if the service exits first or
 * nothing moves for `stallMs`.
 */
export async function watchDrain(jsm, stream, durable, lastSeq, service, { pollMs = 100, stallMs = 120_000, maxMs = Number.POSITIVE_INFINITY, onProgress } = {}) {
  let firstAckAt;
  let lastMove = performance.now();
  let lastAcked = -1;
  for (;;) {
    const state = await consumerState(jsm, stream, durable);
    const now = performance.now();
    if (state.acked > 0 && firstAckAt === undefined) firstAckAt = now;
    if (state.acked !== lastAcked) {
      lastAcked = state.acked;
      lastMove = now;
      onProgress?.(state);
    }
    if (state.exists && state.pending === 0 && state.ackPending === 0 && state.acked >= lastSeq) return { firstAckAt: firstAckAt ?? now, doneAt: now, acked: state.acked, complete: true };
    if (firstAckAt !== undefined && now - firstAckAt >= maxMs) return { firstAckAt, doneAt: now, acked: state.acked, complete: false };
    if (service.exited) throw new Error(`${service.name} exited before draining ${durable}:\n${service.output.slice(-20).join('\n')}`);
    if (now - lastMove > stallMs) throw new Error(`${durable} made no progress for ${stallMs / 1000} s at ${state.acked}/${lastSeq}:\n${service.output.slice(-20).join('\n')}`);
    await sleep(pollMs);
  }
}

/**
 * publishAll publishes messages (each on its node-event subject under its id, as the gateway
 * does) with `window` publishes in flight. With `ratePerSecond`, paces them to that rate and
 * reports how far behind the pace publishing fell.
 */
export async function publishAll(publisher, topology, messages, { window = 512, ratePerSecond, onEach } = {}) {
  let count = 0;
  const inFlight = new Set();
  const started = performance.now();
  const interval = ratePerSecond === undefined ? 0 : 1000 / ratePerSecond;
  for (const message of messages) {
    if (interval > 0) {
      const due = started + count * interval;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
    }
    const promise = publisher.publishRaw(topology.nodeEventSubject(message.nodeId, message.type), encodeMessage(message), message.id).finally(() => inFlight.delete(promise));
    inFlight.add(promise);
    count++;
    onEach?.(count);
    if (inFlight.size >= window) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return { count, ms: performance.now() - started };
}

/** benchNamespace is a fresh, unique namespace (and schema prefix) for one run. */
export function benchNamespace(prefix) {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** cleanUp deletes the namespace's streams and drops schemas, whatever state they are in. */
export async function cleanUp(jsm, topology, schemas) {
  for (const spec of Object.values(topology.streams())) await jsm.streams.delete(spec.name).catch(() => false);
  await jsm.streams.delete(`OBJ_${topology.graphSnapshotBucket()}`).catch(() => false);
  await dropSchemas(schemas);
}

/** dropSchemas drops schemas (and everything in them) that exist. */
export async function dropSchemas(schemas) {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
