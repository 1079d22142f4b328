/**
 * AutopilotEngine is the autopilot's shell. Events are folded in batches: the events that arrive
 * together (a pull's worth, or what queued while the previous batches ran) are grouped by node;
 * one PostgreSQL transaction takes the advisory locks of all their nodes (in a fixed order), folds
 * each node's events in memory with the pure `evolve`, decides once for every node the events
 * changed, publishes the decisions' records and commands, writes each node's changed rows once,
 * and commits. Each event's handler resolves only then, so the transport acknowledges it after
 * the commit. The heartbeat decides for the enabled nodes in batches the same way.
 *
 * Why this order: the messages are published (and acknowledged by JetStream) before the
 * transaction commits. If the process dies in between, nothing was recorded, the events come
 * back, and the decision, keyed by the node's committed state, gets the same id again: JetStream
 * drops the record as a duplicate and the engine adopts the stored one (see publishDecisions).
 * Once committed, a redelivered event is a no-op for the projection and so decides nothing again.
 * The locks make replicas take turns per node; different nodes proceed in parallel.
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { decodeMessage, type MessageByType } from '@lnfleet/contracts';
import { ServiceContext } from '@lnfleet/service-kit';
import { type GraphSource } from '../graph/graph-source.js';
import {
  agentState,
  evolve,
  expirePendingOpens,
  initialProjection,
  recordOpens,
  type NodeProjection,
  type ProjectedEvent,
} from '../projection/node-projection.js';
import { crowdedPeers, enabledNodes, inNodesTransaction, loadProjection } from '../projection/projection-store.js';
import { batchDecisionKey, foldNodeEvents } from './batch-fold.js';
import { type Clock } from './clock.js';
import { type AutopilotConfig } from './config.js';
import { inputsFingerprint, NO_GRAPH_VERSION, planDecision, type DecisionPlan, type TriggerFacts } from './plan-decision.js';

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
  /** batches counts committed transactions (a batch of events, or of heartbeat nodes). */
  batches: number;
}

/** StreamOrigin says which stream an event came from: node facts or derived (policies). */
export type StreamOrigin = 'events' | 'derived';

/** HEARTBEAT_BATCH is how many nodes one heartbeat transaction decides for. */
const HEARTBEAT_BATCH = 64;
/** MAX_COMMITTED_DECISIONS bounds the decision ids remembered: far more than are in flight back to us at once. */
const MAX_COMMITTED_DECISIONS = 50_000;

interface QueuedEvent {
  readonly event: ProjectedEvent;
  readonly origin: StreamOrigin;
  readonly redelivered: boolean;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** NodeWork is what one batch does for one node: fold its events, and decide unless told not to. */
interface NodeWork {
  readonly events: ProjectedEvent[];
  readonly origins: Map<ProjectedEvent, StreamOrigin>;
  /** heartbeat decides even without news (the heartbeat's own trigger). */
  readonly heartbeat: boolean;
  /** redelivered: one of the events was delivered before (an earlier attempt may have published). */
  redelivered: boolean;
}


@Injectable()
export class AutopilotEngine implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('AutopilotEngine');
  private readonly counters: EngineCounters = { applied: 0, duplicates: 0, decisions: 0, commands: 0, heartbeats: 0, batches: 0 };
  private timer?: NodeJS.Timeout;
  private lastNoGraphWarning = Number.NEGATIVE_INFINITY;
  private heartbeatRun?: Promise<void>;
  private queue: QueuedEvent[] = [];
  private scheduled = false;
  private running = 0;
  private jsm?: Promise<JetStreamManager>;
  /** suspects are nodes whose last batch here failed: their next decision may repeat a published one. */
  private readonly suspects = new Set<string>();
  /** committedDecisions holds the ids of the latest decisions this process committed (insertion order, bounded). */
  private readonly committedDecisions = new Set<string>();
  /** uncommitted holds the decisions published by batches still running: whether each commits. */
  private readonly uncommitted = new Map<string, Promise<boolean>>();

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
   * onEvent hands one event of a node to the next batch and resolves once that batch committed
   * (the transport acknowledges the message only then). In live mode the batch decides once for
   * each node its events changed; the autopilot's own decisions are folded only, they never
   * trigger another decision.
   */
  onEvent(event: ProjectedEvent, origin: StreamOrigin, redelivered = false): Promise<void> {
    if (event.message.type === 'AutopilotDecision') {
      if (this.foldsToNothing(event.message)) {
        this.counters.duplicates++;
        return Promise.resolve();
      }
      // Our own decision, back before its batch committed: wait for the outcome instead of a transaction.
      const outcome = this.uncommitted.get(event.message.id);
      if (outcome !== undefined) return outcome.then(async () => this.onEvent(event, origin, redelivered));
    }
    return this.enqueue(event, origin, redelivered);
  }

