import type { DataSource } from 'typeorm';
import { openDatabase } from '@lnfleet/service-kit';
import { testSchema, type TestSchema } from '@lnfleet/testing';
import { foldLog, loggedEvent, NodeNotFoundError, type FitnessEvent } from '../fitness/index.js';
import { END, NODE_A, NODE_B, scriptedHistory, UNKNOWN_NODE } from '../history.fixture.js';
import { FitnessEventStore } from './event-store.js';
import { FitnessProjection } from './fitness-projection.js';
import { FitnessLog1767225600000 } from './migrations/1767225600000-fitness-log.js';
import { CHANFITNESS_MIGRATIONS } from './migrations/index.js';
import { shuffled } from '../shuffle.fixture.js';

/*
 * The projection against a real PostgreSQL schema (no NATS: events are handed over as the
 * consumer would, with their stream sequences): redeliveries, late events, and two replicas
 * writing the same tables.
 */

const history = scriptedHistory();
/** sequenced gives each history event the stream sequence it would have if published in order. */
const sequenced = history.map((event, i) => ({ event, sequence: i + 1 }));

function reference(nodeId: string, events: readonly { event: FitnessEvent; sequence: number }[] = sequenced): ReturnType<typeof foldLog> {
  return foldLog(events.filter((e) => e.event.nodeId === nodeId).map((e) => loggedEvent(e.event, e.sequence)));
}

