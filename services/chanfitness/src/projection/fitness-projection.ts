import {
  compareLogPosition,
  foldLog,
  initialNodeFitness,
  loggedEvent,
  NodeNotFoundError,
  type EpochMs,
  type FitnessEvent,
  type LogPosition,
  type NodeFitness,
} from '../fitness/index.js';
import { uniqueByNode, type AppendResult, type EventRow, type FitnessEventStore, type NodeChanges, type NodeLog, type NodeVersion } from './event-store.js';
import { GroupCommit } from './group-commit.js';
import { LruCache } from './lru-cache.js';

/**
 * FitnessProjection keeps every node's fitness events in PostgreSQL and answers with the fold of a
 * node's log (see `fitness/event-log.ts`), which makes it idempotent and order-tolerant by
 * construction: a duplicate changes nothing, a late event takes its place in the past, and the
 * state equals an ordered replay of the same events.
 *
 * Folded states are cached per node in memory and checked against the node's version row before
 * use, so replicas that share the tables never answer from a stale state. An event that lands at
 * the end of a cached log is applied to the cached state; one that lands in the middle makes the
 * node's log be read and folded again.
 */

/** NodeState is a node's folded state and the bookkeeping it was folded from. */
export interface NodeState {
  readonly nodeId: string;
  readonly state: NodeFitness;
  readonly version: NodeVersion;
}

/** AppliedBatch is what one write did, handed to the listener (e.g. to publish fitness changes). */
export interface AppliedBatch {
  /** events are the received events, duplicates included (a redelivery still needs its effects). */
  readonly events: readonly EventRow[];
  /** changed are the nodes whose log the write changed (new or moved events). */
  readonly changed: ReadonlySet<string>;
  /** states holds the current state of every node with an event in the batch. */
  readonly states: ReadonlyMap<string, NodeState>;
}

/**
 * BatchListener follows the writes, e.g. to publish what they changed. For each batch `prepare`
 * runs beside the write (say, to read what the listener needs about the batch's nodes) and
 * `afterWrite` after it, before the batch's events are acknowledged; a throw fails the batch.
 */
export interface BatchListener<P = unknown> {
  prepare(nodeIds: readonly string[]): Promise<P>;
  afterWrite(batch: AppliedBatch, prepared: P): Promise<void>;
}

/** ProjectionOptions tune the projection. */
export interface ProjectionOptions {
  /** batchSize is the most events written in one statement. */
  readonly batchSize: number;
  /** batchesInFlight is how many written batches may wait for their apply (default 2). */
  readonly batchesInFlight?: number;
  /** cacheNodes is how many folded node states are kept in memory. */
  readonly cacheNodes: number;
  /** listener follows every written batch. */
  readonly listener?: BatchListener;
}

/** Written is what a batch's write stage hands to its apply stage. */
interface Written {
  /** byNode holds the batch's rows by node, each (node, message id) once at its lowest sequence. */
  readonly byNode: ReadonlyMap<string, readonly EventRow[]>;
  readonly appended: AppendResult;
  readonly prepared: unknown;
}

interface CachedNode {
  readonly version: NodeVersion;
  readonly state: NodeFitness;
  /** last is the position of the newest event folded into `state`, null for an empty log. */
  readonly last: LogPosition | null;
}

/** ProjectionCounters count what the projection did, for metrics, benchmarks and tests. */
export interface ProjectionCounters {
  /** received counts events handed to record(), duplicates included. */
  received: number;
  /** changed counts log rows written (new events and moved copies). */
  changed: number;
  /** writes counts database writes (batches). */
  writes: number;
  /** appended counts events applied to a cached state without reading the log. */
  appended: number;
  /** refolds counts node logs read and folded again (cache miss, late event, other writer, warm-up). */
  refolds: number;
  /** warmed counts node states cached ahead of their first query (start-up warm-up). */
  warmed: number;
  /** storeMs is the time spent in database writes (with the listener's preparation beside them). */
  storeMs: number;
  /** foldMs is the time spent bringing node states up to date after writes. */
  foldMs: number;
  /** listenerMs is the time spent in the listener after writes (judging peers, publishing). */
  listenerMs: number;
}

