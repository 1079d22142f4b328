/**
 * The whole fleet in one test process: the node-gateway serving a simulated fleet, the autopilot,
 * chanfitness and backup, each started as its deployable starts it (bootstrapService with its
 * ServiceDefinition) against real NATS JetStream and PostgreSQL, in a namespace and schemas of the
 * test's own. Simulated time is the only clock: the test advances it in steps and, after each
 * step, waits until every message has been handled (`settle`), so the run is the same whatever
 * the machine's load, and the fleet's state at a step boundary is well defined.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { Topology, type AutopilotConstraints, type HeuristicWeights } from '@lnfleet/contracts';
import { bootstrapService, type RunningService } from '@lnfleet/service-kit';
import { testInfrastructure, uniqueName, waitFor } from '@lnfleet/testing';
import { createAutopilotService } from '../../../services/autopilot/src/service.js';
import { createBackupService } from '../../../services/backup/src/service.js';
import { Clock as FitnessClock } from '../../../services/chanfitness/src/clock.js';
import { createChanfitnessService } from '../../../services/chanfitness/src/service.js';
import { nodeGatewayDefinition } from '../../../services/node-gateway/src/service.js';
import { NodeFleet } from '../../../services/node-gateway/src/shell/fleet.js';
import { SimGraph } from '../../../services/node-gateway/src/simnet/sim-graph.js';
import { Simnet } from '../../../services/node-gateway/src/simnet/simnet.js';
import type { SimnetConfig } from '../../../services/node-gateway/src/simnet/simnet-config.js';
import { syntheticGraph } from '../../../services/node-gateway/src/simnet/synthetic-graph.js';

/** ServiceName names the four deployables. */
export type ServiceName = 'node-gateway' | 'autopilot' | 'chanfitness' | 'backup';

/** FleetOptions says which simulated fleet to run. */
export interface FleetOptions {
  /** graphNodes is the size of the synthetic public graph the fleet lives in. */
  readonly graphNodes: number;
  /** simnet tunes the simulated fleet (fleetSize, seed, flakiness ...). */
  readonly simnet: Partial<SimnetConfig> & { readonly fleetSize: number; readonly seed: number };
}

/** AutopilotPolicy is what the policy API takes (AutopilotPolicySet's data). */
export interface AutopilotPolicy {
  readonly enabled: boolean;
  readonly dryRun: boolean;
  readonly constraints: AutopilotConstraints;
  readonly heuristics: HeuristicWeights;
  readonly setBy: string;
}

/** Quiescence is one look at whether anything is still moving, with what was seen (for timeouts). */
export interface Quiescence {
  readonly settled: boolean;
  /** gateway lists sessions that are not connected or hold unpublished notifications. */
  readonly gateway: readonly string[];
  /** consumers lists durables with messages to deliver or awaiting acknowledgement. */
  readonly consumers: readonly string[];
  /** heads are the streams' last sequences (read before and after the other checks). */
  readonly heads: readonly number[];
}

/**
 * E2eFleet is a running fleet. Start it with {@link E2eFleet.start}; always `stop()` it (which
 * also removes its streams, schemas and files).
 */
export class E2eFleet {
  readonly services = new Map<ServiceName, RunningService>();
  /** schemas are every schema the run created (live ones and rebuilds), dropped at stop. */
  readonly schemas = new Set<string>();

  private constructor(
    readonly net: Simnet,
    readonly natsUrl: string,
    readonly databaseUrl: string,
    readonly namespace: string,
    readonly connection: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    /** backupRoot holds the backup services' directories (`live`, and one per rebuild). */
    readonly backupRoot: string,
    readonly backupMasterKey: string,
  ) {}

  /** start boots the gateway (serving every simulated node), the autopilot, chanfitness and backup. */
  static async start(options: FleetOptions): Promise<E2eFleet> {
    const { natsUrl, databaseUrl } = await testInfrastructure();
    const net = Simnet.create(new SimGraph(syntheticGraph({ nodes: options.graphNodes, channelsPerNode: 3, seed: options.simnet.seed })), options.simnet);
    const connection = await connect({ servers: natsUrl.split(','), name: 'e2e-fleet' });
    const fleet = new E2eFleet(
      net,
      natsUrl,
      databaseUrl,
      uniqueName('e2e'),
      connection,
      jetstream(connection),
      await jetstreamManager(connection),
      await mkdtemp(join(tmpdir(), 'lnfleet-e2e-backup-')),
      randomBytes(32).toString('hex'),
    );
    try {
      await fleet.boot();
    } catch (error) {
      await fleet.stop();
      throw error;
    }
    return fleet;
  }