describe('FitnessProjection (real PostgreSQL)', () => {
  let schema: TestSchema;
  const sources: DataSource[] = [];

  async function replica(options: { batchSize?: number } = {}): Promise<{ projection: FitnessProjection; store: FitnessEventStore }> {
    const dataSource = await openDatabase({ url: schema.databaseUrl, schema: schema.schema }, { schema: schema.schema, migrations: CHANFITNESS_MIGRATIONS });
    sources.push(dataSource);
    const store = new FitnessEventStore(dataSource);
    return { projection: new FitnessProjection(store, { batchSize: options.batchSize ?? 64, cacheNodes: 100 }), store };
  }

  beforeEach(async () => {
    schema = await testSchema('cfproj');
  });

  afterEach(async () => {
    for (const source of sources.splice(0)) await source.destroy();
    await schema.drop();
  });

  it('stores a redelivered event once, whether it comes back at once or later', async () => {
    const { projection, store } = await replica();
    await Promise.all(sequenced.map(async ({ event, sequence }) => projection.record(event, sequence)));
    const before = await projection.nodeState(NODE_A, END);
    // The same deliveries again, concurrently with copies of themselves.
    await Promise.all([...sequenced, ...sequenced].map(async ({ event, sequence }) => projection.record(event, sequence)));
    const after = await projection.nodeState(NODE_A, END);
    expect(after.version).toEqual(before.version);
    expect(after.state).toEqual(reference(NODE_A));
    expect(await store.stats()).toEqual({ nodes: 2, events: history.length, lastSequence: history.length });
  });

  it('moves an event re-published under a new sequence to its first one, and finds the same state', async () => {
    const { projection, store } = await replica();
    const late = sequenced.map(({ event, sequence }) => ({ event, sequence: sequence + 1_000 }));
    await Promise.all(late.map(async ({ event, sequence }) => projection.record(event, sequence)));
    await Promise.all(sequenced.map(async ({ event, sequence }) => projection.record(event, sequence)));
    expect((await projection.nodeState(NODE_B, END)).state).toEqual(reference(NODE_B));
    expect(await store.stats()).toMatchObject({ events: history.length });
  });

  it('puts a late event in its place in the past and answers as an ordered replay', async () => {
    const { projection } = await replica();
    const lateOne = sequenced.find(({ event }) => event.nodeId === NODE_A && event.type === 'PeerOffline');
    if (lateOne === undefined) throw new Error('the history has no PeerOffline on node A');
    for (const { event, sequence } of sequenced) if (event !== lateOne.event) await projection.record(event, sequence);
    const withoutIt = await projection.nodeState(NODE_A, END);
    expect(withoutIt.state).toEqual(reference(NODE_A, sequenced.filter((e) => e !== lateOne)));
    await projection.record(lateOne.event, history.length + 1);
    expect((await projection.nodeState(NODE_A, END)).state).toEqual(reference(NODE_A, [...sequenced.filter((e) => e !== lateOne), { ...lateOne, sequence: history.length + 1 }]));
    expect(projection.counters().refolds).toBeGreaterThan(0);
  });

  it('gives two replicas writing the same tables the same answers, whatever each received', async () => {
    const a = await replica({ batchSize: 7 });
    const b = await replica({ batchSize: 5 });
    // Each replica gets most of the history, shuffled, with an overlap (redeliveries to the other).
    const order = shuffled(sequenced, 3);
    await Promise.all([
      ...order.filter((_, i) => i % 3 !== 0).map(async ({ event, sequence }) => a.projection.record(event, sequence)),
      ...order.filter((_, i) => i % 3 !== 1).map(async ({ event, sequence }) => b.projection.record(event, sequence)),
    ]);
    for (const nodeId of [NODE_A, NODE_B]) {
      const [fromA, fromB] = await Promise.all([a.projection.nodeState(nodeId, END), b.projection.nodeState(nodeId, END)]);
      expect(fromA.state).toEqual(reference(nodeId));
      expect(fromB.state).toEqual(fromA.state);
      expect(fromB.version).toEqual(fromA.version);
    }
    expect(await a.store.stats()).toEqual({ nodes: 2, events: history.length, lastSequence: history.length });
  });

  it('answers the state as of a past instant from the events that had happened by then', async () => {
    const { projection } = await replica();
    await Promise.all(sequenced.map(async ({ event, sequence }) => projection.record(event, sequence)));
    const midway = Date.parse(history[10]!.occurredAt);
    const expected = reference(NODE_A, sequenced.filter(({ event }) => Date.parse(event.occurredAt) <= midway));
    expect((await projection.nodeState(NODE_A, midway)).state).toEqual(expected);
  });

  it('reports an unknown node as NodeNotFoundError', async () => {
    const { projection } = await replica();
    await expect(projection.nodeState(UNKNOWN_NODE, END)).rejects.toThrow(NodeNotFoundError);
  });

  it('a projection written before facts-only rows (whole messages stored) migrates to the same answers', async () => {
    const old = await openDatabase({ url: schema.databaseUrl, schema: schema.schema }, { schema: schema.schema, migrations: [FitnessLog1767225600000] });
    sources.push(old);
    // The rows as the first schema stored them: the whole message in `message`.
    await old.query(
      `INSERT INTO fitness_event (node_id, message_id, stream_seq, occurred_ms, type, message)
       SELECT node_id, message_id, stream_seq, occurred_ms, type, message
       FROM jsonb_to_recordset($1::jsonb) AS t(node_id text, message_id text, stream_seq bigint, occurred_ms bigint, type text, message jsonb)`,
      [JSON.stringify(sequenced.map(({ event, sequence }) => ({ node_id: event.nodeId, message_id: event.id, stream_seq: sequence, occurred_ms: Date.parse(event.occurredAt), type: event.type, message: event })))],
    );
    await old.query(
      `INSERT INTO fitness_node (node_id, version, events, last_occurred_ms, last_stream_seq)
       SELECT node_id, count(*), count(*), max(occurred_ms), max(stream_seq) FROM fitness_event GROUP BY node_id`,
    );
    expect(history.some((event) => event.type === 'NodeStateSnapshot')).toBe(true);
    const { projection } = await replica();
    for (const nodeId of [NODE_A, NODE_B]) expect((await projection.nodeState(nodeId, END)).state).toEqual(reference(nodeId));
  });
});
