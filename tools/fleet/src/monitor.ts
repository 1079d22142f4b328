/**
 * FleetMonitor feeds the summary: a core NATS subscription sees every event, command and derived
 * message as it is published (JetStream streams capture the same subjects); JetStream consumer
 * info gives each durable's backlog; chanfitness's NATS queries give the fitness leaders.
 */
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { loadNatsConfig, type Env } from '@lnfleet/config';
import { Topology } from '@lnfleet/contracts';
import { connectNats } from '@lnfleet/messaging';
import { observe, parseEnvelope, type ConsumerLag, type FitnessLeader, type FleetState } from './state.js';

const LAG_POLL_MS = 2_000;
const FITNESS_POLL_MS = 3_000;
/** FITNESS_NODES_PER_POLL bounds the queries per poll; the nodes asked rotate. */
const FITNESS_NODES_PER_POLL = 5;
const LEADERS_SHOWN = 3;

export class FleetMonitor {
  private readonly subscriptions: Subscription[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly leaders = new Map<string, FitnessLeader>();
  private fitnessCursor = 0;

  private constructor(
    readonly connection: NatsConnection,
    private readonly jsm: JetStreamManager,
    readonly topology: Topology,
    private readonly state: FleetState,
  ) {}

  /** start connects (with the services' NATS settings in `env`) and begins observing. */
  static async start(env: Env, state: FleetState): Promise<FleetMonitor> {
    const config = loadNatsConfig(env);
    const connection = await connectNats(config, 'lnfleet-fleet-monitor');
    const topology = new Topology({ ...(config.namespace !== undefined ? { namespace: config.namespace } : {}) });
    const monitor = new FleetMonitor(connection, await jetstreamManager(connection), topology, state);
    monitor.subscribe([topology.allNodeEvents(), topology.allCommands(), topology.derivedBy('autopilot'), topology.derivedBy('chanfitness'), topology.derivedBy('backup')]);
    monitor.every(LAG_POLL_MS, () => monitor.pollLag());
    monitor.every(FITNESS_POLL_MS, () => monitor.pollFitness());
    return monitor;
  }

  private subscribe(subjects: readonly string[]): void {
    for (const subject of subjects) {
      const subscription = this.connection.subscribe(subject, {
        callback: (error, message) => {
          if (error !== null) return;
          const envelope = parseEnvelope(message.string());
          if (envelope !== undefined) observe(this.state, envelope, Date.now());
        },
      });
      this.subscriptions.push(subscription);
    }
  }

  private every(ms: number, task: () => Promise<void>): void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      task()
        .catch(() => undefined)
        .finally(() => {
          busy = false;
        });
    }, ms);
    this.timers.push(timer);
  }

  /** pollLag reads every durable consumer of the fleet's streams. */
  async pollLag(): Promise<void> {
    const lag: ConsumerLag[] = [];
    for (const role of ['events', 'commands', 'derived'] as const) {
      const stream = this.topology.streamName(role);
      try {
        for await (const info of this.jsm.consumers.list(stream)) {
          if (info.config.durable_name === undefined) continue;
          lag.push({ stream, durable: info.name, pending: info.num_pending, ackPending: info.num_ack_pending });
        }
      } catch {
        // The stream does not exist until the first service has started.
      }
    }
    lag.sort((a, b) => a.stream.localeCompare(b.stream) || a.durable.localeCompare(b.durable));
    this.state.consumerLag = lag;
  }

  /** pollFitness asks chanfitness for the fittest peer of a few fleet nodes, as of simulated now. */
  async pollFitness(): Promise<void> {
    const nodes = [...this.state.nodesSeen].sort();
    if (nodes.length === 0 || this.state.simNowMs === 0) return;
    const at = new Date(this.state.simNowMs).toISOString();
    const subject = this.topology.querySubject('chanfitness', 'peers');
    for (let i = 0; i < Math.min(FITNESS_NODES_PER_POLL, nodes.length); i++) {
      const nodeId = nodes[(this.fitnessCursor + i) % nodes.length] ?? '';
      try {
        const reply = await this.connection.request(subject, JSON.stringify({ nodeId, at, limit: 1 }), { timeout: 2_000 });
        const best = topPeer(reply.json());
        if (best === undefined) this.leaders.delete(nodeId);
        else this.leaders.set(nodeId, { nodeId, ...best });
      } catch {
        // No chanfitness answering yet, or the node has no peers tracked: nothing to show.
      }
    }
    this.fitnessCursor = (this.fitnessCursor + FITNESS_NODES_PER_POLL) % nodes.length;
    this.state.fitnessLeaders = [...this.leaders.values()].sort(byFitness).slice(0, LEADERS_SHOWN);
  }

  /** deleteStreams removes the namespace's streams and graph bucket (a run that made its namespace up). */
  async deleteStreams(): Promise<void> {
    const names = [...(['events', 'commands', 'derived', 'deadLetter'] as const).map((role) => this.topology.streamName(role)), `OBJ_${this.topology.graphSnapshotBucket()}`];
    for (const name of names) await this.jsm.streams.delete(name).catch(() => false);
  }

  /** close stops polling and drains the connection (what was received is processed first). */
  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await this.connection.drain();
  }
}

/** topPeer reads the best peer from a chanfitness `peers` reply, if the reply has one. */
export function topPeer(reply: unknown): { peer: string; uptimeRatio: number | null; flapCount: number } | undefined {
  if (typeof reply !== 'object' || reply === null) return undefined;
  const { ok, result } = reply as { ok?: unknown; result?: unknown };
  if (ok !== true || typeof result !== 'object' || result === null) return undefined;
  const peers = (result as { peers?: unknown }).peers;
  if (!Array.isArray(peers)) return undefined;
  const first: unknown = peers[0];
  if (typeof first !== 'object' || first === null) return undefined;
  const { peer, uptimeRatio, flapCount, fit } = first as Record<string, unknown>;
  if (typeof peer !== 'string' || fit !== true) return undefined;
  return { peer, uptimeRatio: typeof uptimeRatio === 'number' ? uptimeRatio : null, flapCount: typeof flapCount === 'number' ? flapCount : 0 };
}

/** byFitness orders leaders: highest uptime first, then fewest flaps. */
export function byFitness(a: FitnessLeader, b: FitnessLeader): number {
  return (b.uptimeRatio ?? -1) - (a.uptimeRatio ?? -1) || a.flapCount - b.flapCount || a.peer.localeCompare(b.peer);
}
