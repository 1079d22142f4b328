// Collects what the runtime image needs from a built workspace into one directory: the root
// package.json, each workspace's package.json and dist/, and deploy/'s entry scripts. Run by
// deploy/Dockerfile after `npm run build`: `node deploy/assemble.mjs /out`.
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const target = process.argv[2];
if (target === undefined) {
  console.error('usage: node deploy/assemble.mjs <target directory>');
  process.exit(2);
}
const root = new URL('..', import.meta.url).pathname;
mkdirSync(target, { recursive: true });
cpSync(join(root, 'package.json'), join(target, 'package.json'));
for (const group of ['libs', 'services', 'tools']) {
  if (!existsSync(join(root, group))) continue;
  for (const name of readdirSync(join(root, group))) {
    const from = join(root, group, name);
    if (!existsSync(join(from, 'package.json'))) continue;
    mkdirSync(join(target, group, name), { recursive: true });
    cpSync(join(from, 'package.json'), join(target, group, name, 'package.json'));
    if (existsSync(join(from, 'dist'))) cpSync(join(from, 'dist'), join(target, group, name, 'dist'), { recursive: true });
  }
}
for (const file of ['lnfleet.mjs', 'healthcheck.mjs', 'fleet.sim.json']) cpSync(join(root, 'deploy', file), join(target, 'deploy', file));
console.log(`assembled the runtime files in ${target}`);
