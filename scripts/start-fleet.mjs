// Starts every lnfleet service (built into services/*/dist) against NATS and PostgreSQL, reports
// when all are connected, and stops them all on Ctrl-C. Configuration comes from the environment
// (NATS_URL, DATABASE_URL, ...; see README) and is passed through to each service unchanged.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const SERVICES = ['node-gateway', 'autopilot', 'chanfitness', 'backup'];
const STARTUP_TIMEOUT_MS = 60_000;

const missing = SERVICES.filter((name) => !existsSync(new URL(`../services/${name}/dist/main.js`, import.meta.url)));
if (missing.length > 0) {
  console.error(`not built: ${missing.join(', ')}. Run \`npm run build\` first (npm start does it for you).`);
  process.exit(1);
}

const children = new Map();
const ready = new Set();
let stopping = false;

// The demo fleet must start without a secret to hand: unless a master key is configured, the
// backup service generates a development key under BACKUP_DIR and warns that it is one.
const demoKey =
  process.env.BACKUP_MASTER_KEY || process.env.BACKUP_MASTER_KEY_FILE || process.env.BACKUP_INSECURE_DEV_KEY ? {} : { BACKUP_INSECURE_DEV_KEY: 'true' };

for (const name of SERVICES) {
  const child = spawn(process.execPath, [`services/${name}/dist/main.js`], {
    cwd: new URL('..', import.meta.url),
    env: { ...process.env, ...(name === 'backup' ? demoKey : {}), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.set(name, child);
  const relay = (stream, target) => {
    let buffer = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      buffer += chunk;
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        target.write(`[${name.padEnd(12)}] ${line}\n`);
        if (line.startsWith(`${name} ready:`)) onReady(name);
      }
    });
  };
  relay(child.stdout, process.stdout);
  relay(child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      console.error(`lnfleet: ${name} exited (${signal ?? `code ${code}`}); stopping the others`);
      stopAll(1);
    } else if (children.size === 0) {
      console.log('lnfleet: all services stopped');
      process.exit(process.exitCode ?? 0);
    }
  });
}

const startupTimer = setTimeout(() => {
  const waiting = SERVICES.filter((name) => !ready.has(name));
  console.error(`lnfleet: ${waiting.join(', ')} not ready after ${STARTUP_TIMEOUT_MS / 1000} s; stopping`);
  stopAll(1);
}, STARTUP_TIMEOUT_MS);

function onReady(name) {
  ready.add(name);
  if (ready.size === SERVICES.length) {
    clearTimeout(startupTimer);
    console.log(`\nlnfleet: all ${SERVICES.length} services connected to NATS and PostgreSQL. Press Ctrl-C to stop.\n`);
    if (process.env.LNFLEET_EXIT_WHEN_READY === '1') stopAll(0);
  }
}

function stopAll(code) {
  if (stopping) return;
  stopping = true;
  clearTimeout(startupTimer);
  process.exitCode = code;
  if (children.size === 0) process.exit(code);
  for (const child of children.values()) child.kill('SIGTERM');
}

process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));
