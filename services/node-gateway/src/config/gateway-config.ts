import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, parseEnv, type Env } from '@lnfleet/config';
import { ordinalFromHostname } from '../gateway/sharding.js';

/**
 * The gateway's fleet configuration: which nodes it serves and how to reach them. It comes from a
 * JSON file (NODE_GATEWAY_CONFIG_FILE) or inline JSON (NODE_GATEWAY_CONFIG). Problems are reported
 * as ConfigError naming the field (e.g. `nodes[1].macaroonPath`), never echoing values: macaroons
 * and certificates are credentials, and even their paths are not logged.
 *
 * ```json
 * {
 *   "nodes": [
 *     { "id": "alice", "kind": "lnd", "socket": "10.0.0.5:10009", "certPath": "/secrets/alice/tls.cert", "macaroonPath": "/secrets/alice/admin.macaroon" },
 *     { "id": "sim-0", "kind": "sim" }
 *   ],
 *   "simnet": { "graphPath": "../shared/data/ln-graph-2025-10-25.json.gz", "seed": 7, "speed": 60 },
 *   "channelSize": { "minSat": 20000, "maxSat": 16777215 }
 * }
 * ```
 */

const NodeId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ . -');

/** LndNodeConfig is a real lnd reached over gRPC with its TLS certificate and a macaroon. */
const LndNodeConfig = z.strictObject({
  id: NodeId,
  kind: z.literal('lnd'),
  socket: z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):[1-9][0-9]{0,4}$/, 'must be "host:port" of the lnd gRPC interface'),
  certPath: z.string().min(1, 'must be the path of lnd\'s tls.cert'),
  macaroonPath: z.string().min(1, 'must be the path of a macaroon file'),
  /** balancePollMs is how often the wallet and channel balances are polled (lnd has no balance stream). Default 30 s. */
  balancePollMs: z.int().positive().optional(),
});

/** SimNodeConfig is a node of the in-process simulated fleet. */
const SimNodeConfig = z.strictObject({
  id: NodeId,
  kind: z.literal('sim'),
  /** simIndex picks the fleet node (default: the entry's position among sim entries). */
  simIndex: z.int().nonnegative().optional(),
});

const FlapProfile = z.strictObject({ meanOnlineMs: z.number().positive(), meanOfflineMs: z.number().positive() });

/** SimnetSection tunes the simulated fleet (see SimnetConfig for each knob). */
const SimnetSection = z.strictObject({
  /** graphPath is a DescribeGraph JSON(.gz); absent means a synthetic graph of 2,000 nodes. */
  graphPath: z.string().min(1).optional(),
  /** speed is simulated ms per wall ms. Default 1. */
  speed: z.number().positive().optional(),
  seed: z.int().nonnegative().optional(),
  fleetSize: z.int().positive().optional(),
  startMs: z.int().nonnegative().optional(),
  openDelayMs: z.int().nonnegative().optional(),
  openFailureProbability: z.number().min(0).max(1).optional(),
  flakyPeerFraction: z.number().min(0).max(1).optional(),
  stablePeer: FlapProfile.optional(),
  flakyPeer: FlapProfile.optional(),
  meanPaymentIntervalMs: z.int().nonnegative().optional(),
  initialChannels: z.int().nonnegative().optional(),
  walletMinSat: z.int().nonnegative().optional(),
  walletMaxSat: z.int().nonnegative().optional(),
});

const GatewayConfigSchema = z.strictObject({
  nodes: z.array(z.discriminatedUnion('kind', [LndNodeConfig, SimNodeConfig], { error: 'kind must be "lnd" or "sim"' })).max(10_000),
  simnet: SimnetSection.optional(),
  channelSize: z
    .strictObject({ minSat: z.int().positive(), maxSat: z.int().positive() })
    .refine((b) => b.minSat <= b.maxSat, { message: 'minSat must not exceed maxSat', path: ['maxSat'] })
    .optional(),
});

export type LndNodeConfig = z.infer<typeof LndNodeConfig>;
export type SimNodeConfig = z.infer<typeof SimNodeConfig>;
/** NodeConfig is one configured node. */
export type NodeConfig = LndNodeConfig | SimNodeConfig;
/** GatewayConfig is the validated fleet configuration. */
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;