  private enqueue(event: ProjectedEvent, origin: StreamOrigin, redelivered: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ event, origin, redelivered, resolve, reject });
      this.schedule();
    });
  }

  /**
   * foldsToNothing tells, without the database, that folding one of the autopilot's decisions would
   * change nothing: a dry run or a decision that chose nothing records no opens, and a decision this
   * process committed recorded its opens in the same transaction. (Each decision comes back on the
   * derived stream; a transaction for every one of them would double the work per decision.) One
   * that failed to commit is folded like any event: its retry may not come (the node moved on).
   */
  private foldsToNothing(message: MessageByType<'AutopilotDecision'>): boolean {
    return message.data.dryRun || message.data.chosen.length === 0 || this.committedDecisions.has(message.id);
  }

  /** heartbeat re-evaluates every node whose policy enables the autopilot, a batch of nodes at a time. */
  async heartbeat(): Promise<void> {
    const nodes = await enabledNodes(this.context.dataSource.manager);
    for (let start = 0; start < nodes.length; start += HEARTBEAT_BATCH) {
      const work = new Map<string, NodeWork>(nodes.slice(start, start + HEARTBEAT_BATCH).map((nodeId) => [nodeId, { events: [], origins: new Map(), heartbeat: true, redelivered: false }]));
      try {
        await this.runIsolated(work);
      } catch (error) {
        // One node's failure (e.g. a bad graph) must not starve the others.
        this.logger.error(`heartbeat decisions failed: ${String(error)}`);
      }
    }
    this.counters.heartbeats++;
  }

  /** projection reads a node's projection (for the API and tests). */
  async projection(nodeId: string): Promise<NodeProjection> {
    return this.context.dataSource.transaction((manager) => loadProjection(manager, nodeId));
  }

  /**
   * schedule starts batches for the queued events. It waits for the rest of this turn of the event
   * loop, so the other messages of the same pull join the batch; a batch then starts at once if
   * fewer than `inFlight` are running (an idle consumer decides on a lone event right away), and
   * otherwise the events wait for the next free slot, gathering into a larger batch meanwhile.
   */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.startBatches();
    });
  }

  private startBatches(): void {
    const limits = this.config.batch;
    while (this.queue.length > 0 && this.running < limits.inFlight) {
      const batch = this.queue.slice(0, limits.maxEvents);
      this.queue = this.queue.slice(batch.length);
      this.running++;
      void this.runQueued(batch).finally(() => {
        this.running--;
        this.startBatches();
      });
    }
  }

  /** runQueued runs one batch of queued events and settles each event's promise with its outcome. */
  private async runQueued(batch: readonly QueuedEvent[]): Promise<void> {
    const work = new Map<string, NodeWork>();
    const waiting = new Map<string, QueuedEvent[]>();
    for (const queued of batch) {
      const nodeId = queued.event.message.nodeId;
      let node = work.get(nodeId);
      if (node === undefined) {
        node = { events: [], origins: new Map(), heartbeat: false, redelivered: false };
        work.set(nodeId, node);
        waiting.set(nodeId, []);
      }
      node.events.push(queued.event);
      node.origins.set(queued.event, queued.origin);
      node.redelivered ||= queued.redelivered;
      waiting.get(nodeId)?.push(queued);
    }
    const outcomes = await this.runIsolated(work).then(
      () => new Map<string, unknown>(),
      (error: unknown) => (error instanceof NodeFailures ? error.byNode : new Map([...work.keys()].map((nodeId) => [nodeId, error]))),
    );
    for (const [nodeId, queued] of waiting) {
      const failure = outcomes.get(nodeId);
      for (const entry of queued) {
        if (outcomes.has(nodeId)) entry.reject(failure);
        else entry.resolve();
      }
    }
  }

  /**
   * runIsolated runs a batch; if it fails and holds several nodes, each node is run again on its
   * own, so one node's failure (a bad event, a bug) fails only that node's events. Re-running is
   * what a redelivery would do: nothing of the failed batch was committed.
   */
  private async runIsolated(work: ReadonlyMap<string, NodeWork>): Promise<void> {
    try {
      await this.runBatch(work);
      return;
    } catch (error) {
      if (work.size === 1) throw error;
    }
    const failures = new Map<string, unknown>();
    for (const [nodeId, node] of work) {
      try {
        await this.runBatch(new Map([[nodeId, node]]));
      } catch (error) {
        failures.set(nodeId, error);
      }
    }
    if (failures.size > 0) throw new NodeFailures(failures);
  }

  /**
   * runBatch is one transaction for a batch: lock and load every node it touches, fold each node's
   * events in memory, decide once per node that has news (or per node, on the heartbeat), publish
   * the decisions' records and then their commands, save every changed node and commit.
   */
  private async runBatch(work: ReadonlyMap<string, NodeWork>): Promise<void> {
    const live = this.config.mode === 'live';
    // Never wait for a graph: without one (no snapshot yet, no file) the decision says `no-graph`.
    const graph = this.graphs.loaded() ?? null;
    let applied = 0;
    let duplicates = 0;
    // The decisions this batch publishes, told whether they committed once the batch ends.
    const outcomes: [string, (committed: boolean) => void][] = [];
    const settleOutcomes = (committed: boolean): void => {
      for (const [id, settle] of outcomes) {
        if (committed) this.committedDecisions.add(id);
        this.uncommitted.delete(id);
        settle(committed);
      }
    };
    try {
      await inNodesTransaction(this.context.dataSource, [...work.keys()], async ({ loaded, sql }) => {
        applied = 0;
        duplicates = 0;
        const next = new Map<string, NodeProjection>();
        const published: Promise<[string, NodeProjection]>[] = [];
        const nowMs = this.clock.now();
        for (const [nodeId, node] of work) {
          const before = loaded.get(nodeId) ?? initialProjection(nodeId);
          const fold = foldNodeEvents(before, node.events);
          applied += fold.applied;
          duplicates += fold.duplicates;
          next.set(nodeId, fold.state);
          if (!live || (fold.trigger === undefined && !node.heartbeat)) continue;
          const state = expirePendingOpens(fold.state, nowMs, this.config.outcomeGraceMs);
          next.set(nodeId, state);
          const policy = state.policy;
          if (policy?.enabled !== true) continue;
          if (graph === null) this.warnNoGraph();
          const limit = policy.constraints.maxFleetChannelsPerPeer;
          const agent = { ...agentState(state, nowMs), ...(limit === undefined ? {} : { crowdedPeers: await crowdedPeers(sql, nodeId, limit) }) };
          const trigger: TriggerFacts =
            fold.trigger === undefined
              ? {
                  trigger: { kind: 'heartbeat', messageType: null, messageId: null, streamSequence: null },
                  // The revision changes with every change to the node (expiries too); the fingerprint with time-dependent inputs.
                  key: `heartbeat:${state.revision}:${inputsFingerprint(agent, policy, graph?.version ?? NO_GRAPH_VERSION)}`,
                  correlationId: null,
                }
              : eventTrigger(fold.trigger, node.origins.get(fold.trigger) ?? 'events', before);
          const plan = planDecision({ nodeId, agent, policy, graph, trigger, nowMs, commandTtlMs: this.config.commandTtlMs });
          // A heartbeat that changes nothing is not worth a record; news always is.
          if (fold.trigger === undefined && plan.opens.length === 0) continue;
          // Published at once, while the batch's other nodes are decided.
          const careful = node.heartbeat || node.redelivered || this.suspects.has(nodeId);
          let settle!: (committed: boolean) => void;
          this.uncommitted.set(plan.record.id, new Promise<boolean>((resolve) => (settle = resolve)));
          outcomes.push([plan.record.id, settle]);
          published.push(this.publishDecision(state, plan, policy.dryRun, careful).then((saved) => [nodeId, saved]));
        }
        // Every publish settles before the batch goes on (a rejection then fails it).
        const settled = await Promise.allSettled(published);
        const decided: string[] = [];
        for (const outcome of settled) {
          if (outcome.status === 'rejected') throw outcome.reason;
          next.set(...outcome.value);
          decided.push(outcome.value[0]);
        }

        for (const nodeId of decided) await this.hooks.beforeCommit?.(nodeId);
        return next;
      });
    } catch (error) {
      for (const nodeId of work.keys()) this.suspects.add(nodeId);
      settleOutcomes(false);
      throw error;
    }
    for (const nodeId of work.keys()) this.suspects.delete(nodeId);
    settleOutcomes(true);
    for (const id of this.committedDecisions) {
      if (this.committedDecisions.size <= MAX_COMMITTED_DECISIONS) break;
      this.committedDecisions.delete(id);
    }
    // Counted once committed: a rolled-back batch is counted when its retry commits.
    this.counters.applied += applied;
    this.counters.duplicates += duplicates;
    this.counters.batches++;
  }

  /**
   * publishDecision publishes a decision's record and commands and returns the node's state with
   * its opens recorded, as folding the decision event will find them (same sequence), so a
   * rebuild from the streams gives the same rows.
   *
   * A record JetStream reports as a duplicate was published by an attempt that did not commit (the
   * decision id comes from the committed state): that record stands, not this attempt's plan, which
   * may differ if the events were regrouped; its opens are recorded by folding it. `careful`, when
   * an earlier attempt may have published (a redelivered event, a batch that failed here, the
   * heartbeat), publishes the record first and then only commands it lists: two round trips.
   * Otherwise record and commands go in one flush, the record first (a crash can leave a record
   * without its commands, whose opens then just expire, never commands without their record);
   * should the record still turn out a duplicate (another replica died between publishing and
   * committing, and a fresh event for the node came before the old ones were redelivered), the
   * commands sent are recorded as pending opens too, so they count against the budget.
   */
  private async publishDecision(state: NodeProjection, plan: DecisionPlan, dryRun: boolean, careful: boolean): Promise<NodeProjection> {
    const recorded = this.context.publisher.publishDerived('autopilot', plan.record);
    let sent: readonly MessageByType<'OpenChannel'>[] = dryRun || careful ? [] : plan.commands;
    const [receipt] = await Promise.all([recorded, ...sent.map(async (command) => this.context.publisher.publish(command))]);
    this.counters.decisions++;
    if (!receipt.duplicate) {
      if (careful && !dryRun) {
        sent = plan.commands;
        await Promise.all(sent.map(async (command) => this.context.publisher.publish(command)));
      }
      this.counters.commands += sent.length;
      return dryRun ? state : recordOpens(state, plan.opens, receipt.sequence);
    }
    const original = await this.storedDecision(receipt.sequence, plan.record.id);
    const listed = new Set(original.data.dryRun ? [] : original.data.chosen.map((open) => open.commandId));
    if (careful) {
      sent = plan.commands.filter((command) => listed.has(command.id));
      await Promise.all(sent.map(async (command) => this.context.publisher.publish(command)));
    } else if (sent.some((command) => !listed.has(command.id))) {
      this.logger.warn(`decision ${plan.record.id} for ${state.nodeId} repeated an unfinished one with other picks; its extra commands are recorded as pending opens`);
    }
    this.counters.commands += sent.length;
    const adopted = evolve(state, { message: original, sequence: receipt.sequence });
    const extra = plan.opens.filter((open) => !listed.has(open.commandId) && sent.some((command) => command.id === open.commandId));
    return recordOpens(adopted, extra, receipt.sequence);
  }

  /** storedDecision reads a decision record back from the derived stream (after a duplicate publish). */
  private async storedDecision(sequence: number, id: string): Promise<MessageByType<'AutopilotDecision'>> {
    this.jsm ??= jetstreamManager(this.context.connection);
    const stored = await (await this.jsm).streams.getMessage(this.context.topology.streamName('derived'), { seq: sequence });
    if (stored === null) throw new Error(`derived #${sequence}, the decision ${id} JetStream reported as stored there, is gone`);
    const decoded = decodeMessage(stored.data);
    if (!decoded.ok || decoded.message.type !== 'AutopilotDecision' || decoded.message.id !== id) {
      throw new Error(`derived #${sequence} is not the decision ${id} JetStream reported as stored there`);
    }
    return decoded.message;
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
}

/** eventTrigger describes the event a decision answers; its key comes from the committed state (see batchDecisionKey). */
function eventTrigger(event: ProjectedEvent, origin: StreamOrigin, committed: NodeProjection): TriggerFacts {
  const { message, sequence } = event;
  return {
    trigger: {
      kind: message.type === 'AutopilotPolicySet' ? 'policy' : 'event',
      messageType: message.type,
      messageId: message.id,
      streamSequence: sequence,
    },
    key: `${origin}:${batchDecisionKey(committed)}`,
    correlationId: message.correlationId,
  };
}

/** NodeFailures carries, per node, why its part of a batch failed. */
class NodeFailures extends Error {
  constructor(readonly byNode: ReadonlyMap<string, unknown>) {
    super(`${byNode.size} node(s) failed: ${[...byNode.values()].map(String).join('; ')}`);
  }
}
