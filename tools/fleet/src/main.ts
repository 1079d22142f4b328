// The fleet command's entry point (npm start): see fleet.ts.
import { fileURLToPath } from 'node:url';
import { runFleet } from './fleet.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const code = await runFleet(root, process.argv.slice(2), process.env);
// Everything was stopped and the log flushed; exit without waiting for stray timers.
process.exit(code);
