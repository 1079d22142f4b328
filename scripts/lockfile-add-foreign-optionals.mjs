// The registry this project is developed against serves only the packages for this platform, so
// `npm install` leaves other platforms' optional binaries (@swc/core-darwin-arm64, ...) out of
// package-lock.json, and `npm ci` then refuses the lock as out of sync. This adds each missing
// optional dependency as a lock entry marked optional, with the os/cpu its name declares, so
// `npm ci` skips it on other platforms as it would have with a complete lock.
// Run after changing dependencies: `node scripts/lockfile-add-foreign-optionals.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
const OS = ['darwin', 'linux', 'win32', 'freebsd', 'android', 'openbsd', 'sunos', 'aix', 'netbsd', 'openharmony', 'wasm32', 'wasi'];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el', 'wasm32'];

let added = 0;
for (const [location, entry] of Object.entries(packages)) {
  for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const candidates = [`${location === '' ? '' : `${location}/`}node_modules/${name}`, `node_modules/${name}`];
    if (candidates.some((candidate) => packages[candidate] !== undefined)) continue;
    const tokens = name.split('/').pop().split('-');
    const os = tokens.find((t) => OS.includes(t));
    const cpu = tokens.find((t) => CPU.includes(t));
    packages[`node_modules/${name}`] = {
      version: range.replace(/^[\^~=]/, ''),
      optional: true,
      ...(os !== undefined ? { os: [os === 'wasi' ? 'wasm32' : os] } : {}),
      ...(cpu !== undefined ? { cpu: [cpu] } : {}),
    };
    added++;
  }
}
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} foreign optional entries`);
