import { setTimeout as sleep } from 'node:timers/promises';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type Consumer,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/nats-core';
import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { decodeMessage, describeDecodeError, type Topology } from '@lnfleet/contracts';
import { DEFAULT_REDELIVERY, redeliveryDelayMs, type RedeliveryPolicy } from './backoff.js';
import { JetStreamContext, type DeliveryFacts } from './context.js';
import { deadLetterHeaders, type DeadLetterReason } from './dead-letter.js';
import { JetStreamPublisher } from './publisher.js';
import { ensureStreams } from './streams.js';

/**
 * ConsumerBinding attaches a service to one stream through one durable pull consumer. Every
 * replica of the service binds the same durable, so JetStream splits the messages among them.
 */
export interface ConsumerBinding {
  /** stream is the stream's name (take it from Topology.streamName). */
  readonly stream: string;
  /** durable is the consumer's name, shared by all replicas of the service. */
  readonly durable: string;
  /** filterSubject narrows the stream (one subject: NATS 2.9 has no filter_subjects). */
  readonly filterSubject?: string;
  /** ackWaitMs is how long JetStream waits for an ack before redelivering. Default 30 s. */
  readonly ackWaitMs?: number;
  /** maxAckPending bounds un-acked messages across all replicas. Default 1,000. */
  readonly maxAckPending?: number;
  /** batchSize is how many messages one pull asks for. Default 256. */
  readonly batchSize?: number;
  /** concurrency is how many messages one replica handles at once. Default 1 (in order). */
  readonly concurrency?: number;
  readonly redelivery?: Partial<RedeliveryPolicy>;
}

/** ConsumerCounters counts what happened to the messages a binding received. */
export interface ConsumerCounters {
  handled: number;
  /** failed counts handler failures that were retried (nak with delay). */
  failed: number;
  deadLettered: number;
  /** ignored counts valid messages of a type this service has no handler for (acked). */
  ignored: number;
}

/** JetStreamServerOptions configures the transport. */
export interface JetStreamServerOptions {
  /** service names the consumer in dead letters and logs, e.g. 'chanfitness'. */
  readonly service: string;
  readonly topology: Topology;
  /** connection is shared with the app, or a factory whose connection this server owns and drains. */
  readonly connection: NatsConnection | (() => Promise<NatsConnection>);
  readonly bindings: readonly ConsumerBinding[];
  /** provisionStreams creates/updates the topology's streams at start. Default true. */
  readonly provisionStreams?: boolean;
}

/** FETCH_EXPIRES_MS bounds one pull request; it is also the longest close() waits for a pull. */
const FETCH_EXPIRES_MS = 1_000;

interface ActiveBinding {
  readonly binding: ConsumerBinding;
  readonly policy: RedeliveryPolicy;
  readonly counters: ConsumerCounters;
  /** inFlight holds this binding's handlers still running; its size is bounded by `concurrency`. */
  readonly inFlight: Set<Promise<void>>;
  loop?: Promise<void>;
}

/**
 * JetStreamServer is a NestJS transport that feeds `@EventPattern('<MessageType>')` handlers from
 * durable JetStream pull consumers.
 *
 * For each message it decodes the contract envelope, awaits the handler, and acks only after the
 * handler succeeded. A handler error naks with exponential backoff; after the policy's last
 * delivery the message is dead-lettered and terminated. A message that cannot be decoded (bad
 * JSON, unknown type, newer schema version, invalid field) is dead-lettered at once. Either way
 * the consumer moves on: bad input never stops the stream. A dead letter that cannot be stored is
 * not terminated, so the message comes back rather than being lost.
 */
