import { evolveAll, initialNodeFitness, type FitnessEvent, type FoldEvent, type NodeFitness, type NodeFitnessOptions } from './node-fitness.js';
import type { EpochMs } from './time.js';

/**
 * The event log of one node, in log order. `evolve` must see a node's events in one fixed order,
 * but a stream delivers them late, twice, or (across replicas and concurrent handlers) out of
 * order. Log order makes the fold independent of delivery: events are ordered by when they
 * happened (`occurredAt`), ties broken by their stream sequence, and each message id counts once.
 * A late event, once it arrives, takes its place in the past, and the fold over the log equals
 * an ordered replay of the same events, whatever order they were delivered in.
 *
 * Ordering by `occurredAt` rather than by stream sequence is deliberate: after a reconnect the
 * gateway publishes the events a node missed, after its NodeStateSnapshot; their real times put
 * them before the snapshot, where they belong.
 */

/** LogPosition is where an event sits in a node's log: its time, then its stream sequence. */
export interface LogPosition {
  /** at is when the event happened (its occurredAt) in epoch milliseconds. */
  readonly at: EpochMs;
  /** sequence is the event's JetStream stream sequence; it breaks ties between equal times. */
  readonly sequence: number;
}

/** LoggedEvent is a fitness event (what the fold reads of it) with its place in the node's log. */
export interface LoggedEvent extends LogPosition {
  readonly event: FoldEvent;
}

/** compareLogPosition orders positions by time, then by stream sequence (negative: a first). */
export function compareLogPosition(a: LogPosition, b: LogPosition): number {
  return a.at - b.at || a.sequence - b.sequence;
}

/** loggedEvent places an event in the log at its occurredAt and stream sequence. */
export function loggedEvent<E extends FitnessEvent>(event: E, sequence: number): LoggedEvent & { readonly event: E } {
  return { event, at: Date.parse(event.occurredAt), sequence };
}

/**
 * orderedLog returns the events in log order with each message id once. A message stored twice in
 * the stream (a re-publish after the duplicate window) keeps its lowest sequence, which is where
 * an ordered replay first meets it.
 */
export function orderedLog(events: Iterable<LoggedEvent>): LoggedEvent[] {
  const byId = new Map<string, LoggedEvent>();
  for (const logged of events) {
    const seen = byId.get(logged.event.id);
    if (seen === undefined || logged.sequence < seen.sequence) byId.set(logged.event.id, logged);
  }
  return [...byId.values()].sort(compareLogPosition);
}

/**
 * foldLog replays a node's events in log order onto `state`: a fresh store by default (or one with
 * the given options), or the fold of earlier events, which must all sort before these.
 */
export function foldLog(
  events: Iterable<LoggedEvent>,
  state: NodeFitness | Partial<NodeFitnessOptions> = initialNodeFitness(),
): NodeFitness {
  return evolveAll(isNodeFitness(state) ? state : initialNodeFitness(state), orderedLog(events));
}

function isNodeFitness(value: NodeFitness | Partial<NodeFitnessOptions>): value is NodeFitness {
  return 'peers' in value;
}
