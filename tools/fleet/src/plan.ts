/**
 * What the fleet command hands each service: the simulated fleet's gateway configuration, the
 * autopilot policy it enables on every node, and each service's environment. Pure: tested as is.
 */
import type { Env } from '@lnfleet/config';
import type { FleetOptions } from './config.js';

/** SERVICES are started in this order and stopped in reverse. */
export const SERVICES = ['node-gateway', 'autopilot', 'chanfitness', 'backup'] as const;
export type ServiceName = (typeof SERVICES)[number];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * simnetTuning makes a newcomer see things happen within a minute: confirmations in 10
 * simulated minutes (5 s at the default speed) and a quarter of the peers flaky, online for 40
 * simulated minutes on average (20 s), away for 10 (5 s).
 */
export const simnetTuning = {
  openDelayMs: 10 * MINUTE,
  flakyPeerFraction: 0.25,
  flakyPeer: { meanOnlineMs: 40 * MINUTE, meanOfflineMs: 10 * MINUTE },
} as const;

/** simNodeId is the gateway's name for the i-th simulated node. */
export function simNodeId(index: number): string {
  return `sim-${index}`;
}

/** gatewayConfigJson is NODE_GATEWAY_CONFIG for a fleet of `options.nodes` simulated nodes. */
export function gatewayConfigJson(options: Pick<FleetOptions, 'nodes' | 'seed' | 'speed' | 'graphFile'>): string {
  return JSON.stringify({
    nodes: Array.from({ length: options.nodes }, (_, i) => ({ id: simNodeId(i), kind: 'sim' })),
    simnet: {
      ...(options.graphFile === undefined ? {} : { graphPath: options.graphFile }),
      seed: options.seed,
      speed: options.speed,
      ...simnetTuning,
    },
  });
}

/**
 * demoPolicy is the AutopilotPolicySet data the fleet command sets on every node: lnd's
 * autopilot defaults (5 channels, 60 % of funds, preferential attachment), within the gateway's
 * channel size bounds.
 */
export const demoPolicy = {
  enabled: true,
  dryRun: false,
  constraints: { chanLimit: 8, allocation: 0.6, minChanSizeSat: 20_000, maxChanSizeSat: 16_777_215, maxPendingOpens: 5 },
  heuristics: { preferential: 1 },
  setBy: 'lnfleet npm start',
} as const;

/**
 * commandTtlMs is the autopilot's AUTOPILOT_COMMAND_TTL_MS for a simulation at `speed`. The
 * autopilot stamps expiry with the wall clock, the gateway checks it against simulated time,
 * which runs ahead by (speed − 1) × elapsed: the TTL covers a day of running plus 10 minutes.
 */
export function commandTtlMs(speed: number): number {
  return Math.ceil(10 * MINUTE + (speed - 1) * DAY);
}

/** Infrastructure is where the services find NATS and PostgreSQL for this run. */
export interface Infrastructure {
  readonly natsUrl: string;
  /** databaseUrl per service (embedded PostgreSQL gives each its own). */
  readonly databaseUrl: Readonly<Record<ServiceName, string>>;
  /** namespace for streams and subjects; undefined = none. */
  readonly namespace: string | undefined;
  /** schemaPrefix, when set, gives each service the schema `<prefix>_<service>`. */
  readonly schemaPrefix: string | undefined;
  /** backupDir overrides the backup service's target directory. */
  readonly backupDir: string | undefined;
}

/** schemaFor is the schema a service uses in this run: its name with `_` for `-` (service-kit's default), after the prefix if one is set. */
export function schemaFor(service: ServiceName, schemaPrefix: string | undefined): string {
  const own = service.replaceAll('-', '_');
  return schemaPrefix === undefined ? own : `${schemaPrefix}_${own}`;
}

/**
 * serviceEnvironment is one service's environment: the caller's, with the run's infrastructure,
 * ports and the settings simulated time needs. Variables the fleet owns are replaced.
 */
export function serviceEnvironment(service: ServiceName, base: Env, options: FleetOptions, infra: Infrastructure, httpPort: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value;
  delete env.LNFLEET_NAMESPACE;
  delete env.DATABASE_SCHEMA;
  Object.assign(env, {
    NO_COLOR: '1',
    NATS_URL: infra.natsUrl,
    DATABASE_URL: infra.databaseUrl[service],
    HTTP_PORT: String(httpPort),
    HTTP_HOST: '127.0.0.1',
  });
  if (infra.namespace !== undefined) env.LNFLEET_NAMESPACE = infra.namespace;
  if (infra.schemaPrefix !== undefined) env.DATABASE_SCHEMA = schemaFor(service, infra.schemaPrefix);
  switch (service) {
    case 'node-gateway':
      delete env.NODE_GATEWAY_CONFIG_FILE;
      env.NODE_GATEWAY_CONFIG = gatewayConfigJson(options);
      // With a graph file the autopilot decides on that file; a gateway snapshot (the same graph
      // plus the fleet's channels) would make it recompute centrality, half a minute of CPU.
      if (options.graphFile !== undefined && env.NODE_GATEWAY_GRAPH_INTERVAL_MS === undefined) env.NODE_GATEWAY_GRAPH_INTERVAL_MS = '0';
      break;
    case 'autopilot':
      env.AUTOPILOT_COMMAND_TTL_MS = String(commandTtlMs(options.speed));
      // The autopilot decides on the fleet's graph: the file, or (synthetic) the gateway's snapshots only.
      env.AUTOPILOT_GRAPH_FILE = options.graphFile ?? '';
      break;
    case 'chanfitness':
      // The re-judging sweep judges at wall-clock time, behind the simulated event times.
      env.CHANFITNESS_REJUDGE_MS = '0';
      env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --max-semi-space-size=64`.trim();
      break;
    case 'backup':
      // A demo starts without a secret to hand: the service generates a development key.
      if (env.BACKUP_MASTER_KEY === undefined && env.BACKUP_MASTER_KEY_FILE === undefined) env.BACKUP_INSECURE_DEV_KEY = 'true';
      if (infra.backupDir !== undefined) env.BACKUP_DIR = infra.backupDir;
      break;
  }
  return env;
}