/** GatewayEnv names the environment variables the gateway reads. */
export const GatewayEnv = z.strictObject({
  NODE_GATEWAY_CONFIG_FILE: z.string().min(1).optional(),
  NODE_GATEWAY_CONFIG: z.string().min(1).optional(),
  /** NODE_GATEWAY_REPLICAS is how many gateway replicas share the fleet. Default 1. */
  NODE_GATEWAY_REPLICAS: z.coerce.number().int('must be a whole number').positive('must be at least 1').default(1),
  /** NODE_GATEWAY_REPLICA_INDEX is this replica's index (0-based); default: the HOSTNAME ordinal. */
  NODE_GATEWAY_REPLICA_INDEX: z.coerce.number().int('must be a whole number').nonnegative('must be 0 or more').optional(),
  /** NODE_GATEWAY_GRAPH_INTERVAL_MS is the time between graph snapshots; 0 turns them off. Default one hour. */
  NODE_GATEWAY_GRAPH_INTERVAL_MS: z.coerce.number().int('must be a whole number of milliseconds').nonnegative('must be 0 (off) or positive').default(3_600_000),
  /**
   * NODE_GATEWAY_COMMAND_ACK_WAIT_MS is how long an OpenChannel delivery stays with a gateway
   * before JetStream redelivers it (a running handler keeps extending it), so also how soon a
   * restarted gateway resumes a command its crashed predecessor held. Default one minute.
   */
  NODE_GATEWAY_COMMAND_ACK_WAIT_MS: z.coerce.number().int('must be a whole number of milliseconds').min(1_000, 'must be at least 1000').default(60_000),
  /**
   * NODE_GATEWAY_LEASE_TTL_MS is how long a lease (graph publisher, replica slot) outlives its
   * holder's last renewal; holders renew every quarter of it. It is the lease bucket's max_age,
   * fixed when the bucket is created. Default 15 s.
   */
  NODE_GATEWAY_LEASE_TTL_MS: z.coerce.number().int('must be a whole number of milliseconds').min(1_000, 'must be at least 1000').max(600_000, 'must be at most 600000').default(15_000),
});

/** ShardConfig says how many gateway replicas there are and which one this is. */
export interface ShardConfig {
  readonly replicas: number;
  readonly index: number;
}

/**
 * loadShardConfig reads NODE_GATEWAY_REPLICAS (default 1) and NODE_GATEWAY_REPLICA_INDEX; with
 * several replicas the index defaults to the StatefulSet ordinal at the end of HOSTNAME.
 */
export function loadShardConfig(env: Env): ShardConfig {
  const vars = parseEnv(GatewayEnv, env);
  const replicas = vars.NODE_GATEWAY_REPLICAS;
  const index = vars.NODE_GATEWAY_REPLICA_INDEX ?? (replicas === 1 ? 0 : ordinalFromHostname(env.HOSTNAME ?? ''));
  if (index === undefined) throw new ConfigError('NODE_GATEWAY_REPLICA_INDEX', 'is required with several replicas when HOSTNAME does not end in -<ordinal>');
  if (index >= replicas) throw new ConfigError('NODE_GATEWAY_REPLICA_INDEX', `must be below NODE_GATEWAY_REPLICAS (${replicas})`);
  return { replicas, index };
}

/** loadCommandAckWaitMs reads NODE_GATEWAY_COMMAND_ACK_WAIT_MS. */
export function loadCommandAckWaitMs(env: Env): number {
  return parseEnv(GatewayEnv, env).NODE_GATEWAY_COMMAND_ACK_WAIT_MS;
}

/** loadLeaseTtlMs reads NODE_GATEWAY_LEASE_TTL_MS. */
export function loadLeaseTtlMs(env: Env): number {
  return parseEnv(GatewayEnv, env).NODE_GATEWAY_LEASE_TTL_MS;
}

/** loadGraphIntervalMs reads NODE_GATEWAY_GRAPH_INTERVAL_MS (0 = no graph snapshots). */
export function loadGraphIntervalMs(env: Env): number {
  return parseEnv(GatewayEnv, env).NODE_GATEWAY_GRAPH_INTERVAL_MS;
}

/**
 * loadGatewayConfig reads and validates the fleet configuration from the environment. Without
 * either variable the gateway serves no nodes (it still starts, so that a deployment can be
 * brought up before its nodes are declared).
 */
