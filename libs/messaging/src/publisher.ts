import { setTimeout as sleep } from 'node:timers/promises';
import type { JetStreamClient, JetStreamPublishOptions } from '@nats-io/jetstream';
import { definitionOf, encodeMessage, type DerivedService, type Envelope, type Topology } from '@lnfleet/contracts';

/** PublishFailedError says a message could not be stored after every retry; nothing was lost silently. */
export class PublishFailedError extends Error {
  override readonly name = 'PublishFailedError';
  constructor(
    readonly subject: string,
    readonly messageId: string,
    readonly attempts: number,
    cause: unknown,
  ) {
    super(
      `could not publish ${messageId} to ${subject} after ${attempts} attempt(s): ${describeCause(cause)}`,
      { cause },
    );
  }
}

/** PublishReceipt is JetStream's answer: where the message is stored, and whether it was a duplicate. */
export interface PublishReceipt {
  readonly stream: string;
  readonly sequence: number;
  /** duplicate is true when a message with the same id was already stored within the window. */
  readonly duplicate: boolean;
}

/** PublisherOptions tunes retries; defaults ride out a NATS restart of ~30 s. */
export interface PublisherOptions {
  /** attempts before giving up. Default 8. */
  readonly attempts?: number;
  /** ackTimeoutMs is how long to wait for JetStream's ack per attempt. Default 5 s. */
  readonly ackTimeoutMs?: number;
  /** retryDelayMs is the first wait between attempts; it doubles, up to 5 s. Default 250 ms. */
  readonly retryDelayMs?: number;
}

/** PublishExpectations are optimistic-concurrency checks JetStream applies before storing. */
export interface PublishExpectations {
  /** lastSubjectSequence rejects the publish unless the subject's last message has this sequence. */
  readonly lastSubjectSequence?: number;
}

/**
 * JetStreamPublisher publishes contract messages with their id as the JetStream message id, so a
 * re-publish of the same fact within the stream's duplicate window is stored once, and waits for
 * JetStream's acknowledgement: a resolved publish is durable. Transient failures (timeouts, no
 * JetStream responder during a restart, reconnects) are retried with backoff; anything else
 * (a rejected expectation, a closed connection) fails at once.
 */
export class JetStreamPublisher {
  private readonly attempts: number;
  private readonly ackTimeoutMs: number;
  private readonly retryDelayMs: number;

  constructor(
    private readonly js: JetStreamClient,
    readonly topology: Topology,
    options: PublisherOptions = {},
  ) {
    this.attempts = options.attempts ?? 8;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 5_000;
    this.retryDelayMs = options.retryDelayMs ?? 250;
  }

  /**
   * publish sends a catalogued message to its subject: a derived event (one whose definition names
   * `derivedBy`) to that service's derived subject, a command to the command stream, any other
   * event to the node-events stream.
   */
  async publish(message: Envelope, expect?: PublishExpectations): Promise<PublishReceipt> {
    const definition = definitionOf(message.type);
    if (definition === undefined) throw new Error(`cannot publish unknown message type "${message.type}"`);
    const subject =
      definition.derivedBy !== undefined
        ? this.topology.derivedSubject(definition.derivedBy, message.nodeId, message.type)
        : this.topology.subjectFor(message, definition.kind);
    return this.publishTo(subject, message, expect);
  }

  /** publishDerived sends something a service derived (a decision, a fitness change) to its subject. */
  async publishDerived(service: DerivedService, message: Envelope, expect?: PublishExpectations): Promise<PublishReceipt> {
    return this.publishTo(this.topology.derivedSubject(service, message.nodeId, message.type), message, expect);
  }

  /** publishTo sends a message to an explicit subject. */
  async publishTo(subject: string, message: Envelope, expect?: PublishExpectations): Promise<PublishReceipt> {
    return this.publishRaw(subject, encodeMessage(message), message.id, expect);
  }

  /** publishRaw sends bytes under a message id (used for dead letters, whose payload may be junk). */
  async publishRaw(
    subject: string,
    payload: Uint8Array,
    messageId: string,
    expect?: PublishExpectations,
    headers?: JetStreamPublishOptions['headers'],
  ): Promise<PublishReceipt> {
    const options: Partial<JetStreamPublishOptions> = { msgID: messageId, timeout: this.ackTimeoutMs };
    if (expect?.lastSubjectSequence !== undefined) options.expect = { lastSubjectSequence: expect.lastSubjectSequence };
    if (headers !== undefined) options.headers = headers;
    let lastError: unknown;
    let attempts = 0;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      attempts = attempt;
      try {
        const ack = await this.js.publish(subject, payload, options);
        return { stream: ack.stream, sequence: ack.seq, duplicate: ack.duplicate };
      } catch (error) {
        lastError = error;
        if (!isTransient(error) || attempt === this.attempts) break;
        await sleep(Math.min(5_000, this.retryDelayMs * 2 ** (attempt - 1)));
      }
    }
    throw new PublishFailedError(subject, messageId, attempts, lastError);
  }
}

const TRANSIENT_ERRORS = new Set(['TimeoutError', 'RequestError', 'ConnectionError', 'JetStreamNotEnabled']);

/** isTransient tells failures worth retrying (NATS busy, restarting or unreachable for a moment). */
export function isTransient(error: unknown): boolean {
  return error instanceof Error && TRANSIENT_ERRORS.has(error.name);
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  if (cause.name === 'JetStreamNotEnabled') return 'no JetStream stream answered for this subject (is JetStream enabled and the stream provisioned?)';
  if (cause.name === 'TimeoutError') return 'timed out waiting for JetStream (is NATS reachable?)';
  return `${cause.name}: ${cause.message}`;
}
