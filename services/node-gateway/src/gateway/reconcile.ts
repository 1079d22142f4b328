import { createHash } from 'node:crypto';
import {
  type ClosingChannel,
  createMessage,
  deterministicId,
  NodeStateSnapshot,
  type KnownMessage,
  type OpenChannelState,
  type PendingChannel,
  type WalletBalance,
} from '@lnfleet/contracts';
import type { ClosedChannelSummary, NodeInfo } from '../node/lightning-node.js';
import { withKnownChanId, type PublishedState } from './published-state.js';
import { channelClosedEvent, channelOpenedEvent, channelPendingEvent, channelResolvedEvent, isoTime } from './translate.js';

/** CurrentNodeState is what the node reports on (re)connect, read with the port's queries. */
export interface CurrentNodeState {
  readonly info: NodeInfo;
  readonly openChannels: readonly OpenChannelState[];
  readonly pendingChannels: readonly PendingChannel[];
  readonly onlinePeers: readonly string[];
  readonly balance: WalletBalance;
  /** closingChannels are waiting for their close transaction to confirm (lnd's waiting close). */
  readonly closingChannels: readonly ClosingChannel[];
  /** closedChannels explain channels that disappeared while the gateway was away. */
  readonly closedChannels: readonly ClosedChannelSummary[];
}

/** Reconciliation is what to publish on (re)connect, in order: the missed events, then the snapshot. */
export interface Reconciliation {
  readonly missed: readonly KnownMessage[];
  readonly snapshot: KnownMessage;
  /**
   * unexplained lists channel points that were announced but are neither live nor in the node's
   * closed channels (e.g. a node restored from a backup). No ChannelClosed is invented for them:
   * the snapshot, which omits them, is the record. The shell logs them.
   */
  readonly unexplained: readonly string[];
}

/**
 * reconcile compares what was last published about a node with its current state and returns
 * the events the stream missed while the gateway was away, plus a NodeStateSnapshot:
 * - a pending channel never announced -> ChannelOpenPending;
 * - an open channel not announced as open -> ChannelOpened (on the very first connect, every
 *   existing channel, so that a replay of the events alone gives the node's channel set);
 * - an announced channel that is gone -> ChannelClosed from the node's close summary, with the
 *   short channel id it was announced with when the summary has none (lnd's force closes still
 *   resolving);
 * - an announced channel whose close is broadcast but not confirmed -> nothing yet: it stays in
 *   the published state (and the snapshot) as closing, so its ChannelClosed is published when the
 *   close confirms, live or at a later connect;
 * - a local force close whose outputs are now all swept, announced closed before or just now ->
 *   ChannelResolved (after its ChannelClosed).
 * Missed events carry the reconnect time (`atMs`): when they really happened is not known. Their
 * ids are the live ones, so a fact both seen live and reconciled is stored once.
 */
export function reconcile(nodeId: string, last: PublishedState, current: CurrentNodeState, atMs: number): Reconciliation {
  const missed: KnownMessage[] = [];
  const live = new Set<string>();
  for (const channel of sortByPoint(current.pendingChannels)) {
    live.add(channel.channelPoint);
    if (last.channels[channel.channelPoint] === undefined) missed.push(channelPendingEvent(nodeId, channel, atMs));
  }
  for (const channel of sortByPoint(current.openChannels)) {
    live.add(channel.channelPoint);
    const status = last.channels[channel.channelPoint];
    if (status === undefined || status === 'pending') missed.push(channelOpenedEvent(nodeId, channel, atMs));
  }
  const closedByPoint = new Map(current.closedChannels.map((summary) => [summary.channelPoint, summary]));
  const closing = new Set(current.closingChannels.map((channel) => channel.channelPoint));
  const unexplained: string[] = [];
  for (const channelPoint of Object.keys(last.channels).sort()) {
    if (live.has(channelPoint)) continue;
    const summary = closedByPoint.get(channelPoint);
    if (summary === undefined) {
      if (!closing.has(channelPoint)) unexplained.push(channelPoint);
      continue;
    }
    missed.push(channelClosedEvent(nodeId, withKnownChanId(summary, last), atMs));
    if (summary.closeType === 'LOCAL_FORCE_CLOSE' && summary.resolved) missed.push(channelResolvedEvent(nodeId, channelPoint, atMs));
  }
  for (const channelPoint of last.unresolved) {
    if (closedByPoint.get(channelPoint)?.resolved === true) missed.push(channelResolvedEvent(nodeId, channelPoint, atMs));
  }
  return { missed, snapshot: snapshotEvent(nodeId, current, atMs), unexplained };
}

/**
 * snapshotEvent builds the NodeStateSnapshot. Its id is a digest of its content: reconnecting to
 * an unchanged node republishes the same id, which JetStream drops; any change gives a new one.
 */
export function snapshotEvent(nodeId: string, current: CurrentNodeState, atMs: number): KnownMessage {
  const live = new Set([...current.openChannels, ...current.pendingChannels].map((channel) => channel.channelPoint));
  const closed = new Set(current.closedChannels.map((summary) => summary.channelPoint));
  // A channel that moved on between the queries may be read twice: listed live or closed, it is not also closing.
  const closingChannels = sortByPoint(current.closingChannels.filter((channel) => !live.has(channel.channelPoint) && !closed.has(channel.channelPoint)));
  const data = {
    alias: current.info.alias.slice(0, 64),
    blockHeight: current.info.blockHeight,
    syncedToChain: current.info.syncedToChain,
    openChannels: sortByPoint(current.openChannels),
    pendingChannels: sortByPoint(current.pendingChannels),
    onlinePeers: [...current.onlinePeers].sort(),
    balance: { ...current.balance },
    // Present only when there are some, so that a snapshot without any keeps the id it always had.
    ...(closingChannels.length > 0 ? { closingChannels } : {}),
  };
  const digest = createHash('sha256').update(canonicalJson(data)).digest('hex');
  return createMessage(NodeStateSnapshot, { id: deterministicId('NodeStateSnapshot', nodeId, digest), nodeId, occurredAt: isoTime(atMs), causationId: null, data });
}

/** canonicalJson writes a value with object keys sorted, so equal content gives equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function sortByPoint<T extends { readonly channelPoint: string }>(channels: readonly T[]): T[] {
  return [...channels].sort((a, b) => (a.channelPoint < b.channelPoint ? -1 : a.channelPoint > b.channelPoint ? 1 : 0));
}