  /** simNow is the simulated time (epoch ms): the clock every service of the fleet reads. */
  simNow(): number {
    return this.net.clock.now();
  }

  /** topology is the run's streams and subjects. */
  get topology(): Topology {
    return this.service('node-gateway').context.topology;
  }

  service(name: ServiceName): RunningService {
    const service = this.services.get(name);
    if (service === undefined) throw new Error(`the ${name} service is not running`);
    return service;
  }

  /** gatewayFleet is the gateway's NodeFleet (its sessions, one per simulated node). */
  gatewayFleet(): NodeFleet {
    return this.service('node-gateway').app.get(NodeFleet, { strict: false });
  }

  /** nodeIds are the managed nodes' pubkeys, in fleet order. */
  nodeIds(): string[] {
    return this.net.nodes.map((node) => node.pubkey);
  }

  /**
   * env is a service's environment: the run's NATS, namespace and database, a schema of the
   * run's own, an HTTP port chosen by the system, plus the service's settings.
   */
  env(schema: string, settings: Record<string, string> = {}): Record<string, string> {
    this.schemas.add(schema);
    return {
      NATS_URL: this.natsUrl,
      DATABASE_URL: this.databaseUrl,
      LNFLEET_NAMESPACE: this.namespace,
      DATABASE_SCHEMA: schema,
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      ...settings,
    };
  }

  /** autopilotSettings are the autopilot's variables in this run (live or replay). */
  autopilotSettings(): Record<string, string> {
    return {
      // Centrality on the event loop: the graph is small, and jest need not load worker threads.
      AUTOPILOT_CENTRALITY_WORKERS: '0',
      // The heartbeat is a wall-clock timer; decisions here follow events only, so that the run
      // depends on simulated time alone.
      AUTOPILOT_HEARTBEAT_MS: '86400000',
    };
  }

  /** backupDir is the live backup service's target directory. */
  get backupDir(): string {
    return join(this.backupRoot, 'live');
  }

  /** backupSettings are the backup service's variables: a key of the run's own and its directory. */
  backupSettings(directory = this.backupDir): Record<string, string> {
    return { BACKUP_MASTER_KEY: this.backupMasterKey, BACKUP_DIR: directory };
  }

  /**
   * startBackup starts a backup service on the run's streams with the simulated clock: the live
   * one at boot, or a rebuild (a fresh schema, consumer and directory) later.
   */
  async startBackup(schema: string, settings: Record<string, string> = {}): Promise<RunningService> {
    await mkdir(settings.BACKUP_DIR ?? this.backupDir, { recursive: true });
    return bootstrapService(createBackupService({ clock: { now: () => this.net.clock.now() } }), this.env(schema, { ...this.backupSettings(), ...settings }), { logger: ['error'] });
  }

  /** chanfitnessSettings are chanfitness's variables in this run. */
  chanfitnessSettings(): Record<string, string> {
    // The re-judging sweep runs on a wall-clock timer; verdicts here follow events only.
    return { CHANFITNESS_REJUDGE_MS: '0' };
  }

  private async boot(): Promise<void> {
    const simClock = { now: () => this.net.clock.now() };
    const logger = { logger: ['error'] as ['error'] };
    const gateway = await bootstrapService(
      nodeGatewayDefinition({
        nodes: this.net.nodes.map((node, i) => ({ id: `sim-${i}`, node })),
        now: simClock.now,
        reconnectDelayMs: () => 50,
        // One graph snapshot once the first node is connected (the next would come a day later).
        graphIntervalMs: 86_400_000,
      }),
      this.env(uniqueName('e2e_gateway')),
      logger,
    );
    this.services.set('node-gateway', gateway);
    await waitFor('every simulated node to connect', () => this.gatewayFleet().health(), (nodes) => nodes.every((n) => n.status === 'connected'), 120_000);

    this.services.set(
      'autopilot',
      await bootstrapService(createAutopilotService({ clock: simClock }), this.env(uniqueName('e2e_autopilot'), this.autopilotSettings()), logger),
    );
    this.services.set(
      'chanfitness',
      await bootstrapService(createChanfitnessService({ clock: new SimFitnessClock(simClock.now) }), this.env(uniqueName('e2e_chanfitness'), this.chanfitnessSettings()), logger),
    );
    this.services.set('backup', await this.startBackup(uniqueName('e2e_backup')));
  }

