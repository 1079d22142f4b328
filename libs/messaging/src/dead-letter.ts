import { headers as createHeaders, type MsgHdrs } from '@nats-io/nats-core';

/**
 * Dead letters keep the rejected message's raw payload as their body and say where it came from
 * and why in headers, so an operator can inspect it and a tool can replay it after a fix.
 */
export const DeadLetterHeaders = {
  sourceStream: 'Lnfleet-Source-Stream',
  sourceSequence: 'Lnfleet-Source-Sequence',
  sourceSubject: 'Lnfleet-Source-Subject',
  consumer: 'Lnfleet-Consumer',
  reason: 'Lnfleet-Reason',
  error: 'Lnfleet-Error',
  deliveries: 'Lnfleet-Deliveries',
} as const;

/** DeadLetterReason says which rule rejected a message. */
export type DeadLetterReason = 'undecodable' | 'handler-failed' | 'delivery-limit';

/** DeadLetter is one rejected message with its origin and the error that rejected it. */
export interface DeadLetter {
  readonly sourceStream: string;
  readonly sourceSequence: number;
  readonly sourceSubject: string;
  readonly consumer: string;
  readonly reason: DeadLetterReason;
  readonly error: string;
  readonly deliveries: number;
  readonly payload: Uint8Array;
}

/** deadLetterHeaders writes a dead letter's origin into NATS headers (errors truncated to 4 KiB). */
export function deadLetterHeaders(letter: Omit<DeadLetter, 'payload'>): MsgHdrs {
  const h = createHeaders();
  h.set(DeadLetterHeaders.sourceStream, letter.sourceStream);
  h.set(DeadLetterHeaders.sourceSequence, String(letter.sourceSequence));
  h.set(DeadLetterHeaders.sourceSubject, letter.sourceSubject);
  h.set(DeadLetterHeaders.consumer, letter.consumer);
  h.set(DeadLetterHeaders.reason, letter.reason);
  // Header values are single lines.
  h.set(DeadLetterHeaders.error, letter.error.replace(/[\r\n]+/g, ' ').slice(0, 4096));
  h.set(DeadLetterHeaders.deliveries, String(letter.deliveries));
  return h;
}

/** readDeadLetter reads a dead letter back from a stored message's headers and body. */
export function readDeadLetter(message: {
  /** headers as a consumed JsMsg has them, or `header` as a StoredMsg from getMessage has them. */
  readonly headers?: MsgHdrs | undefined;
  readonly header?: MsgHdrs | undefined;
  readonly data: Uint8Array;
}): DeadLetter {
  const h = message.headers ?? message.header;
  const get = (name: string): string => h?.get(name) ?? '';
  return {
    sourceStream: get(DeadLetterHeaders.sourceStream),
    sourceSequence: Number(get(DeadLetterHeaders.sourceSequence)),
    sourceSubject: get(DeadLetterHeaders.sourceSubject),
    consumer: get(DeadLetterHeaders.consumer),
    reason: get(DeadLetterHeaders.reason) as DeadLetterReason,
    error: get(DeadLetterHeaders.error),
    deliveries: Number(get(DeadLetterHeaders.deliveries)),
    payload: message.data,
  };
}
