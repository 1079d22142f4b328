// The raw JetStream limit on this machine, measured in the same run as each benchmark so that
// figures are quoted next to it: how fast a bare client publishes (acked, pipelined) and
// consumes (pull, ack each) small messages on a fresh file stream, with no decoding or handler.
import { randomBytes } from 'node:crypto';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { percentile, perSecond } from './stats.mjs';

/**
 * measureRawJetStream publishes `messages` payloads of `payloadBytes` (`window` publishes in
 * flight) and consumes them back through a durable pull consumer acking each message.
 * Returns publish/consume rates and per-publish ack latency percentiles in ms.
 */
export async function measureRawJetStream({ natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222', messages = 100_000, payloadBytes = 400, window = 512 } = {}) {
  const nc = await connect({ servers: natsUrl.split(','), name: 'bench-raw' });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const tag = `bench_raw_${randomBytes(4).toString('hex')}`;
  const stream = tag.toUpperCase();
  await jsm.streams.add({ name: stream, subjects: [`${tag}.>`], storage: 'file' });
  try {
    const payload = randomBytes(payloadBytes);
    const latencies = new Float64Array(messages);
    const started = performance.now();
    let next = 0;
    const lane = async () => {
      while (next < messages) {
        const i = next++;
        const t0 = performance.now();
        await js.publish(`${tag}.evt.${i % 1000}`, payload, { msgID: `${tag}-${i}` });
        latencies[i] = performance.now() - t0;
      }
    };
    await Promise.all(Array.from({ length: window }, lane));
    const publishMs = performance.now() - started;

    await jsm.consumers.add(stream, { durable_name: 'raw', ack_policy: AckPolicy.Explicit, max_ack_pending: 10_000 });
    const consumer = await js.consumers.get(stream, 'raw');
    const consumeStarted = performance.now();
    let received = 0;
    while (received < messages) {
      const batch = await consumer.fetch({ max_messages: 1_000, expires: 2_000 });
      for await (const msg of batch) {
        msg.ack();
        received++;
      }
    }
    await nc.flush();
    const consumeMs = performance.now() - consumeStarted;
    return {
      messages,
      payloadBytes,
      publishPerSecond: perSecond(messages, publishMs),
      consumePerSecond: perSecond(messages, consumeMs),
      publishAckP50Ms: percentile(latencies, 50),
      publishAckP99Ms: percentile(latencies, 99),
    };
  } finally {
    await jsm.streams.delete(stream).catch(() => false);
    await nc.close();
  }
}
