import type { ChannelPoint, CloseType, KnownMessage, MessageByType, Pubkey } from '@lnfleet/contracts';
import { NodeMismatchError } from '../errors.js';
import {
  canonicalAddresses,
  canonicalShortChannelId,
  compareChannelPoints,
  sameBackupChannel,
  type BackupChannel,
  type ChannelSetSnapshot,
} from './backup-channel.js';

/**
 * ChannelSet: the channels of one managed node that need a backup, as a pure state changed only
 * by `evolve`. It follows lnd's channel-backup notifier (chanbackup's SubSwapper): a pending-open
 * or open channel is in the set; a closed channel leaves it, except after a local force close,
 * which stays until the channel is fully resolved (our funds sit in time-locked outputs until then).
 *
 * Terms:
 * - Record: everything we learnt about one channel point, kept also after the channel left the
 *   set, so that a late or repeated event cannot bring a closed channel back.
 * - Phase: where a record stands, derived from its facts (see `phaseOf`); PENDING_OPEN, OPEN and
 *   AWAITING_RESOLUTION are in the backup set.
 * - Version: how many times the backup set changed; every change is one new backup version.
 *
 * Order tolerance. Each record keeps facts that only grow (the newest stream sequence that said
 * the channel exists, the newest snapshot that did not list it, its close, its resolution), and the
 * phase is computed from them. Applying the same events in another order, or twice, gives the same
 * records; in particular:
 * - a ChannelClosed for a channel never seen is recorded, so a late ChannelOpened cannot resurrect
 *   it (as in lnd, such a close is normal: channels restored from a backup close unseen);
 * - ChannelResolved is final: it removes a local force close, and any close that comes after it;
 * - a ChannelOpened after ChannelClosed(LOCAL_FORCE_CLOSE) only fills in details (addresses,
 *   commitment type) of the channel awaiting resolution.
 *
 * Snapshots. A NodeStateSnapshot lists open and pending-open channels, so it adds the ones we
 * missed and refreshes their details (a peer's new addresses make a new version). A pending or
 * open channel it does not list stays in the set until its ChannelClosed (or ChannelResolved)
 * arrives: the snapshot cannot say how the channel ended, and a local force close whose commitment
 * is not yet confirmed is in neither of lnd's lists nor closed, while our funds depend on it. A
 * backup holding a channel too many costs nothing; one missing a force-closed channel can cost
 * its funds. The record keeps the newest snapshot that did not list it (`absentAt`, see
 * `unlistedBySnapshot`) for operators. Closes are never undone by a snapshot: a funding outpoint,
 * once spent, stays spent, so a snapshot still listing a closed channel is stale.
 */

/** ChannelSetEvent is a node event the channel set reacts to. */
export type ChannelSetEvent =
  | MessageByType<'ChannelOpenPending'>
  | MessageByType<'ChannelOpened'>
  | MessageByType<'ChannelClosed'>
  | MessageByType<'ChannelResolved'>
  | MessageByType<'NodeStateSnapshot'>;

/** CHANNEL_SET_EVENT_TYPES lists the message types in ChannelSetEvent, e.g. to filter a subscription. */
export const CHANNEL_SET_EVENT_TYPES: readonly ChannelSetEvent['type'][] = [
  'ChannelOpenPending',
  'ChannelOpened',
  'ChannelClosed',
  'ChannelResolved',
  'NodeStateSnapshot',
];

/** isChannelSetEvent reports whether a catalogued message is one the channel set reacts to. */
export function isChannelSetEvent(message: KnownMessage): message is ChannelSetEvent {
  return (CHANNEL_SET_EVENT_TYPES as readonly string[]).includes(message.type);
}

/**
 * ChannelPhase is where a channel stands. PENDING_OPEN, OPEN and AWAITING_RESOLUTION (a local
 * force close whose outputs are not all swept) need a backup; the others do not.
 */
export type ChannelPhase = 'PENDING_OPEN' | 'OPEN' | 'AWAITING_RESOLUTION' | 'CLOSED' | 'RESOLVED';

/**
 * DetailSource says which event the recorded details came from, from least to most complete: a
 * close (no addresses, no commitment type), a pending open (no short channel id), an open.
 * Better sources replace worse ones; among equals the newer stream sequence wins.
 */
export type DetailSource = 'CLOSE' | 'PENDING' | 'OPEN';

/** ChannelDetails are the backup fields of a channel and where they came from. */
export interface ChannelDetails {
  readonly channel: BackupChannel;
  readonly source: DetailSource;
  /** sequence is the stream sequence of the event the details came from. */
  readonly sequence: number;
}

