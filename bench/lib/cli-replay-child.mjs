// Runs `lnfleet replay <service> --no-switch` (the CLI's runReplay: same readers, sink and service
// fold code as the command) into a given scratch schema in its own process, so that its CPU time
// and peak RSS are its own. Prints JSON lines: {"done","ms","cpuMs","peakRssMiB"} as it goes (ms
// since the replay began, CPU and peak RSS of the process so far), then the result with the
// process's CPU time and peak RSS. The caller drops the schema.
//   node bench/lib/cli-replay-child.mjs <cli index.js> <service> <schema>   (env: NATS_URL, DATABASE_URL, LNFLEET_NAMESPACE)
import { pathToFileURL } from 'node:url';

const [cliIndex, service, schema] = process.argv.slice(2);
const { runReplay } = await import(pathToFileURL(cliIndex).href);
const began = performance.now();
let shownAt = 0;
const progress = {
  update(done) {
    const ms = performance.now() - began;
    if (ms - shownAt < 500) return;
    shownAt = ms;
    const usage = process.resourceUsage();
    process.stdout.write(`${JSON.stringify({ done, ms, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, peakRssMiB: Math.round(usage.maxRSS / 1024) })}\n`);
  },
  finish() {},
};
const outcome = await runReplay({ service, switchOver: false, schema, progress }, process.env);
const usage = process.resourceUsage();
process.stdout.write(
  `${JSON.stringify({ events: outcome.events, seconds: outcome.seconds, peakRssMiB: Math.round(usage.maxRSS / 1024), cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 })}\n`,
);
