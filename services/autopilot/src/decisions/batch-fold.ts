/**
 * The pure part of the autopilot's batched fold: one node's share of a batch of events folded in
 * memory, and the key of the decision that follows it.
 */
import { createHash } from 'node:crypto';
import { evolve, type NodeProjection, type ProjectedEvent } from '../projection/node-projection.js';

/** NodeFold is one node's events of a batch folded into its projection. */
export interface NodeFold {
  readonly state: NodeProjection;
  /** applied counts the events that changed the projection. */
  readonly applied: number;
  /** duplicates counts the events that changed nothing (repeated, or older than the state). */
  readonly duplicates: number;
  /**
   * trigger is the last event that changed the projection and may make the autopilot decide
   * (anything but its own decisions); undefined when none did.
   */
  readonly trigger?: ProjectedEvent;
}

/** foldNodeEvents folds a node's events, in the order given, into its projection. */
export function foldNodeEvents(loaded: NodeProjection, events: readonly ProjectedEvent[]): NodeFold {
  let state = loaded;
  let applied = 0;
  let trigger: ProjectedEvent | undefined;
  for (const event of events) {
    const next = evolve(state, event);
    if (next === state) continue;
    applied++;
    state = next;
    if (event.message.type !== 'AutopilotDecision') trigger = event;
  }
  return { state, applied, duplicates: events.length - applied, ...(trigger === undefined ? {} : { trigger }) };
}

/**
 * batchDecisionKey keys the decision taken after a batch's events for a node from the node's
 * projection as committed before them (the whole of it, revision included), not from the events:
 * a batch that was rolled back after publishing (a crash, a failed commit) is retried on that
 * same committed state however its events are regrouped on redelivery, so the retry carries the
 * same decision id and JetStream reports its record as a duplicate. Once a batch commits, the
 * state has moved on and the next decision gets a new key.
 */
export function batchDecisionKey(loaded: NodeProjection): string {
  const canonical = JSON.stringify([
    loaded.nodeId,
    loaded.revision,
    loaded.balance,
    loaded.policy,
    sortedEntries(loaded.channels),
    sortedEntries(loaded.pendingOpens),
    sortedEntries(loaded.failures),
    sortedEntries(loaded.fitness),
  ]);
  return `batch:${createHash('sha256').update(canonical).digest('hex').slice(0, 32)}`;
}

function sortedEntries<T>(map: ReadonlyMap<string, T>): [string, T][] {
  return [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
