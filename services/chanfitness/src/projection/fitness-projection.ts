import {
  compareLogPosition,
  foldLog,
  initialNodeFitness,
  loggedEvent,
  NodeNotFoundError,
  type EpochMs,
  type FitnessEvent,
  type LoggedEvent,
  type LogPosition,
  type NodeFitness,
} from '../fitness/index.js';
import type { EventRow, FitnessEventStore, LogChange, NodeLog, NodeVersion } from './event-store.js';
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
  /** changes are the log rows the write changed (new or moved). */
  readonly changes: readonly LogChange[];
  /** states holds the current state of every node with an event in the batch. */
  readonly states: ReadonlyMap<string, NodeState>;
}

/** BatchListener runs after each write, before its events are acknowledged; a throw fails the batch. */
export type BatchListener = (batch: AppliedBatch) => Promise<void>;

/** ProjectionOptions tune the projection. */
export interface ProjectionOptions {
  /** batchSize is the most events written in one statement. */
  readonly batchSize: number;
  /** cacheNodes is how many folded node states are kept in memory. */
  readonly cacheNodes: number;
  /** afterWrite is called with every written batch. */
  readonly afterWrite?: BatchListener;
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
  /** refolds counts node logs read and folded again (cache miss, late event, other writer). */
  refolds: number;
}

/** FitnessProjection is the chanfitness read model (see the module comment above). */
export class FitnessProjection {
  private readonly cache: LruCache<string, CachedNode>;
  private readonly commits: GroupCommit<EventRow>;
  private readonly counts: ProjectionCounters = { received: 0, changed: 0, writes: 0, appended: 0, refolds: 0 };

  constructor(
    private readonly store: FitnessEventStore,
    private readonly options: ProjectionOptions,
  ) {
    this.cache = new LruCache(options.cacheNodes);
    this.commits = new GroupCommit((rows) => this.write(rows), options.batchSize);
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
    const version = await this.store.nodeVersion(nodeId);
    if (version === undefined) throw new NodeNotFoundError(nodeId);
    if (at < version.lastOccurredMs) {
      const log = await this.store.loadLog(nodeId, at);
      if (log === undefined) throw new NodeNotFoundError(nodeId);
      return { nodeId, state: foldLog(log.events), version: log.version };
    }
    const cached = this.cache.get(nodeId);
    if (cached?.version.version === version.version) return { nodeId, state: cached.state, version: cached.version };
    const states = await this.refold([nodeId]);
    const state = states.get(nodeId);
    if (state === undefined) throw new NodeNotFoundError(nodeId);
    return state;
  }

  /** forget drops every cached state (e.g. after the tables were rebuilt under a running replica). */
  forget(): void {
    this.cache.clear();
  }

  private async write(rows: readonly EventRow[]): Promise<void> {
    this.counts.writes++;
    const { changes, nodes } = await this.store.append(rows);
    this.counts.changed += changes.length;
    const states = new Map<string, NodeState>();
    const stale: string[] = [];
    const changesByNode = groupBy(changes, (change) => change.nodeId);
    const rowsByNode = groupBy(rows, (row) => row.nodeId);
    for (const nodeId of rowsByNode.keys()) {
      const version = nodes.get(nodeId);
      const cached = this.cache.get(nodeId);
      if (version === undefined) {
        // Only duplicates for this node: its state is unchanged, if we hold it.
        if (cached === undefined) stale.push(nodeId);
        else states.set(nodeId, { nodeId, state: cached.state, version: cached.version });
        continue;
      }
      const appended = cached === undefined ? undefined : this.append(cached, version, changesByNode.get(nodeId) ?? [], rowsByNode.get(nodeId) ?? []);
      if (appended === undefined) {
        stale.push(nodeId);
      } else {
        this.cache.set(nodeId, appended);
        states.set(nodeId, { nodeId, state: appended.state, version });
      }
    }
    for (const [nodeId, state] of await this.refold(stale)) states.set(nodeId, state);
    await this.options.afterWrite?.({ events: rows, changes, states });
  }

  /**
   * append applies a write's changes to a cached state when that is the same as folding the whole
   * log again: nobody else changed the node in between (the version moved by exactly our changes)
   * and every change is a new event after the newest one folded. Otherwise it returns undefined.
   */
  private append(cached: CachedNode, version: NodeVersion, changes: readonly LogChange[], rows: readonly EventRow[]): CachedNode | undefined {
    if (cached.version.version === version.version) return cached;
    if (cached.version.version + changes.length !== version.version) return undefined;
    if (changes.some((change) => !change.inserted || (cached.last !== null && compareLogPosition(change, cached.last) <= 0))) return undefined;
    const changed = new Map(changes.map((change) => [change.messageId, change.sequence]));
    const fresh: LoggedEvent[] = [];
    for (const row of rows) {
      if (changed.get(row.event.id) === row.sequence) {
        changed.delete(row.event.id);
        fresh.push(row);
      }
    }
    if (changed.size > 0) return undefined;
    const state = foldLog(fresh, cached.state);
    this.counts.appended += fresh.length;
    return { version, state, last: fresh.reduce<LogPosition | null>((last, e) => (last === null || compareLogPosition(e, last) > 0 ? e : last), cached.last) };
  }

  /** refold reads and folds the logs of these nodes and caches the states. */
  private async refold(nodeIds: readonly string[]): Promise<Map<string, NodeState>> {
    const states = new Map<string, NodeState>();
    if (nodeIds.length === 0) return states;
    const logs: Map<string, NodeLog> = await this.store.loadLogs(nodeIds);
    for (const [nodeId, log] of logs) {
      this.counts.refolds++;
      const state = log.events.length === 0 ? initialNodeFitness() : foldLog(log.events);
      const last = log.events[log.events.length - 1] ?? null;
      this.cache.set(nodeId, { version: log.version, state, last: last === null ? null : { at: last.at, sequence: last.sequence } });
      states.set(nodeId, { nodeId, state, version: log.version });
    }
    return states;
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}