/** ChannelCloseFact is a recorded close. */
export interface ChannelCloseFact {
  readonly closeType: CloseType;
  /** shortChannelId is the close's chan_id, used when no open event told us one. */
  readonly shortChannelId: string | null;
  readonly sequence: number;
}

/** ChannelRecord is everything known about one channel point of the node. */
export interface ChannelRecord {
  readonly channelPoint: ChannelPoint;
  /** details are null only for a channel known solely from a ChannelResolved. */
  readonly details: ChannelDetails | null;
  /** seenOpen is true once any event or snapshot reported the channel open. */
  readonly seenOpen: boolean;
  /** presentAt is the newest stream sequence of an event or snapshot saying the channel is pending or open. */
  readonly presentAt: number | null;
  /** absentAt is the newest stream sequence of a snapshot that did not list the channel. */
  readonly absentAt: number | null;
  /** close is the newest ChannelClosed for the channel. */
  readonly close: ChannelCloseFact | null;
  /** resolvedAt is the stream sequence of the ChannelResolved, once one arrived. */
  readonly resolvedAt: number | null;
  /** lastSequence is the newest stream sequence that changed this record. */
  readonly lastSequence: number;
}

/** SnapshotMark remembers the newest snapshot applied, for events about channels it did not list that arrive late. */
export interface SnapshotMark {
  readonly sequence: number;
  readonly channelPoints: ReadonlySet<ChannelPoint>;
}

/** ChannelSet is the backup state of one managed node. */
export interface ChannelSet {
  readonly nodeId: Pubkey;
  /**
   * version counts the changes of the backup set so far: 0 means no backup was made yet, and each
   * change makes the next version. It depends only on the events applied, in stream order, so a
   * replay numbers the versions the same way.
   */
  readonly version: number;
  /** records are every channel point we heard of, in or out of the set. */
  readonly records: ReadonlyMap<ChannelPoint, ChannelRecord>;
  /** latestSnapshot is the newest snapshot applied, null before the first. */
  readonly latestSnapshot: SnapshotMark | null;
}

/** EvolveResult is the new state and whether the backup set changed, i.e. whether to write `state.version`. */
export interface EvolveResult {
  readonly state: ChannelSet;
  /** changed is true when the set of channels to back up, or a backed-up field, changed. */
  readonly changed: boolean;
}

/** initialChannelSet returns the state of a node we know nothing about yet. */
export function initialChannelSet(nodeId: Pubkey): ChannelSet {
  return { nodeId, version: 0, records: new Map(), latestSnapshot: null };
}

/**
 * evolve applies one node event found at stream position `sequence` and returns the new state and
 * whether the backup set changed (then `state.version` is one higher and a backup of it is due).
 * The input is never changed, and the same state object comes back when the event adds nothing
 * (a redelivery, a stale snapshot). The first snapshot of a node makes version 1 even if the node
 * has no channels: "no channels" is worth a backup. Throws NodeMismatchError when the event is
 * about another node (a routing bug in the caller), and RangeError for a sequence that is not a
 * positive integer.
 */
export function evolve(state: ChannelSet, event: ChannelSetEvent, sequence: number): EvolveResult {
  if (event.nodeId !== state.nodeId) throw new NodeMismatchError(state.nodeId, event.nodeId);
  if (!Number.isSafeInteger(sequence) || sequence < 1) {
    throw new RangeError(`stream sequence must be a positive integer, got ${sequence}`);
  }
  switch (event.type) {
    case 'ChannelOpenPending':
      return applyFacts(state, [[event.data.channelPoint, pendingFacts(event.data, sequence)]], sequence);
    case 'ChannelOpened':
      return applyFacts(state, [[event.data.channelPoint, openFacts(event.data, sequence)]], sequence);
    case 'ChannelClosed':
      return applyFacts(state, [[event.data.channelPoint, closeFacts(event.data, sequence)]], sequence);
    case 'ChannelResolved':
      return applyFacts(state, [[event.data.channelPoint, { resolvedAt: sequence }]], sequence);
    case 'NodeStateSnapshot':
      return applySnapshot(state, event.data, sequence);
    default:
      return assertNever(event);
  }
}

/** phaseOf derives a record's phase from its facts. */
export function phaseOf(record: ChannelRecord): ChannelPhase {
  if (record.resolvedAt !== null) return 'RESOLVED';
  if (record.close !== null) return record.close.closeType === 'LOCAL_FORCE_CLOSE' ? 'AWAITING_RESOLUTION' : 'CLOSED';
  // Not closed as far as we know: a snapshot that stopped listing it does not take it out (see above).
  return record.seenOpen ? 'OPEN' : 'PENDING_OPEN';
}

