// Benchmark: replay speed of each service (autopilot, chanfitness, backup) over a fleet's
// history, next to the raw JetStream rates measured in the same run.
//
//   node bench/replay.bench.mjs [service ...]     (default: every built service)
//   BENCH_REPLAY_EVENTS=1000000   events in the history (default 1,000,000; fewer for a quick run)
//   BENCH_REPLAY_ROUNDS=1         replays per service (medians are printed)
//   BENCH_REPLAY_MAX_S=240        longest a replay is watched: a slower service is reported with
//                                 the events it replayed by then, marked partial
//   BENCH_REPLAY_VIA=cli,service  which replays to run: `cli` (lnfleet replay), `service` (new durable)
//   BENCH_REPLAY_HISTORY=<ns>     keep the published history in namespace <ns> and reuse it on a later
//                                 run with the same BENCH_REPLAY_EVENTS (publishing 1,000,000 events
//                                 takes longer than replaying them); BENCH_REPLAY_DROP_HISTORY=1
//                                 deletes it at the end of the run
//
// 1. the raw JetStream publish/consume rate of this machine (bench/lib/jetstream-raw.mjs);
// 2. a deterministic fleet history (bench/lib/fleet-history.mjs: 1,000 nodes × ~50 channels,
//    flaps, payments, channel churn, backups, snapshots; every event built by the contracts'
//    createMessage) is published into a fresh namespace;
// 3. when the `lnfleet` CLI is built (tools/lnfleet-cli), `lnfleet replay <service> --no-switch`
//    for each service it replays, through the CLI's runReplay (same readers, sink and fold code
//    as the command) in a child process: events read / time from first read to caught up;
// 4. each service rebuilds its projection the way its README says a replay is done: the built
//    service (`node services/<name>/dist/main.js`) started with a fresh DATABASE_SCHEMA and a new
//    durable consumer (autopilot: AUTOPILOT_MODE=replay and AUTOPILOT_DURABLE_PREFIX; chanfitness:
//    CHANFITNESS_CONSUMER, with its deployed --max-semi-space-size=64; backup: BACKUP_CONSUMER and
//    a fresh BACKUP_DIR), reading the events stream from the start. The rate is events divided by
//    the time from the durable's first acknowledgement to the moment it has acknowledged every
//    event (num_pending 0, nothing awaiting ack); start-up (schema, graph) is printed apart.
//    Peak RSS is the child's VmHWM; CPU is the child's user+system time per event.
// Target (issue 7): ≥ 30,000 events/s replayed per service on at least 1,000,000 events.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Topology } from '@lnfleet/contracts';
import { ensureStreams, JetStreamPublisher } from '@lnfleet/messaging';
import { benchNamespace, cleanUp, DATABASE_URL, dropSchemas, hasService, NATS_URL, publishAll, root, startService, watchDrain } from './lib/fleet-bench.mjs';
import { countByType, fleetHistory } from './lib/fleet-history.mjs';
import { measureRawJetStream } from './lib/jetstream-raw.mjs';
import { formatRate, median, perSecond, rssMiB } from './lib/stats.mjs';

const TARGET = 30_000;
const CLI_INDEX = join(root, 'tools/lnfleet-cli/dist/index.js');
const EVENTS = Number(process.env.BENCH_REPLAY_EVENTS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_REPLAY_ROUNDS ?? 1);
const MAX_S = Number(process.env.BENCH_REPLAY_MAX_S ?? 240);
if (!(EVENTS >= 1) || !(ROUNDS >= 1) || !(MAX_S > 0)) throw new Error('BENCH_REPLAY_EVENTS, BENCH_REPLAY_ROUNDS and BENCH_REPLAY_MAX_S must be positive numbers');
const VIA = (process.env.BENCH_REPLAY_VIA ?? 'cli,service').split(',');
if (VIA.length === 0 || VIA.some((via) => via !== 'cli' && via !== 'service')) throw new Error('BENCH_REPLAY_VIA must list cli and/or service, comma-separated');
const HISTORY = process.env.BENCH_REPLAY_HISTORY || undefined;
if (HISTORY !== undefined && !/^[a-z0-9_]{1,24}$/.test(HISTORY)) throw new Error('BENCH_REPLAY_HISTORY must be 1-24 characters of a-z 0-9 _ (a namespace)');
const DROP_HISTORY = process.env.BENCH_REPLAY_DROP_HISTORY === '1';