  /** setPolicy sets a node's autopilot policy through the autopilot's HTTP API. */
  async setPolicy(nodeId: string, policy: AutopilotPolicy): Promise<void> {
    const url = this.service('autopilot').http?.url;
    if (url === undefined) throw new Error('the autopilot serves no HTTP API');
    const response = await fetch(`${url}/nodes/${nodeId}/autopilot/policy`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(policy),
    });
    if (response.status !== 202) throw new Error(`PUT policy of ${nodeId}: HTTP ${response.status} ${await response.text()}`);
  }

  /** streamHead is a stream's last sequence (0 when empty). */
  async streamHead(role: 'events' | 'derived' | 'commands'): Promise<number> {
    return (await this.jsm.streams.info(this.topology.streamName(role))).state.last_seq;
  }

  /**
   * quiescence looks once at everything that can still move: the gateway's sessions (connected,
   * nothing unpublished), every durable consumer on the streams (nothing to deliver, nothing
   * unacknowledged: a handler acknowledges only after it has published what it derives), and
   * the streams' heads, read before and after, so that nothing was stored meanwhile.
   */
  async quiescence(): Promise<Quiescence> {
    const roles = ['events', 'derived', 'commands'] as const;
    const before = await Promise.all(roles.map((role) => this.streamHead(role)));
    const gateway = this.gatewayFleet()
      .health()
      .flatMap((node) => {
        const backlog = this.gatewayFleet().session(node.id)?.backlog ?? 0;
        return node.status === 'connected' && backlog === 0 ? [] : [`${node.id}: ${node.status}, backlog ${backlog}`];
      });
    const consumers: string[] = [];
    for (const role of roles) {
      const stream = this.topology.streamName(role);
      for await (const consumer of this.jsm.consumers.list(stream)) {
        if (consumer.config.durable_name === undefined) continue;
        if (consumer.num_pending > 0 || consumer.num_ack_pending > 0) {
          consumers.push(`${stream}/${consumer.config.durable_name}: ${consumer.num_pending} pending, ${consumer.num_ack_pending} unacknowledged`);
        }
      }
    }
    const after = await Promise.all(roles.map((role) => this.streamHead(role)));
    const still = before.every((head, i) => head === after[i]);
    return { settled: gateway.length === 0 && consumers.length === 0 && still, gateway, consumers, heads: after };
  }

  /** settle waits until nothing moves any more (see quiescence). */
  async settle(timeoutMs = 120_000): Promise<Quiescence> {
    return waitFor('the fleet to settle', () => this.quiescence(), (q) => q.settled, timeoutMs);
  }

  /**
   * advance runs simulated time forward by `ms` in steps of `stepMs`, settling after each step:
   * every service has then handled everything that happened up to the step's end (commands the
   * autopilot sent are executed within the step they were decided in, so they never expire).
   */
  async advance(ms: number, stepMs: number, afterStep?: (now: number) => void | Promise<void>): Promise<void> {
    const end = this.simNow() + ms;
    while (this.simNow() < end) {
      this.net.advance(Math.min(stepMs, end - this.simNow()));
      await this.settle();
      await afterStep?.(this.simNow());
    }
  }

  /** query runs SQL in the run's database (a fresh connection). */
  async query<R extends Record<string, unknown>>(sql: string, parameters: unknown[] = []): Promise<R[]> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      return (await client.query<R>(sql, parameters)).rows;
    } finally {
      await client.end();
    }
  }

  /** stop shuts every service down (last started first), then removes streams, schemas and files. */
  async stop(): Promise<void> {
    for (const name of [...this.services.keys()].reverse()) {
      await this.services.get(name)?.stop().catch(() => undefined);
    }
    this.services.clear();
    const streams = new Topology({ namespace: this.namespace });
    for (const spec of Object.values(streams.streams())) await this.jsm.streams.delete(spec.name).catch(() => false);
    await this.jsm.streams.delete(`OBJ_${streams.graphSnapshotBucket()}`).catch(() => false);
    await this.jsm.streams.delete(`KV_${streams.gatewayLeaseBucket()}`).catch(() => false);
    await this.connection.close();
    const client = new pg.Client({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      for (const schema of this.schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
    await rm(this.backupRoot, { recursive: true, force: true });
  }
}

/** SimFitnessClock answers chanfitness's "now" with simulated time. */
class SimFitnessClock extends FitnessClock {
  constructor(private readonly read: () => number) {
    super();
  }

  now(): number {
    return this.read();
  }
}