/**
 * unlistedBySnapshot reports whether a channel still in the set as pending or open was left out
 * of a snapshot newer than every event saying it exists: probably closed while we were away, its
 * ChannelClosed not seen yet. It stays backed up; this only flags it for operators.
 */
export function unlistedBySnapshot(record: ChannelRecord): boolean {
  const phase = phaseOf(record);
  if (phase !== 'OPEN' && phase !== 'PENDING_OPEN') return false;
  return record.absentAt !== null && (record.presentAt === null || record.absentAt > record.presentAt);
}

/** needsBackup reports whether a phase puts a channel in the backup set. */
export function needsBackup(phase: ChannelPhase): boolean {
  return phase === 'PENDING_OPEN' || phase === 'OPEN' || phase === 'AWAITING_RESOLUTION';
}

/**
 * backedUpChannel returns what the backup records of a channel, or null when it is not in the set.
 * A short channel id missing from the details is taken from the channel's close, if any.
 */
export function backedUpChannel(record: ChannelRecord): BackupChannel | null {
  if (record.details === null || !needsBackup(phaseOf(record))) return null;
  const channel = record.details.channel;
  if (channel.shortChannelId === null && record.close?.shortChannelId != null) {
    return { ...channel, shortChannelId: record.close.shortChannelId };
  }
  return channel;
}

/** snapshotOf returns the node's backup set, sorted by channel point, ready to serialize. */
export function snapshotOf(state: ChannelSet): ChannelSetSnapshot {
  const channels: BackupChannel[] = [];
  for (const record of state.records.values()) {
    const channel = backedUpChannel(record);
    if (channel !== null) channels.push(channel);
  }
  channels.sort((a, b) => compareChannelPoints(a.channelPoint, b.channelPoint));
  return { nodeId: state.nodeId, channels };
}

/** channelPhases lists every recorded channel point with its phase, sorted by channel point (for logs and tests). */
export function channelPhases(state: ChannelSet): { channelPoint: ChannelPoint; phase: ChannelPhase }[] {
  return [...state.records.values()]
    .map((record) => ({ channelPoint: record.channelPoint, phase: phaseOf(record) }))
    .sort((a, b) => compareChannelPoints(a.channelPoint, b.channelPoint));
}

// ---- facts each event contributes ----

/** Facts is what one event says about one channel; merged into its record with `mergeFacts`. */
interface Facts {
  readonly details?: ChannelDetails;
  readonly seenOpen?: boolean;
  readonly presentAt?: number;
  readonly absentAt?: number;
  readonly close?: ChannelCloseFact;
  readonly resolvedAt?: number;
}

type PendingData = MessageByType<'ChannelOpenPending'>['data'];
type OpenData = MessageByType<'ChannelOpened'>['data'];
type CloseData = MessageByType<'ChannelClosed'>['data'];
type SnapshotData = MessageByType<'NodeStateSnapshot'>['data'];

function pendingFacts(data: PendingData, sequence: number): Facts {
  return { details: detailsFrom(data, null, 'PENDING', sequence), presentAt: sequence };
}

function openFacts(data: OpenData, sequence: number): Facts {
  return { details: detailsFrom(data, data.chanId, 'OPEN', sequence), presentAt: sequence, seenOpen: true };
}

function closeFacts(data: CloseData, sequence: number): Facts {
  const shortChannelId = canonicalShortChannelId(data.chanId);
  const channel: BackupChannel = {
    channelPoint: data.channelPoint,
    peer: data.peer,
    peerAddresses: [],
    capacitySat: data.capacitySat,
    initiator: data.openInitiator,
    commitmentType: 'UNKNOWN_COMMITMENT_TYPE',
    shortChannelId,
  };
  return {
    details: { channel, source: 'CLOSE', sequence },
    close: { closeType: data.closeType, shortChannelId, sequence },
  };
}

function detailsFrom(data: PendingData, chanId: string | null, source: DetailSource, sequence: number): ChannelDetails {
  return {
    channel: {
      channelPoint: data.channelPoint,
      peer: data.peer,
      peerAddresses: canonicalAddresses(data.peerAddresses),
      capacitySat: data.capacitySat,
      initiator: data.initiator,
      commitmentType: data.commitmentType,
      shortChannelId: canonicalShortChannelId(chanId),
    },
    source,
    sequence,
  };
}

