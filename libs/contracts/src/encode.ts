import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { EnvelopeHeader, MessageDefinition, MessageOf } from './envelope.js';

/** MessageValidationError is thrown when code builds a message that breaks its own contract. */
export class MessageValidationError extends Error {
  override readonly name = 'MessageValidationError';
  constructor(
    readonly type: string,
    readonly field: string,
    detail: string,
  ) {
    super(`${type}: invalid ${field === '' ? 'message' : field}: ${detail}`);
  }
}

/** MessageFields is what a producer supplies; `type` and `schemaVersion` come from the definition. */
export type MessageFields<D extends MessageDefinition> = Omit<EnvelopeHeader, 'type' | 'schemaVersion' | 'correlationId'> & {
  /** correlationId defaults to the message's own id (a root message starts its workflow). */
  correlationId?: string;
  data: z.input<D['data']>;
};

/**
 * createMessage builds and validates a message of one type. Producing an invalid message is a bug
 * in the producer, so it throws (unlike decoding, which reports).
 */
export function createMessage<D extends MessageDefinition>(definition: D, fields: MessageFields<D>): MessageOf<D> {
  const candidate = {
    id: fields.id,
    type: definition.type,
    schemaVersion: definition.schemaVersion,
    nodeId: fields.nodeId,
    occurredAt: fields.occurredAt,
    causationId: fields.causationId,
    correlationId: fields.correlationId ?? fields.id,
    data: fields.data,
  };
  const result = definition.envelope.safeParse(candidate);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new MessageValidationError(definition.type, issue?.path.map(String).join('.') ?? '', issue?.message ?? 'invalid');
  }
  return result.data as MessageOf<D>;
}

const textEncoder = new TextEncoder();

/** encodeMessage serialises a message as UTF-8 JSON, the wire format on every stream. */
export function encodeMessage(message: { readonly type: string }): Uint8Array {
  return textEncoder.encode(JSON.stringify(message));
}

/**
 * deterministicId derives a message id from the facts that identify it, so that publishing the
 * same fact twice (after a restart, a reconnect or a retry) yields the same id and JetStream's
 * de-duplication drops the copy. Parts are length-prefixed so ("ab","c") and ("a","bc") differ.
 */
export function deterministicId(kind: string, ...parts: ReadonlyArray<string | number | bigint>): string {
  const hash = createHash('sha256');
  for (const part of [kind, ...parts]) {
    const text = String(part);
    hash.update(`${Buffer.byteLength(text)}:${text};`);
  }
  return `${kind}-${hash.digest('hex').slice(0, 40)}`;
}
