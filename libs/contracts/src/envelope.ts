import { z } from 'zod';
import { MessageId, Pubkey, Timestamp } from './primitives.js';
import type { DerivedService } from './topology.js';

/** MessageKind separates facts (events, past tense) from requests to act (commands, imperative). */
export type MessageKind = 'event' | 'command';

/**
 * EnvelopeHeader is what every message carries around its data. The JetStream stream sequence is
 * not part of it: that is the message's position, assigned by the server and kept by consumers.
 */
export const EnvelopeHeader = z.strictObject({
  id: MessageId,
  type: z.string().min(1).describe('message type, e.g. ChannelOpened'),
  schemaVersion: z.int().positive().describe('version of this type\'s data schema'),
  nodeId: Pubkey.describe('the managed node the message is about'),
  occurredAt: Timestamp.describe('when the fact happened (events) or was requested (commands)'),
  causationId: MessageId.nullable().describe('id of the message that caused this one, null for a root'),
  correlationId: MessageId.describe('id shared by every message of one workflow (the root message id)'),
});
export type EnvelopeHeader = z.infer<typeof EnvelopeHeader>;

/** Envelope is a complete message of one type. */
export type Envelope<TType extends string = string, TData = unknown> = Omit<EnvelopeHeader, 'type'> & {
  type: TType;
  data: TData;
};

/** MessageDefinition describes one message type: its name, kind, current version and data schema. */
export interface MessageDefinition<TType extends string = string, TData extends z.ZodType = z.ZodType> {
  readonly type: TType;
  readonly kind: MessageKind;
  /** schemaVersion is the version producers write; decoders accept it and nothing newer. */
  readonly schemaVersion: number;
  readonly description: string;
  /**
   * derivedBy names the service that publishes this event on the derived stream (a decision, a
   * fitness change), for events that are not facts observed on a node; undefined for node facts
   * and commands.
   */
  readonly derivedBy?: DerivedService;
  readonly data: TData;
  /** envelope validates a whole message of this type. */
  readonly envelope: z.ZodType<Envelope<TType, z.infer<TData>>>;
}

/** MessageOf is the envelope type of a definition, e.g. `MessageOf<typeof ChannelOpened>`. */
export type MessageOf<D> = D extends MessageDefinition<infer TType, infer TData> ? Envelope<TType, z.infer<TData>> : never;

/** DataOf is the data type of a definition. */
export type DataOf<D> = D extends MessageDefinition<string, infer TData> ? z.infer<TData> : never;

/** defineMessage declares a message type; the catalogue is the list of these declarations. */
export function defineMessage<const TType extends string, TData extends z.ZodType>(spec: {
  type: TType;
  kind: MessageKind;
  schemaVersion: number;
  description: string;
  derivedBy?: DerivedService;
  data: TData;
}): MessageDefinition<TType, TData> {
  const envelope = EnvelopeHeader.extend({
    type: z.literal(spec.type),
    schemaVersion: z.literal(spec.schemaVersion),
    data: spec.data,
  }) as unknown as z.ZodType<Envelope<TType, z.infer<TData>>>;
  return { ...spec, envelope };
}