/** FitnessProjection is the chanfitness read model (see the module comment above). */
export class FitnessProjection {
  private readonly cache: LruCache<string, CachedNode>;
  private readonly commits: GroupCommit<EventRow, Written>;
  private readonly counts: ProjectionCounters = { received: 0, changed: 0, writes: 0, appended: 0, refolds: 0, warmed: 0, storeMs: 0, foldMs: 0, listenerMs: 0 };

  constructor(
    private readonly store: FitnessEventStore,
    private readonly options: ProjectionOptions,
  ) {
    this.cache = new LruCache(options.cacheNodes);
    this.commits = new GroupCommit({ write: (rows) => this.write(rows), apply: (rows, written) => this.apply(rows, written) },
      options.batchSize,
      options.batchesInFlight ?? 2,
    );
  }

  /**
   * record stores one received event (at its stream sequence) and resolves once it is durable and
   * the batch listener has run; acknowledge the message only then.
   */
  record(event: FitnessEvent, sequence: number): Promise<void> {
    this.counts.received++;
    return this.commits.submit({ ...loggedEvent(event, sequence), nodeId: event.nodeId });
  }

  /** counters returns a copy of the counters. */
  counters(): ProjectionCounters {
    return { ...this.counts };
  }

  /**
   * nodeState returns a node's state as of `at`: the fold of the events that happened by then
   * (all of them when `at` is at or after the newest). Throws NodeNotFoundError for a node
   * without fitness events.
   */
  async nodeState(nodeId: string, at: EpochMs): Promise<NodeState> {
    const cached = this.cache.get(nodeId);
    if (cached === undefined) {
      // Not held: one read brings the version and the whole log (rather than the version first).
      const log = await this.store.loadLog(nodeId);
      if (log === undefined) throw new NodeNotFoundError(nodeId);
      if (at < log.version.lastOccurredMs) return { nodeId, state: foldLog(log.events.filter((event) => event.at <= at)), version: log.version };
      return this.cacheFold(nodeId, log);
    }
    const version = await this.store.nodeVersion(nodeId);
    if (version === undefined) throw new NodeNotFoundError(nodeId);
    if (at < version.lastOccurredMs) {
      const log = await this.store.loadLog(nodeId, at);
      if (log === undefined) throw new NodeNotFoundError(nodeId);
      return { nodeId, state: foldLog(log.events), version: log.version };
    }
    if (cached.version.version === version.version) return { nodeId, state: cached.state, version: cached.version };
    const states = await this.refold([nodeId]);
    const state = states.get(nodeId);
    if (state === undefined) throw new NodeNotFoundError(nodeId);
    return state;
  }

