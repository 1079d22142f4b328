import type { z } from 'zod';
import { definitionOf, type KnownMessage } from './catalogue.js';
import { EnvelopeHeader } from './envelope.js';

/**
 * Why a message could not be decoded. Consumers dead-letter all of these; `UNKNOWN_TYPE` and
 * `UNSUPPORTED_VERSION` usually mean a producer is newer than this consumer, and the message can
 * be replayed once the consumer is upgraded.
 */
export type DecodeErrorCode = 'MALFORMED_JSON' | 'INVALID_ENVELOPE' | 'UNKNOWN_TYPE' | 'UNSUPPORTED_VERSION' | 'INVALID_DATA';

/** DecodeError describes one rejected message; `field` names the offending field as a dotted path. */
export interface DecodeError {
  readonly code: DecodeErrorCode;
  /** field is the dotted path of the first offending field (`data.channelPoint`), or '' for the whole. */
  readonly field: string;
  readonly message: string;
  /** type is the message type when the envelope was readable enough to tell. */
  readonly type?: string;
}

/** DecodeResult is either a validated message or the reason it was rejected; decoding never throws. */
export type DecodeResult<T = KnownMessage> = { ok: true; message: T } | { ok: false; error: DecodeError };

const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** decodeMessage parses and validates raw bytes (or a string) as a catalogued message. */
export function decodeMessage(raw: Uint8Array | string): DecodeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof raw === 'string' ? raw : textDecoder.decode(raw));
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return failure('MALFORMED_JSON', '', `payload is not UTF-8 JSON: ${reason}`);
  }
  return validateMessage(parsed);
}

/** validateMessage validates an already-parsed value as a catalogued message. */
export function validateMessage(value: unknown): DecodeResult {
  const header = EnvelopeHeader.safeParse(stripData(value));
  if (!header.success) {
    return failure('INVALID_ENVELOPE', ...firstIssue(header.error), typeOf(value));
  }
  const { type, schemaVersion } = header.data;
  const definition = definitionOf(type);
  if (definition === undefined) {
    return failure('UNKNOWN_TYPE', 'type', `unknown message type "${type}"`, type);
  }
  if (schemaVersion !== definition.schemaVersion) {
    const newer = schemaVersion > definition.schemaVersion;
    return failure(
      'UNSUPPORTED_VERSION',
      'schemaVersion',
      `${type} schemaVersion ${schemaVersion} is ${newer ? 'newer than' : 'older than'} the supported version ${definition.schemaVersion}`,
      type,
    );
  }
  if (typeof value !== 'object' || value === null || !('data' in value)) {
    return failure('INVALID_DATA', 'data', 'data is required', type);
  }
  // The header is valid already: check only the data against the type's schema (the envelope
  // schema would check the header a second time, which costs as much again on every message).
  const data = definition.data.safeParse(value.data);
  if (!data.success) {
    const [field, message] = firstIssue(data.error);
    return failure('INVALID_DATA', field === '' ? 'data' : `data.${field}`, message, type);
  }
  return { ok: true, message: { ...header.data, data: data.data } as KnownMessage };
}

/** describeDecodeError renders an error as one line for logs and dead-letter records. */
export function describeDecodeError(error: DecodeError): string {
  const where = error.field === '' ? '' : ` at ${error.field}`;
  const what = error.type === undefined ? '' : ` (${error.type})`;
  return `${error.code}${what}${where}: ${error.message}`;
}

function stripData(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const { data: _data, ...header } = value as Record<string, unknown>;
  return header;
}

function typeOf(value: unknown): string | undefined {
  if (typeof value === 'object' && value !== null && 'type' in value) {
    const type = (value).type;
    if (typeof type === 'string') return type;
  }
  return undefined;
}

function firstIssue(error: z.ZodError): [field: string, message: string] {
  const issue = error.issues[0];
  if (issue === undefined) return ['', 'invalid'];
  const field = issue.path.map(String).join('.');
  const keys = issue.code === 'unrecognized_keys' ? `: ${issue.keys.join(', ')}` : '';
  return [field, `${issue.message}${keys}`];
}

function failure(code: DecodeErrorCode, field: string, message: string, type?: string): { ok: false; error: DecodeError } {
  return { ok: false, error: type === undefined ? { code, field, message } : { code, field, message, type } };
}
