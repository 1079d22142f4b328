/**
 * The fleet command's settings: command-line flags first, then LNFLEET_* variables, then
 * defaults. Pure (no file system, no clock): the caller passes what it found, so every rule is
 * unit-tested. A bad value fails at start with a ConfigError naming the flag or variable.
 */
import { ConfigError, type Env } from '@lnfleet/config';

/** MAX_SIM_NODES bounds the simulated fleet (the "up to 1,000"). */
export const MAX_SIM_NODES = 1_000;

/** HostPort is a TCP address to probe. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** FleetOptions is the validated configuration of one `npm start` run. */
export interface FleetOptions {
  /** nodes is how many simulated nodes the gateway serves. */
  readonly nodes: number;
  /** speed is simulated ms per wall-clock ms. */
  readonly speed: number;
  /** seed picks the fleet's nodes in the graph and drives the simulation. */
  readonly seed: number;
  /** graphFile is the describegraph JSON the fleet lives in; undefined means a synthetic graph. */
  readonly graphFile: string | undefined;
  /** runSeconds, when set, is the scripted mode: run this long, print a final summary, stop. */
  readonly runSeconds: number | undefined;
  /** exitWhenReady stops as soon as every service reports ready (scripted start-up checks). */
  readonly exitWhenReady: boolean;
  /** json prints the final summary as one JSON line too (scripted mode). */
  readonly json: boolean;
  /** untilWorking ends a scripted run early, once the summary shows the fleet working (see fleetWorking). */
  readonly untilWorking: boolean;
  /** logFile receives every service's output. */
  readonly logFile: string;
  /** postgresProbe is where a local PostgreSQL is looked for when DATABASE_URL is unset. */
  readonly postgresProbe: HostPort;
  /** embeddedPostgres forces the embedded PostgreSQL even when one answers. */
  readonly embeddedPostgres: boolean;
  /** natsServerBinary is an explicit nats-server to start when NATS_URL does not answer. */
  readonly natsServerBinary: string | undefined;
  /** refreshMs is how often the summary is redrawn (TTY) or printed (otherwise). */
  readonly refreshMs: number;
  /** help asks for the usage text only. */
  readonly help: boolean;
}

/** FleetDefaults are the facts the caller found (paths) that decide some defaults. */
export interface FleetDefaults {
  /** graphFile is the real graph when present in ../shared/data, else undefined. */
  readonly graphFile: string | undefined;
  /** logFile is the default log path. */
  readonly logFile: string;
}

export const USAGE = `Usage: npm start [-- options]      (or node tools/fleet/dist/main.js [options])

Starts node-gateway, autopilot, chanfitness and backup on a simulated fleet, with a live summary.

Options (each also an environment variable):
  --nodes N            simulated nodes, 1-${MAX_SIM_NODES} (LNFLEET_SIM_NODES, default 25)
  --speed X            simulated ms per wall-clock ms (LNFLEET_SIM_SPEED, default 120)
  --seed N             simulation seed (LNFLEET_SIM_SEED, default 7)
  --graph FILE         describegraph JSON(.gz) to live in; "synthetic" for a generated graph
                       (LNFLEET_GRAPH_FILE, default ../shared/data/ln-graph-2025-10-25.json.gz if present)
  --for SECONDS        scripted mode: run this long, print a final summary, stop (LNFLEET_RUN_SECONDS)
  --json               with --for: also print the final summary as one JSON line (LNFLEET_JSON=1)
  --until-working      with --for: stop early once every node reports, the autopilot has opened a
                       channel, a peer flapped, a backup is stored and no consumer lags (LNFLEET_UNTIL_WORKING=1)
  --exit-when-ready    stop once every service is ready (LNFLEET_EXIT_WHEN_READY=1)
  --embedded-postgres  use the embedded PostgreSQL (PGlite) even if one answers (LNFLEET_EMBEDDED_POSTGRES=1)
  --log FILE           where service output goes (LNFLEET_LOG_FILE, default .lnfleet/fleet.log)
  --refresh MS         summary refresh interval (LNFLEET_REFRESH_MS, default 1000)
  --help               this text

Infrastructure: NATS_URL (default nats://127.0.0.1:4222; if nothing answers, a nats-server on the
PATH, /usr/sbin or LNFLEET_NATS_SERVER is started with JetStream in a temporary directory);
DATABASE_URL (if unset and nothing answers at LNFLEET_POSTGRES_PROBE, default 127.0.0.1:5432,
embedded PostgreSQL is used). LNFLEET_NAMESPACE and LNFLEET_SCHEMA_PREFIX isolate a run.`;

const FLAGS: Record<string, { readonly variable: string; readonly boolean: boolean }> = {
  '--nodes': { variable: 'LNFLEET_SIM_NODES', boolean: false },
  '--speed': { variable: 'LNFLEET_SIM_SPEED', boolean: false },
  '--seed': { variable: 'LNFLEET_SIM_SEED', boolean: false },
  '--graph': { variable: 'LNFLEET_GRAPH_FILE', boolean: false },
  '--for': { variable: 'LNFLEET_RUN_SECONDS', boolean: false },
  '--json': { variable: 'LNFLEET_JSON', boolean: true },
  '--until-working': { variable: 'LNFLEET_UNTIL_WORKING', boolean: true },
  '--exit-when-ready': { variable: 'LNFLEET_EXIT_WHEN_READY', boolean: true },
  '--embedded-postgres': { variable: 'LNFLEET_EMBEDDED_POSTGRES', boolean: true },
  '--log': { variable: 'LNFLEET_LOG_FILE', boolean: false },
  '--refresh': { variable: 'LNFLEET_REFRESH_MS', boolean: false },
};

