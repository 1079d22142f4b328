// Benchmark: the sustained end-to-end ingest rate — the highest rate of gateway events at which
// the autopilot, chanfitness and backup consumers all keep up — next to the raw JetStream publish
// rate measured in the same run.
//
//   node bench/ingest.bench.mjs
//   BENCH_INGEST_START=500     first rate tried (events/s); each next step is 1.4× the last
//   BENCH_INGEST_STEP_S=15     seconds each rate is held
//   BENCH_INGEST_MAX_STEPS=10  most steps of increasing rate
//
// 1. the raw JetStream publish/consume rate of this machine (bench/lib/jetstream-raw.mjs);
// 2. the built services run live as child processes (`node services/<name>/dist/main.js`, each
//    with its own schema, in a fresh namespace; chanfitness with its deployed
//    --max-semi-space-size=64; the autopilot on the shared graph when there is one), every one of
//    them consuming every node event;
// 3. a deterministic fleet history (bench/lib/fleet-history.mjs, 1,000 nodes) is published as the
//    gateway publishes it: first a warm-up (every node's first events, then drained), then steps
//    of increasing rate. A step is kept up when the publisher held the rate and every consumer's
//    lag (messages not yet delivered + delivered but not acknowledged) stayed under two seconds'
//    worth of events during the step's second half. Between steps everything drains. The first
//    step not kept up gives the figure; one more step halfway between it and the last kept-up rate
//    narrows it. The steps go on while any consumer still keeps up, to find each one's limit.
// 4. per consumer: the highest step rate it kept up with, its worst lag in the step that ended
//    the search, and how fast it worked off the backlog after a step it did not keep up with
//    (its own throughput with nothing else published).
// Target (issue 7): sustained rate ≥ half the raw publish rate.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Topology } from '@lnfleet/contracts';
import { ensureStreams, JetStreamPublisher } from '@lnfleet/messaging';
import { benchNamespace, cleanUp, consumerState, DATABASE_URL, hasService, NATS_URL, publishAll, startService, watchDrain } from './lib/fleet-bench.mjs';
import { fleetHistory } from './lib/fleet-history.mjs';
import { measureRawJetStream } from './lib/jetstream-raw.mjs';
import { formatRate } from './lib/stats.mjs';

const START = Number(process.env.BENCH_INGEST_START ?? 500);
const STEP_S = Number(process.env.BENCH_INGEST_STEP_S ?? 15);
const GROWTH = 1.4;
const WARM_UP = 3_000;
const MAX_STEPS = Number(process.env.BENCH_INGEST_MAX_STEPS ?? 10);
if (!(START >= 1) || !(STEP_S >= 2) || !(MAX_STEPS >= 1)) throw new Error('BENCH_INGEST_START must be ≥ 1, BENCH_INGEST_STEP_S ≥ 2 and BENCH_INGEST_MAX_STEPS ≥ 1');

const CONSUMERS = {
  autopilot: { durable: 'autopilot-events', env: {} },
  chanfitness: { durable: 'chanfitness', env: {}, flags: ['--max-semi-space-size=64'] },
  backup: { durable: 'backup', env: (scratch) => ({ BACKUP_DIR: join(scratch, 'backup'), BACKUP_MASTER_KEY: randomBytes(32).toString('hex') }) },
};

function* take(iterator, count) {
  for (let i = 0; i < count; i++) {
    const next = iterator.next();
    if (next.done === true) return;
    yield next.value;
  }
}

