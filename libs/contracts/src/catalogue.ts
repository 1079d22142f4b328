import type { MessageDefinition, MessageOf } from './envelope.js';
import { AutopilotDecision, AutopilotPolicySet } from './messages/autopilot.js';
import { OpenChannel } from './messages/commands.js';
import { BackupStored, PeerFitnessChanged } from './messages/derived-events.js';
import {
  BalanceChanged,
  ChannelBackupUpdated,
  ChannelClosed,
  ChannelOpened,
  ChannelOpenFailed,
  ChannelOpenPending,
  ChannelOpenRequested,
  ChannelResolved,
  GraphSnapshotPublished,
  NodeStateSnapshot,
  PeerOffline,
  PeerOnline,
} from './messages/node-events.js';

/**
 * Catalogue lists every message type the system speaks. Adding a message means declaring it with
 * defineMessage and adding it here; the generated CATALOGUE.md and the decoder follow.
 */
export const Catalogue = [
  ChannelOpenPending,
  ChannelOpened,
  ChannelClosed,
  ChannelResolved,
  PeerOnline,
  PeerOffline,
  BalanceChanged,
  NodeStateSnapshot,
  ChannelBackupUpdated,
  ChannelOpenRequested,
  ChannelOpenFailed,
  GraphSnapshotPublished,
  OpenChannel,
  PeerFitnessChanged,
  AutopilotPolicySet,
  AutopilotDecision,
  BackupStored,
] as const;

/** KnownMessage is the union of every message in the catalogue, discriminated by `type`. */
export type KnownMessage = MessageOf<(typeof Catalogue)[number]>;

/** MessageType is the name of any catalogued message. */
export type MessageType = KnownMessage['type'];

/** MessageByType picks one message type out of the union. */
export type MessageByType<T extends MessageType> = Extract<KnownMessage, { type: T }>;

const definitionsByType: ReadonlyMap<string, MessageDefinition> = new Map(
  Catalogue.map((definition) => [definition.type, definition as MessageDefinition]),
);

/** definitionOf returns the definition of a catalogued type, or undefined for an unknown one. */
export function definitionOf(type: string): MessageDefinition | undefined {
  return definitionsByType.get(type);
}