/**
 * parseFleetOptions reads argv (without node and script) and the environment. Flags win over
 * variables; `--name=value` and `--name value` both work.
 */
export function parseFleetOptions(argv: readonly string[], env: Env, defaults: FleetDefaults): FleetOptions {
  const values: Record<string, string | undefined> = {};
  for (const flag of Object.values(FLAGS)) values[flag.variable] = emptyToUndefined(env[flag.variable]);
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const flag = FLAGS[name];
    if (flag === undefined) throw new ConfigError(arg, `unknown option (see --help)`);
    if (flag.boolean) {
      values[flag.variable] = eq >= 0 ? arg.slice(eq + 1) : 'true';
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') throw new ConfigError(name, 'needs a value');
    values[flag.variable] = value;
  }
  const field = (variable: string): string => {
    const flag = Object.entries(FLAGS).find(([, f]) => f.variable === variable)?.[0];
    return flag === undefined ? variable : `${flag} (${variable})`;
  };
  const integer = (variable: string, fallback: number, min: number, max: number): number => {
    const raw = values[variable];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(field(variable), `must be a whole number from ${min} to ${max}`);
    return n;
  };
  const flagValue = (variable: string): boolean => {
    const raw = values[variable];
    if (raw === undefined) return false;
    if (['1', 'true', 'yes'].includes(raw)) return true;
    if (['0', 'false', 'no'].includes(raw)) return false;
    throw new ConfigError(field(variable), 'must be true or false (1 or 0)');
  };

  const speedRaw = values.LNFLEET_SIM_SPEED;
  const speed = speedRaw === undefined ? 120 : Number(speedRaw);
  if (!Number.isFinite(speed) || speed < 1 || speed > 100_000) throw new ConfigError(field('LNFLEET_SIM_SPEED'), 'must be a number from 1 to 100000');

  const graphRaw = values.LNFLEET_GRAPH_FILE;
  const graphFile = graphRaw === undefined ? defaults.graphFile : graphRaw === 'synthetic' ? undefined : graphRaw;

  const runRaw = values.LNFLEET_RUN_SECONDS;
  const runSeconds = runRaw === undefined ? undefined : integer('LNFLEET_RUN_SECONDS', 0, 1, 86_400);
  const json = flagValue('LNFLEET_JSON');
  if (json && runSeconds === undefined) throw new ConfigError(field('LNFLEET_JSON'), 'only applies with --for (LNFLEET_RUN_SECONDS)');
  const untilWorking = flagValue('LNFLEET_UNTIL_WORKING');
  if (untilWorking && runSeconds === undefined) throw new ConfigError(field('LNFLEET_UNTIL_WORKING'), 'only applies with --for (LNFLEET_RUN_SECONDS), which bounds the run');

  return {
    nodes: integer('LNFLEET_SIM_NODES', 25, 1, MAX_SIM_NODES),
    speed,
    seed: integer('LNFLEET_SIM_SEED', 7, 0, 2 ** 31 - 1),
    graphFile,
    runSeconds,
    exitWhenReady: flagValue('LNFLEET_EXIT_WHEN_READY'),
    json,
    untilWorking,
    logFile: values.LNFLEET_LOG_FILE ?? defaults.logFile,
    postgresProbe: parseHostPort('LNFLEET_POSTGRES_PROBE', emptyToUndefined(env.LNFLEET_POSTGRES_PROBE) ?? '127.0.0.1:5432'),
    embeddedPostgres: flagValue('LNFLEET_EMBEDDED_POSTGRES'),
    natsServerBinary: emptyToUndefined(env.LNFLEET_NATS_SERVER),
    refreshMs: integer('LNFLEET_REFRESH_MS', 1_000, 100, 60_000),
    help,
  };
}

/** parseHostPort reads "host:port" (IPv6 in brackets), naming `field` when it is not one. */
export function parseHostPort(field: string, value: string): HostPort {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (match === null || !(port >= 1 && port <= 65_535)) throw new ConfigError(field, 'must be host:port, e.g. 127.0.0.1:5432');
  return { host: (match[1] ?? '').replace(/^\[|\]$/g, ''), port };
}

/**
 * natsProbeTarget is the address to probe for the first NATS_URL server (default port 4222),
 * or undefined for schemes probed by connecting only (websockets).
 */
export function natsProbeTarget(natsUrl: string): HostPort | undefined {
  const first = natsUrl.split(',')[0]?.trim() ?? '';
  if (/^wss?:\/\//.test(first)) return undefined;
  const withoutScheme = first.replace(/^(nats|tls):\/\//, '').replace(/^[^@]*@/, '');
  const hostPort = /:\d+$/.test(withoutScheme) ? withoutScheme : `${withoutScheme}:4222`;
  return parseHostPort('NATS_URL', hostPort);
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