export function loadGatewayConfig(env: Env): GatewayConfig {
  const vars = parseEnv(GatewayEnv, env);
  if (vars.NODE_GATEWAY_CONFIG_FILE !== undefined && vars.NODE_GATEWAY_CONFIG !== undefined) {
    throw new ConfigError('NODE_GATEWAY_CONFIG', 'set either NODE_GATEWAY_CONFIG or NODE_GATEWAY_CONFIG_FILE, not both');
  }
  let text: string;
  let source: string;
  if (vars.NODE_GATEWAY_CONFIG_FILE !== undefined) {
    source = 'NODE_GATEWAY_CONFIG_FILE';
    try {
      text = readFileSync(vars.NODE_GATEWAY_CONFIG_FILE, 'utf8');
    } catch (cause) {
      throw new ConfigError(source, `cannot read the file (${(cause as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  } else if (vars.NODE_GATEWAY_CONFIG !== undefined) {
    source = 'NODE_GATEWAY_CONFIG';
    text = vars.NODE_GATEWAY_CONFIG;
  } else {
    return { nodes: [] };
  }
  return parseGatewayConfig(text, source);
}

/** parseGatewayConfig validates configuration JSON; `source` prefixes field names in errors. */
export function parseGatewayConfig(text: string, source: string): GatewayConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(source, 'is not valid JSON');
  }
  const result = GatewayConfigSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(`${source}: ${fieldName(issue?.path ?? [])}`, issue?.message ?? 'invalid');
  }
  const config = result.data;
  const seen = new Set<string>();
  const simIndices = new Set<number>();
  let simPosition = 0;
  config.nodes.forEach((node, i) => {
    if (seen.has(node.id)) throw new ConfigError(`${source}: nodes[${i}].id`, 'is used by an earlier node');
    seen.add(node.id);
    if (node.kind === 'sim') {
      const index = node.simIndex ?? simPosition;
      simPosition++;
      if (simIndices.has(index)) throw new ConfigError(`${source}: nodes[${i}].simIndex`, 'picks a fleet node an earlier entry already uses');
      simIndices.add(index);
    }
  });
  return config;
}

/** checkNodeFiles verifies that an lnd node's credential files exist, naming the field otherwise (not the path). */
export function checkNodeFiles(config: GatewayConfig, exists: (path: string) => boolean = existsSync): void {
  config.nodes.forEach((node, i) => {
    if (node.kind !== 'lnd') return;
    if (!exists(node.certPath)) throw new ConfigError(`nodes[${i}].certPath`, `no file for node "${node.id}"`);
    if (!exists(node.macaroonPath)) throw new ConfigError(`nodes[${i}].macaroonPath`, `no file for node "${node.id}"`);
  });
}

/** LndFiles are an lnd node's credentials as read from its files. */
export interface LndFiles {
  /** cert is the PEM certificate. */
  readonly cert: Buffer;
  /** macaroon is the macaroon's bytes (lnd writes macaroon files in binary). */
  readonly macaroon: Buffer;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/;

/**
 * readLndFiles reads an lnd node's certificate and macaroon, failing with a ConfigError that names
 * the field (`nodes[i].certPath`) and never the content or the path. `index` is the entry's
 * position in `nodes`.
 */
export function readLndFiles(node: LndNodeConfig, index: number, read: (path: string) => Buffer = readFileSync): LndFiles {
  const readField = (field: 'certPath' | 'macaroonPath'): Buffer => {
    try {
      return read(node[field]);
    } catch (cause) {
      throw new ConfigError(`nodes[${index}].${field}`, `cannot read the file of node "${node.id}" (${(cause as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  const cert = readField('certPath');
  if (!PEM_CERTIFICATE.test(cert.toString('latin1'))) throw new ConfigError(`nodes[${index}].certPath`, `must be a PEM certificate (lnd's tls.cert) for node "${node.id}"`);
  const macaroon = readField('macaroonPath');
  // lnd writes macaroons in binary; a hex-encoded copy is accepted too, as lncli and lndconnect produce them.
  const text = macaroon.toString('latin1').trim();
  const bytes = /^([0-9a-fA-F]{2})+$/.test(text) ? Buffer.from(text, 'hex') : macaroon;
  if (bytes.length < 32) throw new ConfigError(`nodes[${index}].macaroonPath`, `must be a macaroon file (binary or hex) for node "${node.id}"; it holds ${bytes.length} byte(s)`);
  return { cert, macaroon: bytes };
}

/** simIndexOf is the fleet index a sim entry uses: its simIndex, or its position among sim entries. */
export function simIndexOf(config: GatewayConfig, node: SimNodeConfig): number {
  if (node.simIndex !== undefined) return node.simIndex;
  return config.nodes.filter((n) => n.kind === 'sim').indexOf(node);
}

function fieldName(path: ReadonlyArray<PropertyKey>): string {
  let name = '';
  for (const part of path) name += typeof part === 'number' ? `[${part}]` : `${name === '' ? '' : '.'}${String(part)}`;
  return name === '' ? '(root)' : name;
}
