/**
 * What `lnfleet replay` knows about each service: which streams its projection is folded from,
 * which durable consumers the live service reads them with, its tables (entities, migrations), and
 * a sink that folds messages into a fresh schema with the service's own code. The CLI owns the
 * fresh schema alone until the switch-over, so sinks keep state in memory and write in bulk.
 */
import type { DataSource, DataSourceOptions } from 'typeorm';
import type { Env } from '@lnfleet/config';
import type { Topology } from '@lnfleet/contracts';
import {
  AUTOPILOT_MIGRATIONS,
  durablePrefix,
  evolve,
  initialProjection,
  PROJECTED_TYPES,
  PROJECTION_ENTITIES,
  saveProjection,
  type NodeProjection,
  type ProjectedMessage,
} from '@lnfleet/autopilot/projection';
import {
  CHANFITNESS_MIGRATIONS,
  FITNESS_EVENT_TYPES,
  FitnessEventStore,
  FitnessProjection,
  fenceVersionsSql,
  isFitnessEvent,
  loadChanfitnessConfig,
  normalizeReasons,
  statusKey,
  type SavedStatus,
} from '@lnfleet/chanfitness/projection';
import type { ReadMessage, SourceSpec } from '../stream-reader.js';

/** ReplayService names the services whose projection `lnfleet replay` rebuilds. */
export type ReplayService = 'autopilot' | 'chanfitness';

/** LiveConsumer is a durable consumer the live service reads a stream with. */
export interface LiveConsumer {
  readonly stream: string;
  readonly durable: string;
}

/** ReplaySink folds read messages into the fresh schema. */
export interface ReplaySink {
  /** apply folds a batch (one source's messages in stream order) and returns how many it folded. */
  apply(batch: readonly ReadMessage[]): Promise<number>;
  /**
   * write starts writing what was applied so far and resolves once the write before it is done
   * (at most one in flight), so that writing overlaps reading and folding the next batches.
   */
  write(): Promise<void>;
  /** flush makes everything applied so far durable in the schema. */
  flush(): Promise<void>;
}

/** ReplayTarget describes one service to the replay. */
export interface ReplayTarget {
  readonly service: ReplayService;
  readonly entities: NonNullable<DataSourceOptions['entities']>;
  readonly migrations: NonNullable<DataSourceOptions['migrations']>;
  /** sources are the filtered streams the projection is folded from (one filter each, NATS 2.9). */
  sources(topology: Topology): SourceSpec[];
  /** liveConsumers are the durables of the live service, whose lag is checked before switching. */
  liveConsumers(topology: Topology, env: Env): LiveConsumer[];
  createSink(dataSource: DataSource): ReplaySink;
  /**
   * switchStatements run in the switch-over transaction, after the live tables are locked and
   * before the schemas are renamed (e.g. to invalidate what live replicas cache).
   */
  switchStatements(newSchema: string, liveSchema: string): string[];
}

const AUTOPILOT_TYPES: ReadonlySet<string> = new Set<string>(PROJECTED_TYPES);
const FITNESS_TYPES: ReadonlySet<string> = new Set<string>(FITNESS_EVENT_TYPES);
const VERDICT_TYPES: ReadonlySet<string> = new Set<string>(['PeerFitnessChanged']);

/** NODES_PER_STATEMENT is how many nodes' rows one round trip writes (statements joined by `;`). */
const NODES_PER_STATEMENT = 200;

/**
 * AutopilotSink folds with the autopilot's `evolve` and writes with its `saveProjection` (only the
 * rows that changed since the last write), exactly as the service's fold does, without the
 * per-event transaction and advisory lock a shared schema needs. Projections are immutable, so a
 * write takes the nodes as they are when it starts while folding goes on.
 */
class AutopilotSink implements ReplaySink {
  private readonly nodes = new Map<string, { saved: NodeProjection; current: NodeProjection }>();
  /** writing is the write in flight (its failure is reported by the next write or flush). */
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly dataSource: DataSource) {}

  apply(batch: readonly ReadMessage[]): Promise<number> {
    let folded = 0;
    for (const read of batch) {
      const message = read.message;
      if (message === undefined || !AUTOPILOT_TYPES.has(message.type)) continue;
      let node = this.nodes.get(message.nodeId);
      if (node === undefined) {
        // The schema is new and ours alone: a node not met yet has nothing stored.
        const empty = initialProjection(message.nodeId);
        node = { saved: empty, current: empty };
        this.nodes.set(message.nodeId, node);
      }
      node.current = evolve(node.current, { message: message as ProjectedMessage, sequence: read.sequence });
      folded++;
    }
    return Promise.resolve(folded);
  }

  async write(): Promise<void> {
    await this.writing;
    const changes: { saved: NodeProjection; current: NodeProjection }[] = [];
    for (const node of this.nodes.values()) {
      if (node.current === node.saved) continue;
      changes.push({ saved: node.saved, current: node.current });
      node.saved = node.current;
    }
    if (changes.length === 0) return;
    const write = this.save(changes);
    write.catch(() => undefined);
    this.writing = write;
  }

  async flush(): Promise<void> {
    await this.write();
    await this.writing;
  }

  /** save writes the changes in one transaction, the statements of many nodes per round trip. */
  private async save(changes: readonly { saved: NodeProjection; current: NodeProjection }[]): Promise<void> {
    // saveProjection hands its statement (values inlined, no parameters) to a runner: collect them.
    const statements: string[] = [];
    const collect = { query: <T>(sql: string): Promise<T> => (statements.push(sql), Promise.resolve([] as T)) };
    for (const { saved, current } of changes) await saveProjection(collect, saved, current);
    await this.dataSource.transaction(async (manager) => {
      for (let i = 0; i < statements.length; i += NODES_PER_STATEMENT) await manager.query(statements.slice(i, i + NODES_PER_STATEMENT).join(';\n'));
    });
  }
}