function applySnapshot(state: ChannelSet, data: SnapshotData, sequence: number): EvolveResult {
  const facts = new Map<ChannelPoint, Facts>();
  for (const pending of data.pendingChannels) facts.set(pending.channelPoint, pendingFacts(pending, sequence));
  // A channel listed both as pending and open (a snapshot taken mid-transition) counts as open.
  for (const open of data.openChannels) facts.set(open.channelPoint, openFacts(open, sequence));
  const listed: ReadonlySet<ChannelPoint> = new Set(facts.keys());
  for (const record of state.records.values()) {
    if (!listed.has(record.channelPoint) && record.close === null && record.resolvedAt === null) {
      facts.set(record.channelPoint, { absentAt: sequence });
    }
  }
  const newest = state.latestSnapshot === null || sequence > state.latestSnapshot.sequence;
  const base = newest ? { ...state, latestSnapshot: { sequence, channelPoints: listed } } : state;
  const result = applyFacts(base, [...facts], sequence);
  if (state.version === 0 && !result.changed) {
    // The first snapshot of a node without channels: a backup saying it has none.
    return { state: { ...result.state, version: 1 }, changed: true };
  }
  return result;
}

// ---- merging ----

function applyFacts(
  state: ChannelSet,
  updates: readonly (readonly [ChannelPoint, Facts])[],
  sequence: number,
): EvolveResult {
  let records: Map<ChannelPoint, ChannelRecord> | null = null;
  let changed = false;
  for (const [channelPoint, facts] of updates) {
    const before = state.records.get(channelPoint);
    const after = mergeFacts(before ?? newRecord(state, channelPoint), facts, sequence);
    if (after === before) continue;
    records ??= new Map(state.records);
    records.set(channelPoint, after);
    if (!sameInSet(before, after)) changed = true;
  }
  if (records === null) return { state, changed: false };
  return { state: { ...state, records, version: changed ? state.version + 1 : state.version }, changed };
}

/**
 * newRecord starts the record of a channel first heard of now. If the newest snapshot did not list
 * it, the event is older than that snapshot's view, so the channel starts as absent from it.
 */
function newRecord(state: ChannelSet, channelPoint: ChannelPoint): ChannelRecord {
  const snapshot = state.latestSnapshot;
  const absentAt = snapshot !== null && !snapshot.channelPoints.has(channelPoint) ? snapshot.sequence : null;
  return {
    channelPoint,
    details: null,
    seenOpen: false,
    presentAt: null,
    absentAt,
    close: null,
    resolvedAt: null,
    lastSequence: 0,
  };
}

/** mergeFacts returns the record with the facts added; the same object when they add nothing. */
function mergeFacts(record: ChannelRecord, facts: Facts, sequence: number): ChannelRecord {
  const details = betterDetails(record.details, facts.details);
  const seenOpen = record.seenOpen || facts.seenOpen === true;
  const presentAt = maxOrNull(record.presentAt, facts.presentAt);
  const absentAt = maxOrNull(record.absentAt, facts.absentAt);
  const close = newerClose(record.close, facts.close);
  const resolvedAt = maxOrNull(record.resolvedAt, facts.resolvedAt);
  if (
    details === record.details &&
    seenOpen === record.seenOpen &&
    presentAt === record.presentAt &&
    absentAt === record.absentAt &&
    close === record.close &&
    resolvedAt === record.resolvedAt &&
    record.lastSequence !== 0
  ) {
    return record;
  }
  return {
    channelPoint: record.channelPoint,
    details,
    seenOpen,
    presentAt,
    absentAt,
    close,
    resolvedAt,
    lastSequence: Math.max(record.lastSequence, sequence),
  };
}

const SOURCE_RANK: Readonly<Record<DetailSource, number>> = { CLOSE: 0, PENDING: 1, OPEN: 2 };

function betterDetails(current: ChannelDetails | null, offered: ChannelDetails | undefined): ChannelDetails | null {
  if (offered === undefined) return current;
  if (current === null) return offered;
  const byRank = SOURCE_RANK[offered.source] - SOURCE_RANK[current.source];
  return byRank > 0 || (byRank === 0 && offered.sequence > current.sequence) ? offered : current;
}

function newerClose(current: ChannelCloseFact | null, offered: ChannelCloseFact | undefined): ChannelCloseFact | null {
  if (offered === undefined) return current;
  return current === null || offered.sequence > current.sequence ? offered : current;
}

function maxOrNull(current: number | null, offered: number | undefined): number | null {
  if (offered === undefined) return current;
  return current === null || offered > current ? offered : current;
}

/** sameInSet reports whether two versions of a record contribute the same to the backup. */
function sameInSet(before: ChannelRecord | undefined, after: ChannelRecord): boolean {
  const a = before === undefined ? null : backedUpChannel(before);
  const b = backedUpChannel(after);
  if (a === null || b === null) return a === b;
  return sameBackupChannel(a, b);
}

function assertNever(value: never): never {
  throw new Error(`unhandled channel set event: ${JSON.stringify(value)}`);
}
