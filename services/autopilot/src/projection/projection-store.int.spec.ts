import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { openDatabase } from '@lnfleet/service-kit';
import { testSchema, waitFor, type TestSchema } from '@lnfleet/testing';
import { testPubKey } from '../heuristics/test-graphs.fixture.js';
import { PROJECTION_ENTITIES } from './entities.js';
import { AUTOPILOT_MIGRATIONS } from './migrations/index.js';
import { evolve, initialProjection, recordOpens, type NodeProjection, type ProjectedMessage } from './node-projection.js';
import { enabledNodes, inNodeTransaction, loadProjection, lockNode, nodeLockKey, saveProjection, sqlLiteral } from './projection-store.js';
import { balanceEvent, closedEvent, failedEvent, fitnessEvent, FIXTURE_NODE, openedEvent, policyEvent, T0 } from './projection.fixture.js';

const peer = testPubKey;
/** uniqueNode is a node id of its own for a test that watches advisory locks. */
const uniqueNode = (): string => `03${randomBytes(32).toString('hex')}`;

describe('autopilot projection store (PostgreSQL)', () => {
  let schema: TestSchema;
  let dataSource: DataSource;

  beforeEach(async () => {
    schema = await testSchema('autopilot');
    dataSource = await openDatabase({ url: schema.databaseUrl, schema: schema.schema }, { schema: schema.schema, entities: PROJECTION_ENTITIES, migrations: AUTOPILOT_MIGRATIONS });
  });

  afterEach(async () => {
    await dataSource.destroy();
    await schema.drop();
  });

  async function fold(state: NodeProjection, events: [ProjectedMessage, number][]): Promise<NodeProjection> {
    let next = state;
    for (const [message, sequence] of events) next = evolve(next, { message, sequence });
    await dataSource.transaction(async (manager) => {
      await saveProjection(manager, state, next);
    });
    return next;
  }

  it('loads back exactly what it saved, across saves that touch some rows only', async () => {
    const first = await fold(initialProjection(FIXTURE_NODE), [
      [balanceEvent(5_000_000, FIXTURE_NODE, 1_000), 1],
      [openedEvent(1, peer(1), 2_000_000), 2],
      [failedEvent('cmd-1', peer(3), 1_000_000, T0, T0 + 3_600_000), 3],
      [policyEvent({ heuristics: { top_centrality: 0.25, preferential: 0.75 } }), 1],
      [fitnessEvent(peer(4), false), 2],
    ]);
    const withOpens = recordOpens(first, [{ commandId: 'cmd-2', peer: peer(2), amountSat: 700_000, expiresAtMs: T0 + 60_000 }], 3);
    await dataSource.transaction((manager) => saveProjection(manager, first, withOpens));
    const second = await fold(withOpens, [[closedEvent(1, peer(1), 2_000_000), 4]]);

    const loaded = await dataSource.transaction((manager) => loadProjection(manager, FIXTURE_NODE));
    expect(loaded).toEqual(second);
    expect(loaded.revision).toBe(7);
    expect(loaded.fitness.get(peer(4))).toEqual({ peer: peer(4), fit: false, sequence: 2 });
    expect(await dataSource.transaction((manager) => enabledNodes(manager))).toEqual([FIXTURE_NODE]);
  });

  it('loads an unknown node as the initial projection', async () => {
    const loaded = await dataSource.transaction((manager) => loadProjection(manager, peer(9)));
    expect(loaded).toEqual(initialProjection(peer(9)));
  });

  it("holds a node's advisory lock until the transaction ends, and only that node's", async () => {
    // Advisory locks are database-wide: a node no other test file uses, so their locks never count here.
    const lockedNode = uniqueNode();
    expect(nodeLockKey(lockedNode)).toMatch(/^-?\d+$/);
    expect(nodeLockKey(lockedNode)).not.toBe(nodeLockKey(peer(1)));
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const order: string[] = [];
    let locked!: () => void;
    const firstHasLock = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const first = dataSource.transaction(async (manager) => {
      await lockNode(manager, lockedNode);
      locked();
      await held;
      order.push('first done');
    });
    await firstHasLock;
    // Another node's lock is free while the first is held.
    await dataSource.transaction((manager) => lockNode(manager, peer(1)));
    order.push('other node');
    const second = dataSource.transaction(async (manager) => {
      await lockNode(manager, lockedNode);
      order.push('second got the lock');
    });
    const key = BigInt.asUintN(64, BigInt(nodeLockKey(lockedNode)));
    await waitFor(
      'the second transaction to wait for the lock',
      async () =>
        dataSource.query<{ count: string }[]>(
          "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = $1::bigint::oid AND objid = $2::bigint::oid",
          [(key >> 32n).toString(), (key & 0xffffffffn).toString()],
        ),
      (rows) => rows[0]?.count === '1',
    );
    expect(order).toEqual(['other node']);
    release();
    await Promise.all([first, second]);
    expect(order[0]).toBe('other node');
    expect(order.slice(-2)).toEqual(['first done', 'second got the lock']);
  });

  it('a node transaction waits for the lock, then loads what the holder committed; a throw rolls back', async () => {
    const lockedNode = uniqueNode();
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked!: () => void;
    const firstHasLock = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const first = inNodeTransaction(dataSource, lockedNode, async ({ loaded }) => {
      locked();
      await held;
      return evolve(loaded, { message: balanceEvent(1_000_000, lockedNode), sequence: 1 });
    });
    await firstHasLock;
    const seen: (number | undefined)[] = [];
    const second = inNodeTransaction(dataSource, lockedNode, ({ loaded }) => {
      seen.push(loaded.balance?.confirmedSat);
      return evolve(loaded, { message: balanceEvent(2_000_000, lockedNode), sequence: 2 });
    });
    const key = BigInt.asUintN(64, BigInt(nodeLockKey(lockedNode)));
    await waitFor(
      'the second node transaction to wait for the lock',
      async () =>
        dataSource.query<{ count: string }[]>(
          "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = $1::bigint::oid AND objid = $2::bigint::oid",
          [(key >> 32n).toString(), (key & 0xffffffffn).toString()],
        ),
      (rows) => rows[0]?.count === '1',
    );
    expect(seen).toEqual([]);
    release();
    await Promise.all([first, second]);
    // The second loaded after the lock was granted: it saw the first's commit.
    expect(seen).toEqual([1_000_000]);
    await expect(
      inNodeTransaction(dataSource, lockedNode, ({ loaded }) => {
        evolve(loaded, { message: balanceEvent(3_000_000, lockedNode), sequence: 3 });
        return Promise.reject(new Error('crash before commit'));
      }),
    ).rejects.toThrow('crash before commit');
    const after = await dataSource.transaction((manager) => loadProjection(manager, lockedNode));
    expect(after.balance?.confirmedSat).toBe(2_000_000);
  });

  it('saves and loads text with quotes and backslashes exactly (statements with inlined literals)', async () => {
    const lockedNode = uniqueNode();
    const awkward = `it's a \\ path "quoted" \n`;
    expect(sqlLiteral("it's")).toBe("'it''s'");
    const rows = await dataSource.query<{ value: string }[]>(`SELECT ${sqlLiteral(awkward)}::text AS value`);
    expect(rows[0]?.value).toBe(awkward);
    const odd = {
      ...initialProjection(lockedNode),
      revision: 1,
      channels: new Map([["a\\b'c:0", { channelPoint: "a\\b'c:0", peer: peer(1), capacitySat: 2_000_000, localBalanceSat: 0, status: 'open' as const, sequence: 1 }]]),
    };
    await inNodeTransaction(dataSource, lockedNode, () => Promise.resolve(odd));
    const loaded = await dataSource.transaction((manager) => loadProjection(manager, lockedNode));
    expect([...loaded.channels.keys()]).toEqual(["a\\b'c:0"]);
  });
});
