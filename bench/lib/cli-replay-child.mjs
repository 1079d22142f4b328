// Runs one `lnfleet replay <service> --no-switch` measurement (the CLI's measureReplay: same
// readers, sink and service fold code as the command) in its own process, so that its CPU time
// and peak RSS are its own, and prints the result as one line of JSON.
//   node bench/lib/cli-replay-child.mjs <cli index.js> <service>     (env: NATS_URL, DATABASE_URL, LNFLEET_NAMESPACE)
import { pathToFileURL } from 'node:url';

const [cliIndex, service] = process.argv.slice(2);
const { measureReplay } = await import(pathToFileURL(cliIndex).href);
const speed = await measureReplay(service, process.env);
const usage = process.resourceUsage();
process.stdout.write(`${JSON.stringify({ ...speed, peakRssMiB: Math.round(usage.maxRSS / 1024), cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 })}\n`);
