// Benchmark: replay speed of each service (autopilot, chanfitness, backup) over a fleet's
// history, next to the raw JetStream rates measured in the same run.
//
//   node bench/replay.bench.mjs [service ...]     (default: every built service)
//   BENCH_REPLAY_EVENTS=1000000   events in the history (default 1,000,000; fewer for a quick run)
//   BENCH_REPLAY_ROUNDS=1         replays per service (medians are printed)
//   BENCH_REPLAY_MAX_S=240        longest a replay is watched: a slower service is reported with
//                                 the events it replayed by then, marked partial
//
// 1. the raw JetStream publish/consume rate of this machine (bench/lib/jetstream-raw.mjs);
// 2. a deterministic fleet history (bench/lib/fleet-history.mjs: 1,000 nodes × ~50 channels,
//    flaps, payments, channel churn, backups, snapshots; every event built by the contracts'
//    createMessage) is published into a fresh namespace;
// 3. each service rebuilds its projection the way its README says a replay is done: the built
//    service (`node services/<name>/dist/main.js`) started with a fresh DATABASE_SCHEMA and a new
//    durable consumer (autopilot: AUTOPILOT_MODE=replay and AUTOPILOT_DURABLE_PREFIX; chanfitness:
//    CHANFITNESS_CONSUMER, with its deployed --max-semi-space-size=64; backup: BACKUP_CONSUMER and
//    a fresh BACKUP_DIR), reading the events stream from the start. The rate is events divided by
//    the time from the durable's first acknowledgement to the moment it has acknowledged every
//    event (num_pending 0, nothing awaiting ack); start-up (schema, graph) is printed apart.
//    Peak RSS is the child's VmHWM; CPU is the child's user+system time per event.
// Target (issue 7): ≥ 30,000 events/s replayed per service on at least 1,000,000 events.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Topology } from '@lnfleet/contracts';
import { ensureStreams, JetStreamPublisher } from '@lnfleet/messaging';
import { benchNamespace, cleanUp, DATABASE_URL, hasService, NATS_URL, publishAll, startService, watchDrain } from './lib/fleet-bench.mjs';
import { countByType, fleetHistory } from './lib/fleet-history.mjs';
import { measureRawJetStream } from './lib/jetstream-raw.mjs';
import { formatRate, median, perSecond, rssMiB } from './lib/stats.mjs';

const TARGET = 30_000;
const EVENTS = Number(process.env.BENCH_REPLAY_EVENTS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_REPLAY_ROUNDS ?? 1);
const MAX_S = Number(process.env.BENCH_REPLAY_MAX_S ?? 240);
if (!(EVENTS >= 1) || !(ROUNDS >= 1) || !(MAX_S > 0)) throw new Error('BENCH_REPLAY_EVENTS, BENCH_REPLAY_ROUNDS and BENCH_REPLAY_MAX_S must be positive numbers');

/** How each service is told to rebuild into a fresh schema through a new durable (see their READMEs). */
const SERVICES = {
  autopilot: (round) => ({ env: { AUTOPILOT_MODE: 'replay', AUTOPILOT_DURABLE_PREFIX: `replay${round}` }, durable: `replay${round}-events` }),
  chanfitness: (round) => ({ env: { CHANFITNESS_CONSUMER: `replay${round}` }, durable: `replay${round}`, flags: ['--max-semi-space-size=64'] }),
  backup: (round, scratch) => ({
    env: { BACKUP_CONSUMER: `replay${round}`, BACKUP_DIR: join(scratch, `backup-${round}`), BACKUP_MASTER_KEY: randomBytes(32).toString('hex') },
    durable: `replay${round}`,
  }),
};

const asked = process.argv.slice(2);
for (const name of asked) if (!(name in SERVICES)) throw new Error(`unknown service ${name}; replay knows ${Object.keys(SERVICES).join(', ')}`);
const services = (asked.length > 0 ? asked : Object.keys(SERVICES)).filter((name) => {
  if (hasService(name)) return true;
  console.log(`${name}: skipped (not built, or it consumes no events yet)`);
  return false;
});

