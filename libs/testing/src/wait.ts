import { setTimeout as sleep } from 'node:timers/promises';

/**
 * waitFor polls a condition until it holds, failing with the last observed value after the timeout.
 * Tests wait for a state (a counter reaching N, a checkpoint reaching a sequence), never a fixed time.
 */
export async function waitFor<T>(
  describe: string,
  probe: () => T | Promise<T>,
  holds: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await probe();
    if (holds(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${describe}; last value: ${JSON.stringify(last)}`);
    }
    await sleep(25);
  }
}
