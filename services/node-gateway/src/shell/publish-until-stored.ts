import { setTimeout as sleep } from 'node:timers/promises';
import type { Envelope } from '@lnfleet/contracts';

/** Publisher is the part of JetStreamPublisher the gateway needs (tests pass a fake). */
export interface Publisher {
  publish(message: Envelope): Promise<unknown>;
}

/** RetryLogger receives one warning when an outage starts and one line when it ends. */
export interface RetryLogger {
  warn(message: string): void;
  log(message: string): void;
}

/** PublishRetryOptions bound the waits between attempts. */
export interface PublishRetryOptions {
  /** firstDelayMs is the first wait; it doubles up to maxDelayMs. Default 500 ms. */
  readonly firstDelayMs?: number;
  /** maxDelayMs caps the wait. Default 15 s. */
  readonly maxDelayMs?: number;
}

/**
 * publishUntilStored publishes a fact and, while NATS is unreachable or JetStream refuses, keeps
 * trying with growing waits until it is stored or `signal` aborts (then it rejects with the
 * abort reason). A node fact must never be dropped because NATS was down: the gateway holds it
 * (and everything after it, in order) until it is stored. Its deterministic id makes every retry
 * safe.
 */
export async function publishUntilStored(publisher: Publisher, message: Envelope, signal: AbortSignal, logger: RetryLogger, options: PublishRetryOptions = {}): Promise<void> {
  const first = options.firstDelayMs ?? 500;
  const max = options.maxDelayMs ?? 15_000;
  for (let attempt = 1; ; attempt++) {
    signal.throwIfAborted();
    try {
      await publisher.publish(message);
      if (attempt > 1) logger.log(`published ${message.type} ${message.id} after ${attempt} attempts`);
      return;
    } catch (error) {
      signal.throwIfAborted();
      if (attempt === 1) logger.warn(`cannot publish ${message.type} ${message.id}, retrying until NATS takes it: ${error instanceof Error ? error.message : String(error)}`);
      await sleep(Math.min(max, first * 2 ** Math.min(attempt - 1, 20)), undefined, { signal });
    }
  }
}