  /**
   * warm reads and folds the logs of these nodes (one statement) and caches the states, so their
   * first queries need no read; a node cached at the same or a newer version meanwhile is left
   * as it is. It yields to the event loop between nodes so queries are not held up behind the
   * folds. Returns how many states it cached.
   */
  async warm(nodeIds: readonly string[]): Promise<number> {
    if (nodeIds.length === 0) return 0;
    const logs = await this.store.loadLogs(nodeIds);
    let cached = 0;
    for (const [nodeId, log] of logs) {
      const held = this.cache.peek(nodeId);
      if (held === undefined || held.version.version < log.version.version) {
        this.cacheFold(nodeId, log);
        this.counts.warmed++;
        cached++;
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return cached;
  }

  /** forget drops every cached state (e.g. after the tables were rebuilt under a running replica). */
  forget(): void {
    this.cache.clear();
  }

  /** write stores a batch (and lets the listener prepare beside it), while the previous batch is applied. */
  private async write(rows: readonly EventRow[]): Promise<Written> {
    const started = performance.now();
    const byNode = uniqueByNode(rows);
    const [appended, prepared] = await Promise.all([this.store.appendUnique([...byNode.values()].flat()), this.options.listener?.prepare([...byNode.keys()])]);
    this.counts.storeMs += performance.now() - started;
    return { byNode, appended, prepared };
  }

  /** apply brings the cached states up to date with a written batch and runs the listener; one batch at a time. */
  private async apply(rows: readonly EventRow[], { byNode, appended, prepared }: Written): Promise<void> {
    const started = performance.now();
    this.counts.writes++;
    let changedRows = 0;
    const states = new Map<string, NodeState>();
    const stale: string[] = [];
    for (const [nodeId, nodeRows] of byNode) {
      const version = appended.get(nodeId);
      const cached = this.cache.get(nodeId);
      if (version === undefined) {
        // Only duplicates for this node: its state is unchanged, if we hold it.
        if (cached === undefined) stale.push(nodeId);
        else states.set(nodeId, { nodeId, state: cached.state, version: cached.version });
        continue;
      }
      changedRows += version.changes;
      const next = this.append(cached ?? EMPTY_LOG, version, nodeRows);
      if (next === undefined) {
        stale.push(nodeId);
      } else {
        this.cache.set(nodeId, next);
        states.set(nodeId, { nodeId, state: next.state, version: next.version });
      }
    }
    this.counts.changed += changedRows;
    for (const [nodeId, state] of await this.refold(stale)) states.set(nodeId, state);
    const folded = performance.now();
    this.counts.foldMs += folded - started;
    await this.options.listener?.afterWrite({ events: rows, changed: new Set(appended.keys()), states }, prepared);
    this.counts.listenerMs += performance.now() - folded;
  }

  /**
   * append applies a write's new events to a cached state when that is the same as folding the
   * whole log again: the node changed by exactly this batch's events since the state was cached
   * (no other writer, no duplicate moved), and all of them come after the newest event folded.
   * Otherwise it returns undefined and the node's log is read and folded again.
   */
  private append(cached: CachedNode, version: NodeVersion & NodeChanges, rows: readonly EventRow[]): CachedNode | undefined {
    // A node not in the cache can still be built from this batch alone when the batch holds its whole log.
    if (cached === EMPTY_LOG && version.events !== version.changes) return undefined;
    // A state read or built at this version or later already holds this write (versions only grow).
    if (cached.version.version >= version.version) return cached;
    const allNew = version.inserted === version.changes && version.changes === rows.length;
    if (!allNew || cached.version.version + version.changes !== version.version) return undefined;
    if (cached.last !== null && compareLogPosition(version.first, cached.last) <= 0) return undefined;
    const state = foldLog(rows, cached.state);
    this.counts.appended += rows.length;
    const last = rows.reduce<LogPosition | null>((newest, row) => (newest === null || compareLogPosition(row, newest) > 0 ? row : newest), cached.last);
    return { version, state, last: last === null ? null : { at: last.at, sequence: last.sequence } };
  }

  /** refold reads and folds the logs of these nodes and caches the states. */
  private async refold(nodeIds: readonly string[]): Promise<Map<string, NodeState>> {
    const states = new Map<string, NodeState>();
    if (nodeIds.length === 0) return states;
    const logs: Map<string, NodeLog> = await this.store.loadLogs(nodeIds);
    for (const [nodeId, log] of logs) states.set(nodeId, this.cacheFold(nodeId, log));
    return states;
  }

  /** cacheFold folds a node's whole log and caches the state. */
  private cacheFold(nodeId: string, log: NodeLog): NodeState {
    this.counts.refolds++;
    const state = log.events.length === 0 ? initialNodeFitness() : foldLog(log.events);
    const last = log.events[log.events.length - 1] ?? null;
    this.cache.set(nodeId, { version: log.version, state, last: last === null ? null : { at: last.at, sequence: last.sequence } });
    return { nodeId, state, version: log.version };
  }
}

/** EMPTY_LOG stands for a node with no events yet (version 0), so a node first seen in a batch needs no read. */
const EMPTY_LOG: CachedNode = {
  version: { nodeId: '', version: 0, events: 0, lastOccurredMs: 0, lastSequence: 0 },
  state: initialNodeFitness(),
  last: null,
};

