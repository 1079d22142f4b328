import { DeliverPolicy, JetStreamApiCodes, JetStreamApiError, type Consumer, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { decodeMessage, definitionOf, type DecodeError, type KnownMessage } from '@lnfleet/contracts';
import { NotFoundError } from './errors.js';

/** SourceSpec names what to read: one stream, one filter (NATS 2.9 takes one per consumer). */
export interface SourceSpec {
  readonly stream: string;
  readonly filterSubject: string;
  /**
   * types, when given, are the message types worth decoding. A message's type is the last token
   * of its subject (every publisher puts it there: Topology.nodeEventSubject, derivedSubject); a
   * message whose subject names another catalogued type is passed on undecoded (`skipped`), so
   * a replay does not parse and validate what its fold would drop. A subject that names no
   * catalogued type is decoded (and reported as undecodable if it is not a message).
   */
  readonly types?: ReadonlySet<string>;
}

/** ReadMessage is one stored message, decoded, with where and when the stream stored it. */
export interface ReadMessage {
  readonly stream: string;
  readonly sequence: number;
  /** storedAtMs is when JetStream stored the message. */
  readonly storedAtMs: number;
  /** message is the decoded message, or undefined when it cannot be decoded (see `error`) or was skipped. */
  readonly message: KnownMessage | undefined;
  readonly error: DecodeError | undefined;
  /** skipped says the message was not decoded: its subject names a type the reader was not asked for. */
  readonly skipped: boolean;
}

/** ReaderStart says where reading begins: the first message, or the first stored at or after a time. */
export type ReaderStart = { readonly kind: 'first' } | { readonly kind: 'time'; readonly atMs: number } | { readonly kind: 'sequence'; readonly sequence: number };

/**
 * OrderedReader reads one filtered stream in stream order with an ordered consumer: an ephemeral
 * consumer the server forgets when we leave, which the client re-creates at the right place if a
 * message goes missing. It leaves no durable behind and acknowledges nothing, so the services'
 * own consumers are untouched. `pending` after each batch says how much of the stream (as it is
 * now) is left; 0 means the reader has caught up.
 *
 * With `readAhead`, the reader fetches the next batch as soon as it hands one out (while the
 * caller folds and writes it), whenever the stream has more: at most one batch waits.
 */
export class OrderedReader {
  private consumer?: Consumer;
  private lastSequence = 0;
  private remaining: number | undefined;
  /** ahead is the batch being read ahead (its failure is reported by the next `next` or `waiting`). */
  private ahead: Promise<ReadMessage[]> | undefined;

  constructor(
    private readonly js: JetStreamClient,
    readonly source: SourceSpec,
    private readonly start: ReaderStart = { kind: 'first' },
    private readonly options: { readonly readAhead?: boolean } = {},
  ) {}

  /** pending is how many matching messages were left after the last batch (undefined before the first). */
  get pending(): number | undefined {
    return this.remaining;
  }

  /** position is the stream sequence of the last message read (0 before any). */
  get position(): number {
    return this.lastSequence;
  }

  /**
   * waiting asks the server how many matching messages are stored beyond what was read (no
   * waiting for a fetch to expire), e.g. to tell whether the reader has caught up. A batch read
   * ahead counts as not read yet.
   */
  async waiting(): Promise<number> {
    const held = this.ahead === undefined ? 0 : (await this.ahead).length;
    const consumer = await this.open();
    const info = await consumer.info(false);
    return held + info.num_pending;
  }

  /**
   * next reads up to `max` messages. It returns as soon as the stream has nothing more, or after
   * `waitMs` (at least 1000, the client's minimum) when nothing came at all; an empty batch means
   * the reader is caught up.
   */
  async next(max: number, waitMs = 1_000): Promise<ReadMessage[]> {
    const ahead = this.ahead;
    this.ahead = undefined;
    const batch = await (ahead ?? this.fetch(max, waitMs));
    if (this.options.readAhead === true && batch.length > 0 && (this.remaining ?? 0) > 0) {
      const next = this.fetch(max, waitMs);
      // Handled when the batch is taken; until then a failure must not go unhandled.
      next.catch(() => undefined);
      this.ahead = next;
    }
    return batch;
  }

  private async fetch(max: number, waitMs: number): Promise<ReadMessage[]> {
    const consumer = await this.open();
    const batch: ReadMessage[] = [];
    const messages = await consumer.fetch({ max_messages: max, expires: Math.max(1_000, waitMs) });
    const types = this.source.types;
    for await (const raw of messages) {
      batch.push(types === undefined ? read(raw) : readIfWanted(raw, types));
      this.remaining = raw.info.pending;
      this.lastSequence = raw.seq;
      // Stop at the end of what is stored: the fetch would otherwise wait for new messages.
      if (raw.info.pending === 0) messages.stop();
    }
    if (batch.length === 0) this.remaining = 0;
    return batch;
  }

  private async open(): Promise<Consumer> {
    if (this.consumer !== undefined) return this.consumer;
    const options =
      this.start.kind === 'time'
        ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(this.start.atMs).toISOString() }
        : this.start.kind === 'sequence'
          ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.start.sequence }
          : { deliver_policy: DeliverPolicy.All };
    try {
      this.consumer = await this.js.consumers.get(this.source.stream, { filter_subjects: this.source.filterSubject, ...options });
    } catch (error) {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) throw missingStream(this.source.stream);
      if (error instanceof Error && /stream not found/i.test(error.message)) throw missingStream(this.source.stream);
      throw error;
    }
    return this.consumer;
  }
}

/** readAll reads a filtered stream from its start to its current end. */
export async function readAll(js: JetStreamClient, source: SourceSpec, batchSize = 1_000): Promise<ReadMessage[]> {
  const reader = new OrderedReader(js, source);
  const all: ReadMessage[] = [];
  for (;;) {
    const batch = await reader.next(batchSize);
    all.push(...batch);
    if (batch.length === 0 || reader.pending === 0) return all;
  }
}

function read(raw: JsMsg): ReadMessage {
  const decoded = decodeMessage(raw.data);
  return {
    stream: raw.info.stream,
    sequence: raw.seq,
    storedAtMs: Math.floor(raw.info.timestampNanos / 1_000_000),
    message: decoded.ok ? decoded.message : undefined,
    error: decoded.ok ? undefined : decoded.error,
    skipped: false,
  };
}

/** readIfWanted decodes a message unless its subject names a catalogued type not in `types`. */
function readIfWanted(raw: JsMsg, types: ReadonlySet<string>): ReadMessage {
  const subject = raw.subject;
  const type = subject.slice(subject.lastIndexOf('.') + 1);
  if (types.has(type) || definitionOf(type) === undefined) return read(raw);
  return { stream: raw.info.stream, sequence: raw.seq, storedAtMs: Math.floor(raw.info.timestampNanos / 1_000_000), message: undefined, error: undefined, skipped: true };
}

function missingStream(stream: string): NotFoundError {
  return new NotFoundError(`stream ${stream} does not exist on this NATS server: no service has run with this LNFLEET_NAMESPACE yet, or NATS_URL points at another server`);
}
