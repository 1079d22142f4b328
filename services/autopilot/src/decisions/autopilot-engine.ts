/**
 * AutopilotEngine is the autopilot's shell: for an event (or the heartbeat) it takes the node's
 * advisory lock in a PostgreSQL transaction, folds the event into the projection, decides, sends
 * the commands and the decision record, records the pending opens, and commits.
 *
 * Why this order: the messages are published (and acknowledged by JetStream) before the
 * transaction commits. If the process dies in between, nothing was recorded, the event comes
 * back, and the same inputs give the same message ids, which JetStream drops as duplicates. Once
 * committed, a redelivered event is a no-op for the projection and so decides nothing again.
 * The lock makes replicas take turns per node; different nodes proceed in parallel.
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { MessageByType } from '@lnfleet/contracts';
import { ServiceContext } from '@lnfleet/service-kit';
import { type GraphSource } from '../graph/graph-source.js';
import {
  agentState,
  evolve,
  expirePendingOpens,
  recordOpens,
  type NodeProjection,
  type ProjectedEvent,
} from '../projection/node-projection.js';
import { crowdedPeers, enabledNodes, inNodeTransaction, loadProjection } from '../projection/projection-store.js';
import { type Clock } from './clock.js';
import { type AutopilotConfig } from './config.js';
import { inputsFingerprint, NO_GRAPH_VERSION, planDecision, type TriggerFacts } from './plan-decision.js';

/** AUTOPILOT_CONFIG injects the {@link AutopilotConfig}. */
export const AUTOPILOT_CONFIG = Symbol('AUTOPILOT_CONFIG');
/** AUTOPILOT_CLOCK injects the shell's {@link Clock}. */
export const AUTOPILOT_CLOCK = Symbol('AUTOPILOT_CLOCK');
/** GRAPH_SOURCE injects the {@link GraphSource}. */
export const GRAPH_SOURCE = Symbol('GRAPH_SOURCE');
/** AUTOPILOT_HOOKS injects the {@link EngineHooks}. */
export const AUTOPILOT_HOOKS = Symbol('AUTOPILOT_HOOKS');

/**
 * EngineHooks lets tests inject faults where a crash matters: `beforeCommit` runs after a
 * decision's messages were published and before its state is saved and committed; throwing there
 * rolls the transaction back as a crash would, and the transport redelivers the event.
 */
export interface EngineHooks {
  readonly beforeCommit?: (nodeId: string) => void | Promise<void>;
}

/** EngineCounters counts what the engine did, for metrics and tests. */
export interface EngineCounters {
  /** applied counts events that changed the projection. */
  applied: number;
  /** duplicates counts events that changed nothing (repeated or older than the state). */
  duplicates: number;
  /** decisions counts decision records published (including heartbeat decisions that opened). */
  decisions: number;
  /** commands counts OpenChannel commands published. */
  commands: number;
  /** heartbeats counts completed heartbeat rounds. */
  heartbeats: number;
}

/** StreamOrigin says which stream an event came from: node facts or derived (policies). */
export type StreamOrigin = 'events' | 'derived';