/** How each service is told to rebuild into a fresh schema through a new durable (see their READMEs). */
const SERVICES = {
  autopilot: (durable) => ({ env: { AUTOPILOT_MODE: 'replay', AUTOPILOT_DURABLE_PREFIX: durable }, durable: `${durable}-events` }),
  chanfitness: (durable) => ({ env: { CHANFITNESS_CONSUMER: durable }, durable, flags: ['--max-semi-space-size=64'] }),
  backup: (durable, scratch) => ({
    env: { BACKUP_CONSUMER: durable, BACKUP_DIR: join(scratch, durable), BACKUP_MASTER_KEY: randomBytes(32).toString('hex') },
    durable,
  }),
};

const asked = process.argv.slice(2);
for (const name of asked) if (!(name in SERVICES)) throw new Error(`unknown service ${name}; replay knows ${Object.keys(SERVICES).join(', ')}`);
const services = (asked.length > 0 ? asked : Object.keys(SERVICES)).filter((name) => {
  if (hasService(name)) return true;
  console.log(`${name}: skipped (not built, or it consumes no events yet)`);
  return false;
});

const namespace = HISTORY ?? benchNamespace('bench_rp');
// Durable names of this run's own, so that runs on a kept history never meet an old durable.
const runTag = randomBytes(3).toString('hex');
const topology = new Topology({ namespace });
const nc = await connect({ servers: NATS_URL.split(','), name: 'bench-replay' });
const jsm = await jetstreamManager(nc);
const scratch = mkdtempSync(join(tmpdir(), 'lnfleet-bench-replay-'));
const schemas = [];
let running;
try {
  const raw = await measureRawJetStream({ natsUrl: NATS_URL, messages: 100_000 });
  console.log(`raw JetStream (same run, 100,000 × 400 B): publish ${formatRate(raw.publishPerSecond)}, consume (pull, ack each) ${formatRate(raw.consumePerSecond)}`);

  const stream = topology.streamName('events');
  const kept = HISTORY === undefined ? undefined : await jsm.streams.info(stream).catch(() => undefined);
  await ensureStreams(jsm, Object.values(topology.streams()));
  if (kept !== undefined) {
    if (kept.state.messages !== EVENTS) {
      throw new Error(`namespace ${namespace} holds ${kept.state.messages} events, not ${EVENTS}: name another BENCH_REPLAY_HISTORY, or delete it (BENCH_REPLAY_DROP_HISTORY=1)`);
    }
    // What earlier runs derived (backups stored, verdicts) goes, so every run replays the same streams.
    await resetDerived(jsm, topology);
    console.log(`history: ${EVENTS.toLocaleString('en-US')} events of 1,000 nodes (${(kept.state.bytes / 2 ** 20).toFixed(0)} MiB) kept in namespace ${namespace} by an earlier run, reused`);
  } else {
    const publisher = new JetStreamPublisher(jetstream(nc), topology);
    const counts = new Map();
    const history = (function* () {
      for (const message of fleetHistory({ events: EVENTS })) {
        countByType(counts, message);
        yield message;
      }
    })();
    const published = await publishAll(publisher, topology, history);
    const info = await jsm.streams.info(stream);
    if (info.state.messages !== EVENTS) throw new Error(`the events stream holds ${info.state.messages} messages, ${EVENTS} were published`);
    const publishRate = perSecond(published.count, published.ms);
    console.log(
      `history: ${EVENTS.toLocaleString('en-US')} events of 1,000 nodes (${(info.state.bytes / 2 ** 20).toFixed(0)} MiB) built and published in ${(published.ms / 1000).toFixed(1)} s ` +
        `(${formatRate(publishRate)}, ${(publishRate / raw.publishPerSecond).toFixed(2)}× raw publish)${HISTORY === undefined ? '' : `; kept in namespace ${namespace} for later runs`}`,
    );
    console.log(`  mix: ${[...counts].sort((a, b) => b[1] - a[1]).map(([type, n]) => `${type} ${((100 * n) / EVENTS).toFixed(1)}%`).join(', ')}`);
  }
  const lastSeq = (await jsm.streams.info(stream)).state.last_seq;

  /** throughService: the built service, a fresh schema and a new durable, drained from the start. */
  const throughService = async (name, round) => {
    const setup = SERVICES[name](`replay${round}_${runTag}`, scratch);
    const schema = `${namespace}_${name}_${round}`;
    schemas.push(schema);
    const spawnedAt = performance.now();
    running = await startService(name, { NATS_URL, DATABASE_URL, LNFLEET_NAMESPACE: namespace, DATABASE_SCHEMA: schema, ...setup.env }, { flags: setup.flags });
    let cpuAtFirstAck;
    const drained = await watchDrain(jsm, stream, setup.durable, lastSeq, running, {
      maxMs: MAX_S * 1000,
      onProgress: (state) => {
        if (cpuAtFirstAck === undefined && state.acked > 0) cpuAtFirstAck = running.stats().cpuMs;
      },
    });
    const stats = running.stats();
    const status = await running.status();
    await running.stop();
    running = undefined;
    const seconds = (drained.doneAt - drained.firstAckAt) / 1000;
    // The ack floor is the stream sequence up to which every event was handled (the stream starts at 1).
    const done = drained.complete ? EVENTS : drained.acked;
    if (status !== undefined) console.log(`  /status: ${JSON.stringify(status).slice(0, 400)}`);
    return {
      done,
      seconds,
      complete: drained.complete,
      startup: `start-up ${((drained.firstAckAt - spawnedAt) / 1000).toFixed(1)} s; `,
      cpuUsPerEvent: ((stats.cpuMs - (cpuAtFirstAck ?? 0)) * 1000) / done,
      peakRssMiB: stats.peakRssMiB,
    };
  };

  /** throughCli: `lnfleet replay <name> --no-switch` (the CLI's runReplay) in a child process, into a scratch schema. */
  const throughCli = async (name, round) => {
    const schema = `${namespace}_cli_${name}_${round}`;
    schemas.push(schema);
    const child = spawn(process.execPath, [fileURLToPath(new URL('./lib/cli-replay-child.mjs', import.meta.url)), CLI_INDEX, name, schema], {
      env: { ...process.env, NATS_URL, DATABASE_URL, LNFLEET_NAMESPACE: namespace },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let last;
    let progress;
    let stderr = '';
    let partial = false;
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const parsed = JSON.parse(line);
      if ('events' in parsed) last = parsed;
      else {
        progress = parsed;
        // Watched as long as a service: past MAX_S, what was done by then is the figure.
        if (progress.done > 0 && progress.ms >= MAX_S * 1000 && !partial) {
          partial = true;
          child.kill('SIGKILL');
        }
      }
    });
    child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
    const code = await new Promise((done) => child.once('close', done));
    if (partial) return { done: progress.done, seconds: progress.ms / 1000, complete: false, startup: '', cpuUsPerEvent: (progress.cpuMs * 1000) / progress.done, peakRssMiB: progress.peakRssMiB };
    if (code !== 0 || last === undefined) throw new Error(`lnfleet replay ${name} failed:\n${stderr}`);
    // The count covers every message the CLI read (the autopilot's derived sources too; empty here).
    return { done: last.events, seconds: last.seconds, complete: true, startup: '', cpuUsPerEvent: (last.cpuMs * 1000) / last.events, peakRssMiB: last.peakRssMiB };
  };

  const cliServices = await cliReplayServices();
  const plans = [];
  for (const name of services) {
    if (VIA.includes('cli') && cliServices.includes(name)) plans.push({ label: `${name} (lnfleet replay)`, run: (round) => throughCli(name, round) });
    if (VIA.includes('service')) plans.push({ label: `${name} (service, new durable)`, run: (round) => throughService(name, round) });
  }
  if (VIA.includes('cli') && cliServices.length === 0) console.log('lnfleet replay: skipped (tools/lnfleet-cli is not built)');

  const results = {};
  for (const plan of plans) {
    results[plan.label] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      let result;
      try {
        result = await plan.run(round);
      } catch (error) {
        // One service failing (e.g. to start on a loaded machine) must not lose the others' figures.
        console.log(`${plan.label} ${round}/${ROUNDS}: FAILED: ${String(error.message).split('\n').slice(0, 1).join('')}\n  ${String(error.message).split('\n').slice(-3).join('\n  ')}`);
        await running?.stop().catch(() => undefined);
        running = undefined;
        process.exitCode = 1;
        continue;
      }
      result.rate = result.done / result.seconds;
      result.deadLetters = await deadLetters(jsm, topology);
      results[plan.label].push(result);
      console.log(
        `${plan.label} ${round}/${ROUNDS}: ${result.done.toLocaleString('en-US')} ${result.complete ? '' : `of ${EVENTS.toLocaleString('en-US')} (PARTIAL: stopped after ${MAX_S} s) `}` +
          `events in ${result.seconds.toFixed(1)} s = ${formatRate(result.rate)} (${(result.rate / raw.consumePerSecond).toFixed(2)}× raw consume); ${result.startup}` +
          `CPU ${result.cpuUsPerEvent.toFixed(0)} µs/event; peak RSS ${result.peakRssMiB} MiB; dead letters ${result.deadLetters}`,
      );
      if (result.deadLetters > 0) process.exitCode = 1;
    }
  }

  console.log(`\nreplay of ${EVENTS.toLocaleString('en-US')} events (median of ${ROUNDS}); raw JetStream consume ${formatRate(raw.consumePerSecond)}, publish ${formatRate(raw.publishPerSecond)}:`);
  for (const [name, runs] of Object.entries(results)) {
    if (runs.length === 0) {
      console.log(`  ${name.padEnd(36)} FAILED`);
      continue;
    }
    const rate = median(runs.map((run) => run.rate));
    console.log(
      `  ${name.padEnd(36)} ${formatRate(rate).padStart(10)}${runs.every((run) => run.complete) ? '' : ' (partial)'}  ${(rate / raw.consumePerSecond).toFixed(2)}× raw consume  ` +
        `peak RSS ${median(runs.map((run) => run.peakRssMiB))} MiB  target ≥ ${TARGET.toLocaleString('en-US')}/s: ${rate >= TARGET ? 'met' : 'NOT met'}`,
    );
  }
  console.log(`  bench process rss ${rssMiB()} MiB`);
} finally {
  await running?.stop().catch(() => undefined);
  if (HISTORY === undefined || DROP_HISTORY) await cleanUp(jsm, topology, schemas).catch((error) => console.error(`clean-up failed: ${error.message}`));
  else {
    // The history stays for the next run; what this run added to it goes.
    await resetDerived(jsm, topology).catch((error) => console.error(`clean-up failed: ${error.message}`));
    await dropSchemas(schemas).catch((error) => console.error(`clean-up failed: ${error.message}`));
    console.log(`history kept in namespace ${namespace} (BENCH_REPLAY_HISTORY=${namespace} reuses it; add BENCH_REPLAY_DROP_HISTORY=1 to delete it)`);
  }
  await nc.close();
  rmSync(scratch, { recursive: true, force: true });
}

/** cliReplayServices lists the services the built `lnfleet` CLI can replay (none when it is not built). */
async function cliReplayServices() {
  if (!existsSync(CLI_INDEX)) return [];
  const cli = await import(pathToFileURL(CLI_INDEX).href);
  return typeof cli.measureReplay === 'function' && Array.isArray(cli.REPLAY_SERVICES) ? cli.REPLAY_SERVICES : [];
}

/** deadLetters counts messages in the namespace's dead-letter stream (a valid history makes none). */
async function deadLetters(jsm, topology) {
  return (await jsm.streams.info(topology.streamName('deadLetter'))).state.messages;
}

/**
 * resetDerived takes a kept history back to the events alone: the durables of earlier runs are
 * deleted and what the services derived or dead-lettered is purged (the events stream denies purges).
 */
async function resetDerived(jsm, topology) {
  const streams = topology.streams();
  for (const spec of Object.values(streams)) {
    for await (const consumer of jsm.consumers.list(spec.name)) {
      if (consumer.config.durable_name !== undefined) await jsm.consumers.delete(spec.name, consumer.config.durable_name);
    }
  }
  for (const role of ['derived', 'commands', 'deadLetter']) await jsm.streams.purge(streams[role].name);
}
