import { normalizeIntervals, type Interval } from './intervals.js';
import { onlinePeers, type PresenceMap } from './peer-presence.js';
import { assertWindow } from './uptime.js';
import { MINUTE, type DurationMs, type EpochMs } from './time.js';

/**
 * Own-node outages: periods when our own node, not its peers, was cut off. lnd counts such a
 * period as downtime of every peer; we deliberately do not. Outages come from two sources: the
 * shell reports them (`recordOutage`, e.g. when the gateway lost the node), and the store infers
 * one when the node loses all of its peers at once (`massDisconnectStart`). Uptime queries leave
 * outage time out of both the window and the online time (see `measureUptime`).
 */

/** OwnOutages holds the node's closed outage intervals (sorted, merged) and the start of an open one. */
export interface OwnOutages {
  readonly closed: readonly Interval[];
  /** openSince is when a still-running outage began, null when the node is up. */
  readonly openSince: EpochMs | null;
}

/** NO_OUTAGES is the outage record of a node that was never down. */
export const NO_OUTAGES: OwnOutages = { closed: [], openSince: null };

/**
 * MassDisconnectPolicy says when losing peers means our own node is cut off: the last connected
 * peer went offline and at least `minPeers` peers went offline within `windowMs` before it. A
 * wider window or a lower minimum infers outages more eagerly (and may excuse real peer failures).
 */
export interface MassDisconnectPolicy {
  readonly windowMs: DurationMs;
  readonly minPeers: number;
}

/**
 * DEFAULT_MASS_DISCONNECT_POLICY: 3 peers within 2 minutes. lnd pings each peer every minute and
 * gives up after 30 s, so a lost uplink drops connections over about that long, not at one instant.
 */
export const DEFAULT_MASS_DISCONNECT_POLICY: MassDisconnectPolicy = { windowMs: 2 * MINUTE, minPeers: 3 };

/** recordOutage adds the outage [start, end] to the record. Throws InvalidWindowError when end < start. */
export function recordOutage(outages: OwnOutages, start: EpochMs, end: EpochMs): OwnOutages {
  assertWindow(start, end);
  if (end === start) return outages;
  return { ...outages, closed: normalizeIntervals([...outages.closed, { start, end }]) };
}

/** outageStarted opens an outage at `at`, unless one is already open. */
export function outageStarted(outages: OwnOutages, at: EpochMs): OwnOutages {
  return outages.openSince === null ? { ...outages, openSince: at } : outages;
}

/** outageEnded closes the open outage at `at`; without an open outage it changes nothing. */
export function outageEnded(outages: OwnOutages, at: EpochMs): OwnOutages {
  if (outages.openSince === null) return outages;
  const closed = normalizeIntervals([...outages.closed, { start: outages.openSince, end: Math.max(at, outages.openSince) }]);
  return { closed, openSince: null };
}

/** outagesUntil returns every outage as intervals, with an open outage running until `now`. */
export function outagesUntil(outages: OwnOutages, now: EpochMs): Interval[] {
  if (outages.openSince === null) return [...outages.closed];
  return normalizeIntervals([...outages.closed, { start: outages.openSince, end: Math.max(now, outages.openSince) }]);
}

/**
 * massDisconnectStart decides, at `at` when no peer is connected any more, whether that was our
 * own node dropping off: if at least `policy.minPeers` peers went offline within `policy.windowMs`
 * up to `at`, it returns when the first of them went, else null. A node with fewer peers than the
 * minimum can never be judged this way; the shell must report its outages.
 */
export function massDisconnectStart(presence: PresenceMap, at: EpochMs, policy: MassDisconnectPolicy): EpochMs | null {
  if (onlinePeers(presence).length > 0) return null;
  let dropped = 0;
  let first = at;
  for (const state of presence.values()) {
    if (state.since >= at - policy.windowMs && state.since <= at) {
      dropped += 1;
      first = Math.min(first, state.since);
    }
  }
  return dropped >= Math.max(1, policy.minPeers) ? first : null;
}
