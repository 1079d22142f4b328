// The image's HEALTHCHECK: GET /health on the running service's HTTP port. Which service runs is
// the argument of PID 1 (`node /app/deploy/lnfleet.mjs <service>`); HTTP_PORT, when set, is used
// as the service uses it. A container running a one-off command (provision, help) is healthy.
import { readFileSync } from 'node:fs';

const DEFAULT_PORTS = { 'node-gateway': 8081, autopilot: 8082, chanfitness: 8083, backup: 8084 };

let service;
try {
  const argv = readFileSync('/proc/1/cmdline', 'utf8').split('\0');
  service = argv[argv.findIndex((arg) => arg.endsWith('lnfleet.mjs')) + 1];
} catch {
  service = undefined;
}
const port = process.env.HTTP_PORT || DEFAULT_PORTS[service];
if (port === undefined) process.exit(0);
try {
  const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(4_000) });
  process.exit(response.ok ? 0 : 1);
} catch {
  process.exit(1);
}
