import { setImmediate as nextTurn } from 'node:timers/promises';
import { GroupCommit } from './group-commit.js';

/** Gate is a promise a test resolves when it chooses. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** record notes a written batch. */
function record(written: number[][], items: readonly number[]): Promise<void> {
  written.push([...items]);
  return Promise.resolve();
}

describe('GroupCommit', () => {
  it('writes the submissions of one turn of the event loop as one batch', async () => {
    const written: number[][] = [];
    const commit = new GroupCommit<number, void>({ write: (items) => record(written, items), apply: () => Promise.resolve() }, 100);
    await Promise.all([1, 2, 3, 4].map(async (n) => commit.submit(n)));
    expect(written).toEqual([[1, 2, 3, 4]]);
    expect(commit.writes).toBe(1);
  });

  it('cuts batches at maxBatch', async () => {
    const written: number[][] = [];
    const commit = new GroupCommit<number, void>({ write: (items) => record(written, items), apply: () => Promise.resolve() }, 3);
    await Promise.all([1, 2, 3, 4, 5, 6, 7].map(async (n) => commit.submit(n)));
    expect(written).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('collects what arrives during a write into the next batch', async () => {
    const firstWrite = gate();
    const written: number[][] = [];
    const commit = new GroupCommit<number, void>(
      {
        write: async (items) => {
          written.push([...items]);
          if (written.length === 1) await firstWrite.promise;
        },
        apply: () => Promise.resolve(),
      },
      100,
    );
    const first = commit.submit(1);
    await nextTurn();
    const later = [2, 3, 4].map(async (n) => commit.submit(n));
    await nextTurn();
    expect(written).toEqual([[1]]);
    firstWrite.open();
    await Promise.all([first, ...later]);
    expect(written).toEqual([[1], [2, 3, 4]]);
  });

  it('writes the next batch while the previous one is applied, and applies in order', async () => {
    const events: string[] = [];
    const applyFirst = gate();
    const commit = new GroupCommit<number, number>(
      {
        write: async (items) => {
          events.push(`write ${items.join(',')}`);
          return Promise.resolve(items.length);
        },
        apply: async (items, written) => {
          events.push(`apply ${items.join(',')} (${written})`);
          if (items[0] === 1) await applyFirst.promise;
          events.push(`applied ${items.join(',')}`);
        },
      },
      100,
    );
    const first = commit.submit(1);
    await nextTurn();
    await nextTurn();
    const second = commit.submit(2);
    await nextTurn();
    await nextTurn();
    expect(events).toEqual(['write 1', 'apply 1 (1)', 'write 2']);
    applyFirst.open();
    await Promise.all([first, second]);
    expect(events).toEqual(['write 1', 'apply 1 (1)', 'write 2', 'applied 1', 'apply 2 (1)', 'applied 2']);
  });

  it('rejects the items of a failed write or apply, and carries on with the next batch', async () => {
    let writes = 0;
    const commit = new GroupCommit<number, void>(
      {
        write: async (items) => {
          writes++;
          if (items.includes(1)) throw new Error('database is down');
          return Promise.resolve();
        },
        apply: async (items) => {
          if (items.includes(2)) throw new Error('apply failed');
          return Promise.resolve();
        },
      },
      1,
    );
    const results = await Promise.allSettled([1, 2, 3].map(async (n) => commit.submit(n)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect(results[0]).toMatchObject({ reason: new Error('database is down') });
    expect(results[1]).toMatchObject({ reason: new Error('apply failed') });
    expect(writes).toBe(3);
  });

  it('pauses writing while maxPending written batches wait for their apply', async () => {
    const applies = gate();
    let written = 0;
    const commit = new GroupCommit<number, void>({
        write: () => {
          written++;
          return Promise.resolve();
        },
        apply: () => applies.promise,
      }, 1, 2);
    const all = Promise.all([1, 2, 3, 4].map(async (n) => commit.submit(n)));
    for (let i = 0; i < 10; i++) await nextTurn();
    expect(written).toBe(2);
    applies.open();
    await all;
    expect(written).toBe(4);
  });

  it('rejects nonsensical sizes', () => {
    const stages = { write: async () => Promise.resolve(), apply: async () => Promise.resolve() };
    expect(() => new GroupCommit(stages, 0)).toThrow(RangeError);
    expect(() => new GroupCommit(stages, 1, 0)).toThrow(RangeError);
  });
});