export class JetStreamServer extends Server implements CustomTransportStrategy {
  private connection?: NatsConnection;
  private ownsConnection = false;
  private readonly active: ActiveBinding[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private deadLetters?: JetStreamPublisher;
  private closing = false;

  constructor(private readonly options: JetStreamServerOptions) {
    super();
  }

  /** listen connects, provisions streams and consumers, and starts pulling. */
  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      await this.start();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  private async start(): Promise<void> {
    const { connection } = this.options;
    if (typeof connection === 'function') {
      this.connection = await connection();
      this.ownsConnection = true;
    } else {
      this.connection = connection;
    }
    const jsm = await jetstreamManager(this.connection);
    if (this.options.provisionStreams ?? true) {
      await ensureStreams(jsm, Object.values(this.options.topology.streams()));
    }
    const js = jetstream(this.connection);
    this.deadLetters = new JetStreamPublisher(js, this.options.topology);
    for (const binding of this.options.bindings) {
      await ensureConsumer(jsm, binding);
      const active: ActiveBinding = {
        binding,
        policy: { ...DEFAULT_REDELIVERY, ...binding.redelivery },
        counters: { handled: 0, failed: 0, deadLettered: 0, ignored: 0 },
        inFlight: new Set(),
      };
      const consumer = await js.consumers.get(binding.stream, binding.durable);
      active.loop = this.pump(active, consumer);
      this.active.push(active);
    }
  }

  /** counters reports per-durable counts, for metrics and tests. */
  counters(): Record<string, ConsumerCounters> {
    return Object.fromEntries(this.active.map((a) => [`${a.binding.stream}/${a.binding.durable}`, { ...a.counters }]));
  }

  /** close stops pulling, waits for in-flight handlers to finish and ack, then drains if it owns the connection. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    // Each loop finishes its current pull (at most FETCH_EXPIRES_MS), handing back what it has not started.
    await Promise.all(this.active.map(async (a) => a.loop));
    await Promise.all([...this.inFlight]);
    // Acks are fire-and-forget publishes: flush so they reach the server before we report closed.
    if (this.connection !== undefined && !this.connection.isClosed()) await this.connection.flush();
    if (this.ownsConnection && this.connection !== undefined && !this.connection.isClosed()) {
      await this.connection.drain();
    }
  }

  /** isClosing reads the flag through a call so loops re-check it after every await. */
  private isClosing(): boolean {
    return this.closing;
  }

  on(): never {
    throw new Error('JetStreamServer does not emit events; use counters() for its state');
  }

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- signature fixed by Nest's Server
  unwrap<T>(): T {
    if (this.connection === undefined) throw new Error('JetStreamServer is not listening yet');
    return this.connection as T;
  }

  /**
   * pump pulls batches with bounded fetches rather than an open-ended consume(): every message a
   * fetch yields is either handled or handed back (nak) before the loop stops, so a shutdown never
   * strands pulled messages until their ack_wait expires.
   */
  private async pump(active: ActiveBinding, consumer: Consumer): Promise<void> {
    const limit = Math.max(1, active.binding.concurrency ?? 1);
    while (!this.closing) {
      let batch: ConsumerMessages;
      try {
        batch = await consumer.fetch({ max_messages: active.binding.batchSize ?? 256, expires: FETCH_EXPIRES_MS });
      } catch (error) {
        // NATS reconnecting or JetStream briefly unavailable: try again shortly.
        this.logger.warn(`fetch from ${active.binding.stream}/${active.binding.durable} failed: ${describeError(error)}`);
        await sleep(FETCH_EXPIRES_MS);
        continue;
      }
      try {
        for await (const msg of batch) {
          if (this.isClosing()) {
            // Not ours to finish: hand it back for another replica. Delayed past this pull's expiry:
            // an immediate nak is redelivered into this same pull request (still open on the server),
            // bouncing until the pull expires and using up the message's deliveries on the way.
            msg.nak(2 * FETCH_EXPIRES_MS);
            continue;
          }
          const task = this.process(active, msg).catch((error: unknown) => {
            // Only infrastructure errors land here (e.g. the connection closed mid-ack); JetStream
            // redelivers the message after ack_wait, so log and keep the loop alive.
            this.logger.error(`processing ${msg.subject} #${msg.info.streamSequence} failed: ${String(error)}`);
          });
          this.inFlight.add(task);
          active.inFlight.add(task);
          void task.finally(() => {
            this.inFlight.delete(task);
            active.inFlight.delete(task);
          });
          // Per binding: a handler of another binding finishing must not let this one run more.
          if (active.inFlight.size >= limit) await Promise.race(active.inFlight);
        }
      } catch (error) {
        // The pull ended early (heartbeats missed while the event loop was busy, the consumer deleted):
        // what it had not yielded comes back after ack_wait. Keep the loop alive and pull again.
        this.logger.warn(`pull from ${active.binding.stream}/${active.binding.durable} ended early: ${describeError(error)}`);
      }
    }
  }

  private async process(active: ActiveBinding, msg: JsMsg): Promise<void> {
    const { counters, policy } = active;
    const deliveries = msg.info.deliveryCount;
    if (deliveries > policy.maxDeliveries) {
      // Reached only if the handler never reported back (e.g. it crashed the process repeatedly).
      await this.deadLetter(active, msg, 'delivery-limit', `delivered ${deliveries} times without an outcome`);
      return;
    }
    const decoded = decodeMessage(msg.data);
    if (!decoded.ok) {
      await this.deadLetter(active, msg, 'undecodable', describeDecodeError(decoded.error));
      return;
    }
    // Patterns are plain type names, stored as they are: a direct lookup. (getHandlerByPattern
    // first tries JSON.parse on every pattern, and the exception that throws costs ~7 µs a message.)
    const handler = this.messageHandlers.get(decoded.message.type) ?? null;
    if (handler === null) {
      counters.ignored++;
      msg.ack();
      return;
    }
    const facts: DeliveryFacts = {
      stream: msg.info.stream,
      consumer: msg.info.consumer,
      subject: msg.subject,
      streamSequence: msg.info.streamSequence,
      deliveryCount: deliveries,
      publishedAtMs: Math.floor(msg.info.timestampNanos / 1e6),
    };
    // Tell JetStream we are still working so a slow handler is not redelivered to another replica.
    const ackWaitMs = active.binding.ackWaitMs ?? 30_000;
    const keepAlive = setInterval(() => {
      msg.working();
    }, Math.max(1_000, ackWaitMs / 2));
    try {
      const result: unknown = await handler(decoded.message, new JetStreamContext([facts]));
      await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
      clearInterval(keepAlive);
      counters.handled++;
      msg.ack();
    } catch (error) {
      clearInterval(keepAlive);
      const detail = describeError(error);
      if (deliveries >= policy.maxDeliveries) {
        await this.deadLetter(active, msg, 'handler-failed', `failed ${deliveries} times, last: ${detail}`);
        return;
      }
      counters.failed++;
      const delay = redeliveryDelayMs(policy, deliveries);
      this.logger.warn(`${decoded.message.type} #${facts.streamSequence} failed (delivery ${deliveries}), retrying in ${delay} ms: ${detail}`);
      msg.nak(delay);
    }
  }

  private async deadLetter(active: ActiveBinding, msg: JsMsg, reason: DeadLetterReason, error: string): Promise<void> {
    const { stream, durable } = active.binding;
    const sequence = msg.info.streamSequence;
    const publisher = this.deadLetters;
    if (publisher === undefined) throw new Error('dead-letter publisher missing before start');
    try {
      await publisher.publishRaw(
        this.options.topology.deadLetterSubject(this.options.service, stream),
        msg.data,
        `dlq-${stream}-${sequence}-${durable}`,
        undefined,
        deadLetterHeaders({
          sourceStream: stream,
          sourceSequence: sequence,
          sourceSubject: msg.subject,
          consumer: durable,
          reason,
          error,
          deliveries: msg.info.deliveryCount,
        }),
      );
    } catch (publishError) {
      // Keep the message: without its dead letter, terminating it would lose it.
      this.logger.error(`could not dead-letter ${stream} #${sequence}; will retry: ${String(publishError)}`);
      msg.nak(redeliveryDelayMs(active.policy, msg.info.deliveryCount));
      return;
    }
    active.counters.deadLettered++;
    this.logger.warn(`dead-lettered ${stream} #${sequence} (${msg.subject}): ${reason}: ${error}`);
    // No reason text: NATS 2.9 ignores "+TERM <reason>" (reasons arrived in 2.10.4), leaving the message pending.
    msg.term();
  }
}

/**
 * ensureConsumer creates the durable pull consumer or updates its tunables. Its filter cannot
 * change in place on NATS 2.9, so a changed filter is an error that names both filters.
 */
export async function ensureConsumer(jsm: JetStreamManager, binding: ConsumerBinding): Promise<void> {
  const wanted: Partial<ConsumerConfig> = {
    durable_name: binding.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(binding.ackWaitMs ?? 30_000),
    // Redeliveries are bounded by our own policy (which dead-letters), not by the server, which
    // would silently stop delivering a message after max_deliver.
    max_deliver: -1,
    max_ack_pending: binding.maxAckPending ?? 1_000,
    ...(binding.filterSubject !== undefined ? { filter_subject: binding.filterSubject } : {}),
  };
  try {
    const info = await jsm.consumers.info(binding.stream, binding.durable);
    const currentFilter = info.config.filter_subject ?? '';
    if (currentFilter !== (binding.filterSubject ?? '')) {
      throw new Error(
        `consumer ${binding.stream}/${binding.durable} filters "${currentFilter}", not "${binding.filterSubject ?? ''}"; ` +
          'delete it (or use a new durable name) to change the filter',
      );
    }
    if (info.config.ack_wait !== wanted.ack_wait || info.config.max_ack_pending !== wanted.max_ack_pending) {
      await jsm.consumers.update(binding.stream, binding.durable, {
        ack_wait: wanted.ack_wait,
        max_ack_pending: wanted.max_ack_pending,
      });
    }
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound)) throw error;
    await jsm.consumers.add(binding.stream, wanted);
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}