const namespace = benchNamespace('bench_rp');
const topology = new Topology({ namespace });
const nc = await connect({ servers: NATS_URL.split(','), name: 'bench-replay' });
const jsm = await jetstreamManager(nc);
const scratch = mkdtempSync(join(tmpdir(), 'lnfleet-bench-replay-'));
const schemas = [];
let running;
try {
  const raw = await measureRawJetStream({ natsUrl: NATS_URL, messages: 100_000 });
  console.log(`raw JetStream (same run, 100,000 × 400 B): publish ${formatRate(raw.publishPerSecond)}, consume (pull, ack each) ${formatRate(raw.consumePerSecond)}`);

  await ensureStreams(jsm, Object.values(topology.streams()));
  const publisher = new JetStreamPublisher(jetstream(nc), topology);
  const counts = new Map();
  const history = (function* () {
    for (const message of fleetHistory({ events: EVENTS })) {
      countByType(counts, message);
      yield message;
    }
  })();
  const published = await publishAll(publisher, topology, history);
  const stream = topology.streamName('events');
  const info = await jsm.streams.info(stream);
  const lastSeq = info.state.last_seq;
  if (info.state.messages !== EVENTS) throw new Error(`the events stream holds ${info.state.messages} messages, ${EVENTS} were published`);
  const publishRate = perSecond(published.count, published.ms);
  console.log(
    `history: ${EVENTS.toLocaleString('en-US')} events of 1,000 nodes (${(info.state.bytes / 2 ** 20).toFixed(0)} MiB) built and published in ${(published.ms / 1000).toFixed(1)} s ` +
      `(${formatRate(publishRate)}, ${(publishRate / raw.publishPerSecond).toFixed(2)}× raw publish)`,
  );
  console.log(`  mix: ${[...counts].sort((a, b) => b[1] - a[1]).map(([type, n]) => `${type} ${((100 * n) / EVENTS).toFixed(1)}%`).join(', ')}`);

  const results = {};
  for (const name of services) {
    results[name] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const setup = SERVICES[name](round, scratch);
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
      // The ack floor is the stream sequence every event up to which was handled (the stream starts at 1).
      const done = drained.complete ? EVENTS : drained.acked;
      const rate = done / seconds;
      const result = {
        rate,
        seconds,
        complete: drained.complete,
        startupSeconds: (drained.firstAckAt - spawnedAt) / 1000,
        cpuUsPerEvent: ((stats.cpuMs - (cpuAtFirstAck ?? 0)) * 1000) / done,
        peakRssMiB: stats.peakRssMiB,
        deadLetters: await deadLetters(jsm, topology),
        status,
      };
      results[name].push(result);
      console.log(
        `${name} replay ${round}/${ROUNDS}: ${done.toLocaleString('en-US')} ${drained.complete ? '' : `of ${EVENTS.toLocaleString('en-US')} (PARTIAL: stopped after ${MAX_S} s) `}events in ${seconds.toFixed(1)} s = ${formatRate(rate)} ` +
          `(${(rate / raw.consumePerSecond).toFixed(2)}× raw consume); start-up ${result.startupSeconds.toFixed(1)} s; ` +
          `CPU ${result.cpuUsPerEvent.toFixed(0)} µs/event; peak RSS ${result.peakRssMiB} MiB; dead letters ${result.deadLetters}`,
      );
      if (status !== undefined) console.log(`  /status: ${JSON.stringify(status).slice(0, 400)}`);
      if (result.deadLetters > 0) process.exitCode = 1;
    }
  }

  console.log(`\nreplay of ${EVENTS.toLocaleString('en-US')} events (median of ${ROUNDS}); raw JetStream consume ${formatRate(raw.consumePerSecond)}, publish ${formatRate(raw.publishPerSecond)}:`);
  for (const [name, runs] of Object.entries(results)) {
    const rate = median(runs.map((run) => run.rate));
    console.log(
      `  ${name.padEnd(12)} ${formatRate(rate).padStart(10)}${runs.every((run) => run.complete) ? '' : ' (partial)'}  ${(rate / raw.consumePerSecond).toFixed(2)}× raw consume  ` +
        `peak RSS ${median(runs.map((run) => run.peakRssMiB))} MiB  target ≥ ${TARGET.toLocaleString('en-US')}/s: ${rate >= TARGET ? 'met' : 'NOT met'}`,
    );
  }
  console.log(`  bench process rss ${rssMiB()} MiB`);
} finally {
  await running?.stop().catch(() => undefined);
  await cleanUp(jsm, topology, schemas).catch((error) => console.error(`clean-up failed: ${error.message}`));
  await nc.close();
  rmSync(scratch, { recursive: true, force: true });
}

/** deadLetters counts messages in the namespace's dead-letter stream (a valid history makes none). */
async function deadLetters(jsm, topology) {
  return (await jsm.streams.info(topology.streamName('deadLetter'))).state.messages;
}