/**
 * ChanfitnessSink stores fitness events through chanfitness's own FitnessProjection (group
 * commit, log order, de-duplication) with no listener: a rebuild publishes nothing. The verdicts
 * the live service published (PeerFitnessChanged on the derived stream) are recorded as it
 * records them, so the rebuilt schema knows what was already said and the live service does not
 * say it again after the switch.
 */
class ChanfitnessSink implements ReplaySink {
  private readonly store: FitnessEventStore;
  private readonly projection: FitnessProjection;
  /** outstanding are records not yet durable; the next fetch overlaps their writes. */
  private outstanding: Promise<void>[] = [];
  private failure: Error | undefined;

  constructor(dataSource: DataSource) {
    this.store = new FitnessEventStore(dataSource);
    // 1,024 a write, as the service does since its bench found the database's cost per event falls with the batch.
    this.projection = new FitnessProjection(this.store, { batchSize: 1_024, batchesInFlight: 4, cacheNodes: 100_000 });
  }

  async apply(batch: readonly ReadMessage[]): Promise<number> {
    this.throwIfFailed();
    let folded = 0;
    // One row per peer per statement (an upsert cannot touch a row twice): the newest verdict wins, as in the service.
    const statuses = new Map<string, SavedStatus>();
    for (const read of batch) {
      const message = read.message;
      if (message === undefined) continue;
      if (isFitnessEvent(message)) {
        // Caught here and reported by the next apply or flush, so no rejection goes unhandled meanwhile.
        this.outstanding.push(
          this.projection.record(message, read.sequence).catch((error: unknown) => {
            this.failure ??= error instanceof Error ? error : new Error(String(error));
          }),
        );
        folded++;
      } else if (message.type === 'PeerFitnessChanged') {
        const key = statusKey(message.nodeId, message.data.peer);
        const evaluatedMs = Date.parse(message.occurredAt);
        const seen = statuses.get(key);
        if (seen === undefined || seen.status.evaluatedMs <= evaluatedMs) {
          statuses.set(key, {
            nodeId: message.nodeId,
            peer: message.data.peer,
            status: { reasons: normalizeReasons(message.data.reasons), evaluatedMs },
            messageId: message.id,
          });
        }
      }
    }
    await this.store.saveStatuses([...statuses.values()]);
    if (this.outstanding.length >= MAX_OUTSTANDING_RECORDS) await this.settle();
    return folded + statuses.size;
  }

  /** write has nothing to start: the projection writes in group commits as records come. */
  write(): Promise<void> {
    this.throwIfFailed();
    return Promise.resolve();
  }

  async flush(): Promise<void> {
    await this.settle();
  }

  private async settle(): Promise<void> {
    const waiting = this.outstanding;
    this.outstanding = [];
    await Promise.all(waiting);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}

/** MAX_OUTSTANDING_RECORDS bounds the chanfitness events read but not yet durable (memory, and work lost on a failure). */
const MAX_OUTSTANDING_RECORDS = 16_384;

/** REPLAY_TARGETS holds the services `lnfleet replay` can rebuild. */
export const REPLAY_TARGETS: Readonly<Record<ReplayService, ReplayTarget>> = {
  autopilot: {
    service: 'autopilot',
    entities: PROJECTION_ENTITIES,
    migrations: AUTOPILOT_MIGRATIONS,
    sources: (topology) => [
      { stream: topology.streamName('events'), filterSubject: topology.allNodeEvents(), types: AUTOPILOT_TYPES },
      { stream: topology.streamName('derived'), filterSubject: topology.derivedBy('autopilot'), types: AUTOPILOT_TYPES },
      { stream: topology.streamName('derived'), filterSubject: topology.derivedBy('chanfitness'), types: VERDICT_TYPES },
    ],
    liveConsumers: (topology, env) => {
      const prefix = durablePrefix(env);
      return [
        { stream: topology.streamName('events'), durable: `${prefix}-events` },
        { stream: topology.streamName('derived'), durable: `${prefix}-derived` },
        { stream: topology.streamName('derived'), durable: `${prefix}-fitness` },
      ];
    },
    createSink: (dataSource) => new AutopilotSink(dataSource),
    switchStatements: () => [],
  },
  chanfitness: {
    service: 'chanfitness',
    entities: [],
    migrations: CHANFITNESS_MIGRATIONS,
    sources: (topology) => [
      { stream: topology.streamName('events'), filterSubject: topology.allNodeEvents(), types: FITNESS_TYPES },
      { stream: topology.streamName('derived'), filterSubject: topology.derivedBy('chanfitness'), types: VERDICT_TYPES },
    ],
    liveConsumers: (topology, env) => [{ stream: topology.streamName('events'), durable: loadChanfitnessConfig(env).consumer }],
    createSink: (dataSource) => new ChanfitnessSink(dataSource),
    switchStatements: (newSchema, liveSchema) => [fenceVersionsSql(newSchema, liveSchema)],
  },
};
