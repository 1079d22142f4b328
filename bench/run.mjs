// `npm run bench`: runs every bench/*.bench.mjs in turn (sequentially: they measure the machine)
// and prints their figures. Pass names to run some: `npm run bench -- jetstream-raw centrality`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

const here = new URL('.', import.meta.url);
const wanted = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((file) => file.endsWith('.bench.mjs'))
  .filter((file) => wanted.length === 0 || wanted.some((name) => file.startsWith(name)))
  .sort();

console.log(`lnfleet benchmarks on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`);
let failed = 0;
for (const file of benches) {
  console.log(`\n== ${file}`);
  const started = Date.now();
  const result = spawnSync(process.execPath, [new URL(file, here).pathname], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
  console.log(`== ${file} ${result.status === 0 ? 'done' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
process.exit(failed === 0 ? 0 : 1);