const names = Object.keys(CONSUMERS).filter((name) => {
  if (hasService(name)) return true;
  console.log(`${name}: skipped (not built, or it consumes no events yet)`);
  return false;
});
const namespace = benchNamespace('bench_in');
const topology = new Topology({ namespace });
const nc = await connect({ servers: NATS_URL.split(','), name: 'bench-ingest' });
const jsm = await jetstreamManager(nc);
const scratch = mkdtempSync(join(tmpdir(), 'lnfleet-bench-ingest-'));
const schemas = names.map((name) => `${namespace}_${name}`);
const services = [];
try {
  const raw = await measureRawJetStream({ natsUrl: NATS_URL, messages: 100_000 });
  console.log(`raw JetStream (same run, 100,000 × 400 B): publish ${formatRate(raw.publishPerSecond)}, consume (pull, ack each) ${formatRate(raw.consumePerSecond)}`);

  await ensureStreams(jsm, Object.values(topology.streams()));
  const stream = topology.streamName('events');
  for (const [index, name] of names.entries()) {
    const consumer = CONSUMERS[name];
    const env = typeof consumer.env === 'function' ? consumer.env(scratch) : consumer.env;
    services.push(await startService(name, { NATS_URL, DATABASE_URL, LNFLEET_NAMESPACE: namespace, DATABASE_SCHEMA: schemas[index], ...env }, { flags: consumer.flags }));
  }
  const publisher = new JetStreamPublisher(jetstream(nc), topology);
  // Events dated from ten hours ago on, so that none lies in the future of the services' clocks.
  const history = fleetHistory({ events: Number.MAX_SAFE_INTEGER, startMs: Date.now() - 10 * 3_600_000 });
  const drainAll = async () => {
    const last = (await jsm.streams.info(stream)).state.last_seq;
    await Promise.all(names.map((name, i) => watchDrain(jsm, stream, CONSUMERS[name].durable, last, services[i], { pollMs: 200 })));
  };

  let started = performance.now();
  await publishAll(publisher, topology, take(history, WARM_UP));
  await drainAll();
  console.log(`warm-up: ${WARM_UP.toLocaleString('en-US')} events (every node's first events) published and consumed by ${names.join(', ')} in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  /** perConsumer: the highest rate each consumer kept up with, and what it did when it did not. */
  const perConsumer = Object.fromEntries(names.map((name) => [name, { sustained: 0, missed: 0, lastWorst: 0, drainRates: [] }]));

  /** step publishes `rate` events/s for STEP_S seconds and samples every consumer's lag. */
  const step = async (rate) => {
    const worst = Object.fromEntries(names.map((name) => [name, 0]));
    let sampling = true;
    const stepStarted = performance.now();
    const sampler = (async () => {
      while (sampling) {
        const secondHalf = performance.now() - stepStarted > (STEP_S * 1000) / 2;
        const states = await Promise.all(names.map((name) => consumerState(jsm, stream, CONSUMERS[name].durable)));
        if (secondHalf) for (const [i, name] of names.entries()) worst[name] = Math.max(worst[name], states[i].pending + states[i].ackPending);
        await sleep(250);
      }
    })();
    const published = await publishAll(publisher, topology, take(history, Math.round(rate * STEP_S)), { ratePerSecond: rate });
    sampling = false;
    await sampler;
    const achieved = (published.count * 1000) / published.ms;
    const bound = 2 * rate;
    const held = achieved >= 0.95 * rate;
    const keptUp = held && names.every((name) => worst[name] <= bound);
    for (const name of names) {
      perConsumer[name].lastWorst = worst[name];
      if (held && worst[name] <= bound) perConsumer[name].sustained = Math.max(perConsumer[name].sustained, rate);
      else perConsumer[name].missed++;
    }
    console.log(
      `  ${formatRate(rate).padStart(9)} for ${STEP_S} s: published at ${formatRate(achieved)}; worst lag in the second half ` +
        `${names.map((name) => `${name} ${worst[name].toLocaleString('en-US')}`).join(', ')} (bound ${bound.toLocaleString('en-US')}): ${keptUp ? 'kept up' : 'NOT kept up'}`,
    );
    // Each consumer's backlog now, and how long it takes to work it off with nothing more published.
    const backlog = await Promise.all(names.map((name) => consumerState(jsm, stream, CONSUMERS[name].durable)));
    const last = (await jsm.streams.info(stream)).state.last_seq;
    const drainStarted = performance.now();
    const drained = await Promise.all(names.map((name, i) => watchDrain(jsm, stream, CONSUMERS[name].durable, last, services[i], { pollMs: 200 })));
    if (!keptUp) {
      const rates = names.map((name, i) => {
        const left = backlog[i].pending + backlog[i].ackPending;
        const seconds = (drained[i].doneAt - drainStarted) / 1000;
        const drainRate = left >= 100 && seconds > 0 ? left / seconds : undefined;
        if (drainRate !== undefined) perConsumer[name].drainRates.push(drainRate);
        return `${name} ${left.toLocaleString('en-US')} in ${seconds.toFixed(1)} s${drainRate === undefined ? '' : ` (${formatRate(drainRate)})`}`;
      });
      console.log(`    backlog worked off: ${rates.join(', ')}`);
    }
    return keptUp;
  };

  started = performance.now();
  console.log(`steps (${STEP_S} s each, ×${GROWTH}):`);
  let sustained = 0;
  let failed;
  // Past the first rate not kept up, the steps go on while some consumer still keeps up, so that
  // each consumer's own limit is found (at most MAX_STEPS steps in all).
  for (let rate = START, steps = 1; ; rate = Math.round(rate * GROWTH), steps++) {
    const missedBefore = names.map((name) => perConsumer[name].missed);
    if (await step(rate)) {
      if (failed === undefined) sustained = rate;
    } else failed ??= rate;
    const someKeptUp = names.some((name, i) => perConsumer[name].missed === missedBefore[i]);
    if (!someKeptUp || steps >= MAX_STEPS) break;
  }
  if (sustained > 0 && failed !== undefined) {
    const between = Math.round((sustained + failed) / 2);
    if (await step(between)) sustained = between;
  }
  const stats = services.map((service) => `${service.name} ${service.stats().peakRssMiB} MiB`).join(', ');
  console.log(`steps took ${((performance.now() - started) / 1000).toFixed(0)} s; peak RSS ${stats}`);
  const ratio = sustained / raw.publishPerSecond;
  console.log(
    `sustained ingest with ${names.join(', ')} keeping up: ${sustained > 0 ? formatRate(sustained) : `below ${formatRate(START)}`} ` +
      `= ${ratio.toFixed(2)}× raw publish (${formatRate(raw.publishPerSecond)}); target ≥ 0.5×: ${ratio >= 0.5 ? 'met' : 'NOT met'}`,
  );
  console.log(`per consumer (raw publish ${formatRate(raw.publishPerSecond)}):`);
  for (const name of names) {
    const { sustained: own, missed, lastWorst, drainRates } = perConsumer[name];
    const drain = drainRates.length === 0 ? 'no backlog to time' : `worked off backlogs at ${drainRates.map(formatRate).join(', ')} (${(Math.max(...drainRates) / raw.publishPerSecond).toFixed(2)}× raw publish)`;
    console.log(
      `  ${name.padEnd(12)} ${own > 0 ? `kept up to ${formatRate(own)}` : `kept up with no rate tried (from ${formatRate(START)})`} (${(own / raw.publishPerSecond).toFixed(2)}× raw publish)` +
        `${missed === 0 ? ' (every rate tried: its limit is higher)' : ''}; worst lag in the last step ${lastWorst.toLocaleString('en-US')}; ${drain}`,
    );
  }
  for (const service of services) {
    const status = await service.status();
    if (status !== undefined) console.log(`  ${service.name} /status: ${JSON.stringify(status).slice(0, 300)}`);
  }
  const deadLetters = (await jsm.streams.info(topology.streamName('deadLetter'))).state.messages;
  console.log(`  dead letters: ${deadLetters}`);
  if (deadLetters > 0) process.exitCode = 1;
} finally {
  for (const service of services) await service.stop().catch(() => undefined);
  await cleanUp(jsm, topology, schemas).catch((error) => console.error(`clean-up failed: ${error.message}`));
  await nc.close();
  rmSync(scratch, { recursive: true, force: true });
}