@Injectable()
export class AutopilotEngine implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('AutopilotEngine');
  private readonly counters: EngineCounters = { applied: 0, duplicates: 0, decisions: 0, commands: 0, heartbeats: 0 };
  private timer?: NodeJS.Timeout;
  private lastNoGraphWarning = Number.NEGATIVE_INFINITY;
  private heartbeatRun?: Promise<void>;

  constructor(
    private readonly context: ServiceContext,
    @Inject(AUTOPILOT_CONFIG) private readonly config: AutopilotConfig,
    @Inject(AUTOPILOT_CLOCK) private readonly clock: Clock,
    @Inject(GRAPH_SOURCE) private readonly graphs: GraphSource,
    @Inject(AUTOPILOT_HOOKS) private readonly hooks: EngineHooks,
  ) {}

  /** onApplicationBootstrap starts the heartbeat timer (live mode only). */
  onApplicationBootstrap(): void {
    if (this.config.mode === 'replay') return;
    this.timer = setInterval(() => {
      if (this.heartbeatRun !== undefined) return; // the previous round is still going
      this.heartbeatRun = this.heartbeat()
        .catch((error: unknown) => {
          this.logger.error(`heartbeat failed: ${String(error)}`);
        })
        .finally(() => {
          this.heartbeatRun = undefined;
        });
    }, this.config.heartbeatMs);
    this.timer.unref();
  }

  /** onApplicationShutdown stops the timer, waits for a running heartbeat and closes the graph source. */
  async onApplicationShutdown(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.heartbeatRun;
    await this.graphs.close?.();
  }

  /** stats returns a copy of the counters. */
  stats(): EngineCounters {
    return { ...this.counters };
  }

  /**
   * onEvent folds one event of a node and, in live mode, decides for the node if the event was
   * news. The autopilot's own decisions are folded only: they never trigger another decision.
   */
  async onEvent(event: ProjectedEvent, origin: StreamOrigin): Promise<void> {
    const { message, sequence } = event;
    if (this.config.mode === 'replay' || message.type === 'AutopilotDecision') {
      await this.fold(event);
      return;
    }
    const trigger: TriggerFacts = {
      trigger: {
        kind: message.type === 'AutopilotPolicySet' ? 'policy' : 'event',
        messageType: message.type,
        messageId: message.id,
        streamSequence: sequence,
      },
      key: `${origin}:${sequence}`,
      correlationId: message.correlationId,
    };
    await this.evaluate(message.nodeId, trigger, event);
  }

  /** heartbeat re-evaluates every node whose policy enables the autopilot, one after another. */
  async heartbeat(): Promise<void> {
    const nodes = await enabledNodes(this.context.dataSource.manager);
    for (const nodeId of nodes) {
      try {
        await this.evaluate(nodeId, undefined, undefined);
      } catch (error) {
        // One node's failure (e.g. a bad graph) must not starve the others.
        this.logger.error(`heartbeat decision for ${nodeId} failed: ${String(error)}`);
      }
    }
    this.counters.heartbeats++;
  }

  /** projection reads a node's projection (for the API and tests). */
  async projection(nodeId: string): Promise<NodeProjection> {
    return this.context.dataSource.transaction((manager) => loadProjection(manager, nodeId));
  }

  private async fold(event: ProjectedEvent): Promise<void> {
    if (event.message.type === 'AutopilotDecision' && (await this.decisionKnown(event.message))) {
      this.counters.duplicates++;
      return;
    }
    await inNodeTransaction(this.context.dataSource, event.message.nodeId, ({ loaded }) => {
      const state = evolve(loaded, event);
      if (state === loaded) this.counters.duplicates++;
      else this.counters.applied++;
      return state;
    });
  }

  /**
   * decisionKnown tells, without the node's lock, whether folding a decision would change nothing:
   * a dry run, or every command already recorded (live, the deciding transaction recorded them).
   */
  private async decisionKnown(message: MessageByType<'AutopilotDecision'>): Promise<boolean> {
    const ids = message.data.chosen.map((open) => open.commandId);
    if (message.data.dryRun || ids.length === 0) return true;
    const rows = await this.context.dataSource.query<{ known: string }[]>(
      'SELECT count(*) AS known FROM autopilot_pending_open WHERE node_id = $1 AND command_id = ANY($2) AND expires_at > to_timestamp(0)',
      [message.nodeId, ids],
    );
    return Number(rows[0]?.known ?? 0) === ids.length;
  }

  /** warnNoGraph logs, at most once a minute, that decisions stop at `no-graph`. */
  private warnNoGraph(): void {
    const now = Date.now();
    if (now - this.lastNoGraphWarning < 60_000) return;
    this.lastNoGraphWarning = now;
    this.logger.warn(
      'no channel graph loaded yet: decisions stop with no-graph until a gateway graph snapshot arrives (or set AUTOPILOT_GRAPH_FILE); /health/ready answers 503 meanwhile',
    );
  }

  private async evaluate(nodeId: string, eventTrigger: TriggerFacts | undefined, event: ProjectedEvent | undefined): Promise<void> {
    // Never wait for a graph: without one (no snapshot yet, no file) the decision says `no-graph`.
    const graph = this.graphs.loaded() ?? null;
    if (graph === null) this.warnNoGraph();
    await inNodeTransaction(this.context.dataSource, nodeId, async ({ loaded, sql }) => {
      let state = loaded;
      if (event !== undefined) {
        state = evolve(loaded, event);
        if (state === loaded) {
          this.counters.duplicates++;
          return loaded;
        }
        this.counters.applied++;
      }
      const nowMs = this.clock.now();
      state = expirePendingOpens(state, nowMs, this.config.outcomeGraceMs);
      const policy = state.policy;
      if (policy?.enabled === true) {
        const limit = policy.constraints.maxFleetChannelsPerPeer;
        const agent = { ...agentState(state, nowMs), ...(limit === undefined ? {} : { crowdedPeers: await crowdedPeers(sql, nodeId, limit) }) };
        const trigger: TriggerFacts = eventTrigger ?? {
          trigger: { kind: 'heartbeat', messageType: null, messageId: null, streamSequence: null },
          // The revision changes with every change to the node (expiries too); the fingerprint with time-dependent inputs.
          key: `heartbeat:${state.revision}:${inputsFingerprint(agent, policy, graph?.version ?? NO_GRAPH_VERSION)}`,
          correlationId: null,
        };
        const plan = planDecision({ nodeId, agent, policy, graph, trigger, nowMs, commandTtlMs: this.config.commandTtlMs });
        // A heartbeat that changes nothing is not worth a record; an event's decision always is.
        if (eventTrigger !== undefined || plan.opens.length > 0) {
          // The record goes first, the commands with it in the same flush (one round trip): a
          // crash can leave a record without its commands (its opens then just expire), never
          // commands without the record that accounts for them.
          const recorded = this.context.publisher.publishDerived('autopilot', plan.record);
          const sent = policy.dryRun ? [] : plan.commands.map((command) => this.context.publisher.publish(command));
          const [receipt] = await Promise.all([recorded, ...sent]);
          this.counters.commands += sent.length;
          this.counters.decisions++;
          // Recorded as folding the decision event will find them (same sequence), so a rebuild
          // from the streams gives the same rows.
          if (!policy.dryRun) state = recordOpens(state, plan.opens, receipt.sequence);
        }
      }
      await this.hooks.beforeCommit?.(nodeId);
      return state;
    });
  }
}
