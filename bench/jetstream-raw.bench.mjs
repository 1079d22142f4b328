// Benchmark: the raw JetStream publish and consume rates on this machine (the reference every
// other benchmark is quoted against).   node bench/jetstream-raw.bench.mjs [messages]
import { measureRawJetStream } from './lib/jetstream-raw.mjs';
import { formatRate, rssMiB } from './lib/stats.mjs';

const messages = Number(process.argv[2] ?? 100_000);
const raw = await measureRawJetStream({ messages });
console.log(`raw JetStream, ${raw.messages.toLocaleString('en-US')} messages of ${raw.payloadBytes} B on a file stream:`);
console.log(`  publish (acked, 512 in flight): ${formatRate(raw.publishPerSecond)}  ack latency p50 ${raw.publishAckP50Ms.toFixed(2)} ms, p99 ${raw.publishAckP99Ms.toFixed(2)} ms`);
console.log(`  consume (pull, ack each):       ${formatRate(raw.consumePerSecond)}`);
console.log(`  rss ${rssMiB()} MiB`);
