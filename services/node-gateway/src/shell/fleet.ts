import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { KnownMessage } from '@lnfleet/contracts';
import type { RedeliveryPolicy } from '@lnfleet/messaging';
import { loadNatsConfig } from '@lnfleet/config';
import { ServiceContext } from '@lnfleet/service-kit';
import { checkNodeFiles, loadGatewayConfig, loadGraphIntervalMs, loadLeaseTtlMs, loadShardConfig, readLndFiles, simIndexOf, type GatewayConfig, type ShardConfig } from '../config/gateway-config.js';
import { replicaOf } from '../gateway/sharding.js';
import { DEFAULT_CHANNEL_SIZE_BOUNDS, type ChannelSizeBounds } from '../gateway/open-channel.js';
import { LndNode } from '../lnd/lnd-node.js';
import type { LightningNode } from '../node/lightning-node.js';
import { driveInRealtime, type RealtimeDriver } from '../simnet/realtime-driver.js';
import { loadGraphFile, SimGraph } from '../simnet/sim-graph.js';
import { Simnet } from '../simnet/simnet.js';
import { syntheticGraph } from '../simnet/synthetic-graph.js';
import { PublishedStateStore } from '../store/published-state-store.js';
import { GraphPublisher } from './graph-publisher.js';
import { KvLease, LeaseKeeper, newInstanceId, openLeaseBucket, type LeaseBucket } from './kv-lease.js';
import { ShardOwnership } from './shard-ownership.js';
import { NodeSession, type SessionDeps, type SessionStatus } from './node-session.js';
import { publishUntilStored } from './publish-until-stored.js';

/** GRAPH_PUBLISHER_LEASE is the lease key of the one replica that publishes graph snapshots. */
export const GRAPH_PUBLISHER_LEASE = 'graph-publisher';

/** GATEWAY_OPTIONS is the injection token of the NodeGatewayOptions. */
export const GATEWAY_OPTIONS = Symbol('GATEWAY_OPTIONS');

/** ManagedNode is one node the gateway serves: the operator's name for it and its adapter. */
export interface ManagedNode {
  readonly id: string;
  readonly node: LightningNode;
}

/** NodeGatewayOptions let tests and embedders replace the configured fleet. */
export interface NodeGatewayOptions {
  /** nodes, when set, are served instead of the configured ones. */
  readonly nodes?: readonly ManagedNode[];
  /** now is the gateway's clock for event times and command expiry. Default: the simulated clock of a configured simnet, else the wall clock. */
  readonly now?: () => number;
  /** channelSize overrides the accepted channel sizes (else the configuration's, else lnd's defaults). */
  readonly channelSize?: ChannelSizeBounds;
  /** reconnectDelayMs overrides the sessions' reconnect backoff. */
  readonly reconnectDelayMs?: (attempt: number) => number;
  /** commandRedelivery overrides the OpenChannel consumer's redelivery policy (tests make it fast). */
  readonly commandRedelivery?: Partial<RedeliveryPolicy>;
  /** graphIntervalMs overrides NODE_GATEWAY_GRAPH_INTERVAL_MS (0 = no graph snapshots). */
  readonly graphIntervalMs?: number;
  /** leaseTtlMs overrides NODE_GATEWAY_LEASE_TTL_MS (tests make it short). */
  readonly leaseTtlMs?: number;
}

/**
 * NodeStatus is a node's state on this replica: its session's connection state; `claiming` until
 * this replica has confirmed no older live replica claims the node; `not-owner` when another
 * replica serves it (or may: this replica refuses nodes it cannot confirm are its own).
 */
export type NodeStatus = SessionStatus | 'claiming' | 'not-owner';

/** NodeHealth is one node's connection state, for the health endpoint. */
export interface NodeHealth {
  readonly id: string;
  readonly nodeId: string | null;
  readonly status: NodeStatus;
  /** reason says, for a node not served here, who serves it and why. */
  readonly reason?: string;
}

/** NodeSlot is one node of this replica's share and its session while this replica serves it. */
interface NodeSlot {
  readonly id: string;
  readonly node: LightningNode;
  session: NodeSession | undefined;
  /** stopping is the stop of the last session, awaited before a new one starts. */
  stopping: Promise<void> | undefined;
  /** nodeId is the node's identity once a session learned it. */
  nodeId: string | undefined;
}

