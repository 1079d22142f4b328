// The README's test command: type-check, lint, then every jest suite (unit and integration).
// Integration suites need NATS (JetStream) and PostgreSQL; see README "Prerequisites".
// Extra arguments go to jest, e.g. `npm test -- libs/messaging`.
import { spawnSync } from 'node:child_process';

const jestArgs = process.argv.slice(2);
const steps = [
  ['type-check', 'node_modules/typescript/bin/tsc', ['-p', 'tsconfig.json', '--noEmit']],
  ['lint', 'node_modules/eslint/bin/eslint.js', ['.']],
  ['jest', 'node_modules/jest/bin/jest.js', ['--ci', ...jestArgs], ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning']],
];

for (const [name, script, args, nodeFlags = []] of steps) {
  const started = Date.now();
  process.stdout.write(`\n== ${name}\n`);
  const result = spawnSync(process.execPath, [...nodeFlags, script, ...args], { stdio: 'inherit' });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    process.stdout.write(`== ${name} failed after ${seconds} s\n`);
    process.exit(result.status ?? 1);
  }
  process.stdout.write(`== ${name} passed in ${seconds} s\n`);
}
