import { KeyedQueue } from './keyed-queue.js';

/** gate returns a promise and the function that resolves it, to hold a task until the test says so. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('KeyedQueue', () => {
  it('runs one key’s tasks one after another, in submission order', async () => {
    const queue = new KeyedQueue();
    const order: string[] = [];
    const first = gate();
    const a = queue.run('node', async () => {
      await first.promise;
      order.push('a');
    });
    const b = queue.run('node', () => {
      order.push('b');
      return Promise.resolve();
    });
    await Promise.resolve();
    expect(order).toEqual([]);
    first.open();
    await Promise.all([a, b]);
    expect(order).toEqual(['a', 'b']);
  });

  it('lets other keys run while one key waits', async () => {
    const queue = new KeyedQueue();
    const held = gate();
    const slow = queue.run('one', () => held.promise);
    await expect(queue.run('two', () => Promise.resolve('done'))).resolves.toBe('done');
    held.open();
    await slow;
  });

  it('runs the next task after a failed one and reports each outcome to its caller', async () => {
    const queue = new KeyedQueue();
    const failed = queue.run('node', () => Promise.reject(new Error('boom')));
    const next = queue.run('node', () => Promise.resolve(2));
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe(2);
  });

  it('forgets a key once its tasks are done', async () => {
    const queue = new KeyedQueue();
    await queue.run('node', () => Promise.resolve());
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.size).toBe(0);
  });
});