/** SessionLookup is what the command handler learns about a command's target node. */
export type SessionLookup = { readonly kind: 'managed'; readonly session: NodeSession } | { readonly kind: 'unknown' } | { readonly kind: 'not-ready' };

/**
 * NodeFleet is the gateway's set of node sessions: it reads the configuration (failing start on a
 * bad one), builds the adapters (the simulated fleet for 'sim' nodes), and runs one NodeSession
 * per node from application start to shutdown.
 */
@Injectable()
export class NodeFleet implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('NodeFleet');
  private slots: NodeSlot[] = [];
  /** sessions are the running sessions (the nodes this replica serves now). */
  private sessions: NodeSession[] = [];
  private ownership: ShardOwnership | undefined;
  private deps: SessionDeps | undefined;
  private readonly releasedListeners: Array<(nodeId: string) => void> = [];
  private driver: RealtimeDriver | undefined;
  private clock: () => number = Date.now;
  private bounds: ChannelSizeBounds = DEFAULT_CHANNEL_SIZE_BOUNDS;
  /** graphPublisher stores graph snapshots; undefined when they are turned off. */
  graphPublisher: GraphPublisher | undefined;
  /** simnet is the simulated fleet when the configuration declares sim nodes. */
  simnet: Simnet | undefined;
  private shardConfig: ShardConfig = { replicas: 1, index: 0 };
  private readonly connectedListeners: Array<(nodeId: string) => void> = [];
  private leases: Promise<LeaseBucket> | undefined;
  private closing = false;
  /** instance names this start of the process in the leases it holds. */
  readonly instance = newInstanceId();

  constructor(
    @Inject(GATEWAY_OPTIONS) private readonly options: NodeGatewayOptions,
    private readonly context: ServiceContext,
  ) {}

  async onModuleInit(): Promise<void> {
    this.shardConfig = loadShardConfig(this.context.env);
    let nodes: readonly ManagedNode[];
    if (this.options.nodes !== undefined) {
      nodes = this.options.nodes;
    } else {
      const config = loadGatewayConfig(this.context.env);
      checkNodeFiles(config);
      if (config.channelSize !== undefined) this.bounds = config.channelSize;
      nodes = [...this.lndNodes(config), ...(await this.simulatedNodes(config))];
    }
    if (this.options.channelSize !== undefined) this.bounds = this.options.channelSize;
    if (this.options.now !== undefined) this.clock = this.options.now;
    const { replicas, index } = this.shardConfig;
    if (replicas > 1) {
      const all = nodes.length;
      // Each node is served by exactly one replica, chosen from its configured id.
      nodes = nodes.filter((managed) => replicaOf(managed.id, replicas) === index);
      this.logger.log(`replica ${index} of ${replicas}: serving ${nodes.length} of ${all} configured node(s)`);
    }
    const store = new PublishedStateStore(this.context.dataSource);
    const publisher = this.context.publisher;
    const logger = this.logger;
    const deps: SessionDeps = {
      publish: (message: KnownMessage, signal: AbortSignal) => publishUntilStored(publisher, message, signal, logger),
      store,
      now: () => this.clock(),
      logger,
      ...(this.options.reconnectDelayMs !== undefined ? { reconnectDelayMs: this.options.reconnectDelayMs } : {}),
      onConnected: (nodeId: string) => {
        for (const listener of this.connectedListeners) listener(nodeId);
      },
    };
    this.deps = deps;
    this.slots = nodes.map((managed) => ({ id: managed.id, node: managed.node, session: undefined, stopping: undefined, nodeId: undefined }));
    if (this.slots.length > 0) {
      const host = this.context.env.HOSTNAME ?? 'unknown';
      this.ownership = new ShardOwnership(await this.leaseBucket(), this.instance, this.shardConfig, host, this.slots.map((slot) => slot.id), {
        serve: (configId) => {
          this.serve(configId);
        },
        release: (configId) => this.release(configId),
      }, logger);
    }
    const graphIntervalMs = this.options.graphIntervalMs ?? loadGraphIntervalMs(this.context.env);
    if (graphIntervalMs > 0 && this.slots.length > 0) {
      const streamReplicas = loadNatsConfig(this.context.env).streamReplicas;
      const leases = await this.leaseBucket();
      // One publisher per fleet: the replica holding the lease, while it has a connected node.
      const lease = new LeaseKeeper(new KvLease(leases, GRAPH_PUBLISHER_LEASE, this.instance, this.leaseDetail()), logger, 'graph publisher lease', () => this.sessions.some((s) => s.status === 'connected'));
      this.graphPublisher = new GraphPublisher(this.context.connection, this.context.topology, publisher, () => this.sessions, () => this.clock(), logger, { intervalMs: graphIntervalMs, streamReplicas }, lease);
    }
    if (this.slots.length === 0) this.logger.warn('no nodes configured (set NODE_GATEWAY_CONFIG or NODE_GATEWAY_CONFIG_FILE); serving none');
  }

  onApplicationBootstrap(): void {
    // Sessions start once the replica slot is taken and no older replica claims their node.
    this.ownership?.start();
    this.graphPublisher?.start();
    if (this.slots.length > 0) this.logger.log(`serving ${this.slots.length} node(s): ${this.slots.map((s) => s.id).join(', ')} (each once no older live replica claims it)`);
  }

  async onModuleDestroy(): Promise<void> {
    this.driver?.stop();
    await this.graphPublisher?.stop();
    this.closing = true;
    await Promise.all(this.slots.map((slot) => this.release(slot.id)));
    await this.ownership?.stop();
    for (const slot of this.slots) slot.node.close?.();
  }

  /** onNodeReleased calls `listener` with the node id of every node this replica stops serving while it runs on. */
  onNodeReleased(listener: (nodeId: string) => void): void {
    this.releasedListeners.push(listener);
  }

  /** serve starts a session for a node of this replica's share (ownership confirmed). */
  private serve(configId: string): void {
    const slot = this.slots.find((s) => s.id === configId);
    if (slot === undefined || slot.session !== undefined || this.closing || this.deps === undefined) return;
    const session = new NodeSession(slot.id, slot.node, this.deps);
    slot.session = session;
    this.sessions = this.runningSessions();
    // A previous session of the node finishes stopping before the new one talks to the node.
    void (slot.stopping ?? Promise.resolve()).then(() => {
      if (slot.session === session) session.start();
    });
  }

  /** release stops the session of a node this replica must not serve (any more). */
  private async release(configId: string): Promise<void> {
    const slot = this.slots.find((s) => s.id === configId);
    const session = slot?.session;
    if (slot === undefined || session === undefined) return;
    slot.session = undefined;
    slot.nodeId = session.nodeId ?? slot.nodeId;
    this.sessions = this.runningSessions();
    slot.stopping = session.stop();
    await slot.stopping;
    if (!this.closing && slot.nodeId !== undefined) for (const listener of this.releasedListeners) listener(slot.nodeId);
  }

  private runningSessions(): NodeSession[] {
    return this.slots.flatMap((slot) => (slot.session === undefined ? [] : [slot.session]));
  }

  /** leaseBucket opens the gateway's lease bucket once (stream replicas from LNFLEET_STREAM_REPLICAS). */
  private async leaseBucket(): Promise<LeaseBucket> {
    this.leases ??= openLeaseBucket(this.context.connection, this.context.topology, {
      replicas: loadNatsConfig(this.context.env).streamReplicas,
      ttlMs: this.options.leaseTtlMs ?? loadLeaseTtlMs(this.context.env),
    });
    return this.leases;
  }

  /** leaseDetail says who holds a lease, for peers and people reading the bucket. */
  private leaseDetail(): Record<string, string | number> {
    return { replicaIndex: this.shardConfig.index, replicas: this.shardConfig.replicas, host: this.context.env.HOSTNAME ?? 'unknown' };
  }

  /** shard says how many replicas share the fleet and which one this is. */
  get shard(): ShardConfig {
    return this.shardConfig;
  }

  /** onNodeConnected calls `listener` after every (re)connect of a served node, and now for those already connected. */
  onNodeConnected(listener: (nodeId: string) => void): void {
    this.connectedListeners.push(listener);
    for (const session of this.sessions) if (session.status === 'connected' && session.nodeId !== undefined) listener(session.nodeId);
  }

  /** now is the gateway's clock (epoch ms). */
  now(): number {
    return this.clock();
  }

  /** channelSize is the range of channel sizes commands may ask for. */
  get channelSize(): ChannelSizeBounds {
    return this.bounds;
  }

  /** lookup finds the session serving a node id; 'not-ready' while some node has not identified itself yet. */
  lookup(nodeId: string): SessionLookup {
    const session = this.sessions.find((s) => s.nodeId === nodeId);
    if (session !== undefined) return { kind: 'managed', session };
    // A node of this replica's share that is not served now (or not identified yet) may be it.
    return this.slots.some((slot) => slot.session?.nodeId === undefined) ? { kind: 'not-ready' } : { kind: 'unknown' };
  }

  /** health lists every node's connection state, or why this replica does not serve it. */
  health(): NodeHealth[] {
    return this.slots.map((slot) => {
      const session = slot.session;
      const reason = this.ownership?.blockedReason(slot.id);
      if (session === undefined && reason !== undefined) return { id: slot.id, nodeId: slot.nodeId ?? null, status: 'not-owner', reason };
      return { id: slot.id, nodeId: session?.nodeId ?? slot.nodeId ?? null, status: session?.status ?? 'claiming' };
    });
  }

  /** conflicts describe live replicas started with another NODE_GATEWAY_REPLICAS than this one. */
  get conflicts(): readonly string[] {
    return this.ownership?.conflicts ?? [];
  }

  /** session returns the running session of a configured node id (tests, tools). */
  session(configId: string): NodeSession | undefined {
    return this.slots.find((s) => s.id === configId)?.session;
  }

  /**
   * lndNodes builds an LndNode for each lnd entry this replica serves, reading its certificate and
   * macaroon now so that a bad file fails the start naming the field.
   */
  private lndNodes(config: GatewayConfig): ManagedNode[] {
    const { replicas, index } = this.shardConfig;
    return config.nodes.flatMap((entry, i) => {
      if (entry.kind !== 'lnd') return [];
      const files = readLndFiles(entry, i);
      if (replicas > 1 && replicaOf(entry.id, replicas) !== index) return [];
      const options = { id: entry.id, ...(entry.balancePollMs !== undefined ? { balancePollMs: entry.balancePollMs } : {}) };
      return [{ id: entry.id, node: new LndNode({ socket: entry.socket, cert: files.cert, macaroon: files.macaroon }, options) }];
    });
  }

  private async simulatedNodes(config: GatewayConfig): Promise<ManagedNode[]> {
    const simEntries = config.nodes.filter((node) => node.kind === 'sim');
    if (simEntries.length === 0) return [];
    const section = config.simnet ?? {};
    const { graphPath, speed, ...tunables } = section;
    const graph = graphPath === undefined ? new SimGraph(syntheticGraph({ nodes: 2_000, channelsPerNode: 3, seed: section.seed ?? 1 })) : await loadGraphFile(graphPath);
    const indices = simEntries.map((entry) => simIndexOf(config, entry));
    const fleetSize = Math.max(section.fleetSize ?? 0, ...indices.map((i) => i + 1));
    // A configured simulation starts at the wall-clock time (unless told otherwise), so that event
    // times never go back when the gateway process, and with it the simulation, is restarted.
    const simnet = Simnet.create(graph, { startMs: Date.now(), ...tunables, fleetSize });
    this.simnet = simnet;
    this.clock = () => simnet.clock.now();
    this.driver = driveInRealtime(simnet.clock, {
      ...(speed !== undefined ? { speed } : {}),
      onError: (error) => {
        this.logger.error(`simulated event failed: ${error instanceof Error ? error.message : String(error)}`);
      },
    });
    this.logger.log(`simulated fleet: ${fleetSize} node(s) in a graph of ${graph.nodeCount} nodes${graphPath === undefined ? ' (synthetic)' : ''}, speed ${speed ?? 1}x`);
    return simEntries.map((entry, i) => ({ id: entry.id, node: simnet.at(indices[i] ?? 0) }));
  }
}
