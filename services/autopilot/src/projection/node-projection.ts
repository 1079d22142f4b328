/**
 * The autopilot's projection of one managed node: what it needs to decide (channels, balance,
 * opens in flight, failed peers, policy), folded from events by a pure `evolve`.
 *
 * Terms:
 * - Sequence: the JetStream stream sequence of the event that last changed a record. Node facts
 *   come from the events stream, policies and the autopilot's own decisions from the derived
 *   stream; the sequences a record is compared on come from one of them (a pending open is
 *   created from a decision and only ever resolved by node facts, by status, not sequence).
 * - Fitness: chanfitness's verdict on a peer (PeerFitnessChanged); unfit peers are not chosen.
 * - Pending open: an OpenChannel command the autopilot sent and whose outcome it has not seen;
 *   it counts towards the budget until ChannelOpenRequested or ChannelOpenFailed names its
 *   command id, or until it expires (no outcome in time).
 *
 * Rules (architecture principle 3): applying an event twice changes nothing the second time; an
 * event older than a record's sequence never overwrites it; a closed channel stays closed (a late
 * ChannelOpened for it is stale by definition); an outcome for a command the projection does not
 * know is remembered, so the command is never recorded as in flight afterwards.
 */
import type { AutopilotConstraints, HeuristicWeights, MessageByType } from '@lnfleet/contracts';
import { type AgentState, type PendingOpen } from '../agent/decide.js';
import { DEFAULT_BACKOFF, isFailureActive, recordFailure, type BackoffPolicy } from '../agent/failure-backoff.js';
import { type LocalChannel } from '../agent/local-channel.js';

/** ChannelStatus is where a channel is in its life; `closed` is final. */
export type ChannelStatus = 'pending' | 'open' | 'closed';

/** ChannelRecord is one of the node's channels. */
export interface ChannelRecord {
  readonly channelPoint: string;
  readonly peer: string;
  readonly capacitySat: number;
  /** localBalanceSat is the node's own balance in the channel (what counts as allocated). */
  readonly localBalanceSat: number;
  readonly status: ChannelStatus;
  readonly sequence: number;
}

/**
 * PendingOpenStatus: `in-flight` until an outcome; `requested` (the node accepted it) and
 * `failed` are final; `expired` (no outcome in time) can still turn into either when a late
 * outcome arrives.
 */
export type PendingOpenStatus = 'in-flight' | 'requested' | 'failed' | 'expired';

/** PendingOpenRecord is one OpenChannel command the autopilot sent (or an outcome it saw). */
export interface PendingOpenRecord {
  readonly commandId: string;
  readonly peer: string;
  readonly amountSat: number;
  /** expiresAtMs is the command's expiry (ms since the epoch); 0 for an outcome of an unknown command. */
  readonly expiresAtMs: number;
  readonly status: PendingOpenStatus;
  readonly sequence: number;
}

/** FailureRow is what the projection remembers about a peer an open to which failed. */
export interface FailureRow {
  readonly peer: string;
  /** attempts counts consecutive failures; a channel to the peer resets it. */
  readonly attempts: number;
  /** failedUntilMs is when the peer may be tried again (ms since the epoch). */
  readonly failedUntilMs: number;
  readonly sequence: number;
}

/** PeerFitnessRow is chanfitness's latest verdict on one of the node's peers (derived-stream sequence). */
export interface PeerFitnessRow {
  readonly peer: string;
  readonly fit: boolean;
  readonly sequence: number;
}

/** BalanceRecord is the node's latest wallet balance. */
export interface BalanceRecord {
  readonly confirmedSat: number;
  readonly unconfirmedSat: number;
  readonly lockedSat: number;
  readonly sequence: number;
}

/** PolicyRecord is the autopilot policy in force for the node (sequence on the derived stream). */
export interface PolicyRecord {
  readonly enabled: boolean;
  readonly dryRun: boolean;
  readonly constraints: AutopilotConstraints;
  readonly heuristics: HeuristicWeights;
  readonly sequence: number;
}

/** NodeProjection is everything the autopilot knows about one node. */
export interface NodeProjection {
  readonly nodeId: string;
  /** revision counts the changes to this node's projection; it only grows. */
  readonly revision: number;
  readonly balance: BalanceRecord | null;
  readonly policy: PolicyRecord | null;
  readonly channels: ReadonlyMap<string, ChannelRecord>;
  readonly pendingOpens: ReadonlyMap<string, PendingOpenRecord>;
  readonly failures: ReadonlyMap<string, FailureRow>;
  readonly fitness: ReadonlyMap<string, PeerFitnessRow>;
}

/** ProjectedType names the message types the projection folds. */
export type ProjectedType =
  | 'ChannelOpenPending'
  | 'ChannelOpened'
  | 'ChannelClosed'
  | 'ChannelOpenRequested'
  | 'ChannelOpenFailed'
  | 'BalanceChanged'
  | 'NodeStateSnapshot'
  | 'AutopilotPolicySet'
  | 'AutopilotDecision'
  | 'PeerFitnessChanged';

/** PROJECTED_TYPES lists the {@link ProjectedType}s, for handlers and tests. */
export const PROJECTED_TYPES: readonly ProjectedType[] = [
  'ChannelOpenPending',
  'ChannelOpened',
  'ChannelClosed',
  'ChannelOpenRequested',
  'ChannelOpenFailed',
  'BalanceChanged',
  'NodeStateSnapshot',
  'AutopilotPolicySet',
  'AutopilotDecision',
  'PeerFitnessChanged',
];

/** ProjectedMessage is a message the projection folds. */
export type ProjectedMessage = MessageByType<ProjectedType>;

/** ProjectedEvent is a message with its stream sequence. */
export interface ProjectedEvent {
  readonly message: ProjectedMessage;
  readonly sequence: number;
}

/** EvolveOptions tunes {@link evolve}. */
export interface EvolveOptions {
  /** backoff sets how long a failed peer is skipped; default {@link DEFAULT_BACKOFF}. */
  readonly backoff?: BackoffPolicy;
}

/** initialProjection is the projection of a node nothing is known about. */
export function initialProjection(nodeId: string): NodeProjection {
  return { nodeId, revision: 0, balance: null, policy: null, channels: new Map(), pendingOpens: new Map(), failures: new Map(), fitness: new Map() };
}

/**
 * evolve folds one event into the projection. It returns the same object when the event changes
 * nothing (a duplicate, an older event than the records it touches), so `next !== state` tells
 * whether the event was news.
 */
export function evolve(state: NodeProjection, event: ProjectedEvent, options: EvolveOptions = {}): NodeProjection {
  const draft = new Draft(state);
  const { message, sequence } = event;
  switch (message.type) {
    case 'ChannelOpenPending':
      draft.upsertChannel({ ...channelFields(message.data), status: 'pending', sequence });
      break;
    case 'ChannelOpened':
      draft.upsertChannel({ ...channelFields(message.data), status: 'open', sequence });
      draft.forgiveFailures(message.data.peer, sequence);
      break;
    case 'ChannelClosed':
      draft.upsertChannel({
        channelPoint: message.data.channelPoint,
        peer: message.data.peer,
        capacitySat: message.data.capacitySat,
        localBalanceSat: 0,
        status: 'closed',
        sequence,
      });
      break;
    case 'ChannelOpenRequested': {
      const { commandId, peer, localFundingSat, channelPoint } = message.data;
      draft.resolvePendingOpen(commandId, peer, localFundingSat, 'requested', sequence);
      draft.upsertChannel({ channelPoint, peer, capacitySat: localFundingSat, localBalanceSat: localFundingSat, status: 'pending', sequence });
      draft.forgiveFailures(peer, sequence);
      break;
    }
    case 'ChannelOpenFailed': {
      const { commandId, peer, localFundingSat, retryableAfter } = message.data;
      draft.resolvePendingOpen(commandId, peer, localFundingSat, 'failed', sequence);
      const at = Date.parse(message.occurredAt);
      draft.recordFailure(peer, at, retryableAfter === null ? 0 : Date.parse(retryableAfter), sequence, options.backoff ?? DEFAULT_BACKOFF);
      break;
    }
    case 'BalanceChanged':
      draft.setBalance(message.data, sequence);
      break;
    case 'NodeStateSnapshot': {
      const { openChannels, pendingChannels, balance } = message.data;
      draft.setBalance(balance, sequence);
      const listed = new Set<string>();
      for (const channel of pendingChannels) {
        listed.add(channel.channelPoint);
        draft.upsertChannel({ ...channelFields(channel), status: 'pending', sequence });
      }
      for (const channel of openChannels) {
        listed.add(channel.channelPoint);
        draft.upsertChannel({ ...channelFields(channel), status: 'open', sequence });
      }
      // A channel the node no longer lists closed while the gateway was away.
      for (const channel of state.channels.values()) {
        if (channel.status !== 'closed' && !listed.has(channel.channelPoint)) {
          draft.upsertChannel({ ...channel, localBalanceSat: 0, status: 'closed', sequence });
        }
      }
      break;
    }
    case 'AutopilotPolicySet': {
      const { enabled, dryRun, constraints, heuristics } = message.data;
      if (state.policy === null || sequence > state.policy.sequence) {
        draft.policy = { enabled, dryRun, constraints, heuristics, sequence };
        draft.changed = true;
      }
      break;
    }
    case 'AutopilotDecision': {
      // The autopilot's own decisions: their opens are pending opens. Live, the deciding
      // transaction has recorded them already (a no-op here); a rebuild from the streams gets them
      // from here. A dry run sent nothing.
      if (message.data.dryRun) break;
      const expiresAtMs = Date.parse(message.data.commandsExpireAt);
      for (const open of message.data.chosen) draft.addPendingOpen({ commandId: open.commandId, peer: open.peer, amountSat: open.amountSat, expiresAtMs }, sequence);
      break;
    }
    case 'PeerFitnessChanged': {
      const { peer, fit } = message.data;
      const current = draft.fitness.get(peer);
      if (current === undefined || sequence > current.sequence) {
        draft.fitness.set(peer, { peer, fit, sequence });
        draft.changed = true;
      }
      break;
    }
    default: {
      const unreachable: never = message;
      throw new Error(`autopilot projection cannot fold ${(unreachable as { type: string }).type}`);
    }
  }
  return draft.result();
}

/** PlannedOpen is an open a decision starts: the command that asks for it and its expiry. */
export interface PlannedOpen {
  readonly commandId: string;
  readonly peer: string;
  readonly amountSat: number;
  readonly expiresAtMs: number;
}

/**
 * recordOpens adds a decision's opens as in-flight pending opens, as folding the decision's
 * AutopilotDecision event (with its derived-stream `sequence`) would. A command id already known
 * stays as it is, except that an outcome which arrived first gets the command's expiry.
 */
export function recordOpens(state: NodeProjection, opens: readonly PlannedOpen[], sequence: number): NodeProjection {
  const draft = new Draft(state);
  for (const open of opens) draft.addPendingOpen(open, sequence);
  return draft.result();
}

/**
 * expirePendingOpens marks in-flight opens whose command expired more than `graceMs` before
 * `nowMs` as expired, which frees their budget and pending-open slot. The grace covers an outcome
 * still on its way for a command the gateway executed just before it expired.
 */
export function expirePendingOpens(state: NodeProjection, nowMs: number, graceMs: number): NodeProjection {
  const draft = new Draft(state);
  for (const open of state.pendingOpens.values()) {
    if (open.status === 'in-flight' && open.expiresAtMs + graceMs <= nowMs) {
      draft.pendingOpens.set(open.commandId, { ...open, status: 'expired' });
      draft.changed = true;
    }
  }
  return draft.result();
}

/** spendableSat is the wallet balance the autopilot may commit: confirmed minus locked. */
export function spendableSat(balance: BalanceRecord | null): number {
  if (balance === null) return 0;
  return Math.max(0, balance.confirmedSat - balance.lockedSat);
}

/**
 * agentState is the projection as the pure agent sees it at `nowMs`: pending and open channels
 * (pending channels count like open ones, being real channels soon), in-flight opens, the
 * failures still active, and the wallet balance less the funds our opens have claimed but the
 * last balance event does not show spent yet ({@link reservedSat}).
 */
export function agentState(state: NodeProjection, nowMs: number): AgentState {
  const channels: LocalChannel[] = [];
  for (const channel of sortedValues(state.channels)) {
    if (channel.status === 'closed') continue;
    channels.push({ channelId: channel.channelPoint, peer: channel.peer, balanceSat: channel.localBalanceSat });
  }
  const pendingOpens: PendingOpen[] = [];
  for (const open of sortedValues(state.pendingOpens)) {
    if (open.status === 'in-flight') pendingOpens.push({ peer: open.peer, amountSat: open.amountSat });
  }
  const failedUntil = new Map<string, number>();
  for (const failure of sortedValues(state.failures)) {
    if (isFailureActive(failure.failedUntilMs, nowMs)) failedUntil.set(failure.peer, failure.failedUntilMs);
  }
  const unfitPeers = sortedValues(state.fitness)
    .filter((row) => !row.fit)
    .map((row) => row.peer);
  const walletBalanceSat = Math.max(0, spendableSat(state.balance) - reservedSat(state));
  return { self: state.nodeId, channels, pendingOpens, failedUntil, unfitPeers, walletBalanceSat };
}

/**
 * reservedSat is what our opens have claimed of the wallet that the node's last balance event
 * does not show spent: every open still in flight, and every requested open (funded, its channel
 * pending) whose ChannelOpenRequested came after that balance event (same stream, so sequences
 * compare). The opens also count as channels, so without this a second decision before the next
 * balance event would see their funds twice, in the channels and still in the wallet, and open
 * more than the allocation allows (lnd's wallet balance drops as soon as it funds; ours only
 * when the gateway reports the new balance).
 */
export function reservedSat(state: NodeProjection): number {
  const balanceSequence = state.balance?.sequence ?? 0;
  let reserved = 0;
  for (const open of state.pendingOpens.values()) {
    if (open.status === 'in-flight' || (open.status === 'requested' && open.sequence > balanceSequence)) reserved += open.amountSat;
  }
  return reserved;
}

function sortedValues<T>(map: ReadonlyMap<string, T>): T[] {
  return [...map.keys()].sort().map((key) => map.get(key) as T);
}

const STATUS_RANK: Readonly<Record<ChannelStatus, number>> = { pending: 0, open: 1, closed: 2 };

function channelFields(channel: { channelPoint: string; peer: string; capacitySat: number; localBalanceSat: number }) {
  return { channelPoint: channel.channelPoint, peer: channel.peer, capacitySat: channel.capacitySat, localBalanceSat: channel.localBalanceSat };
}

/**
 * CopyOnWrite reads a projection's map and copies it at the first write only: most events change
 * one map or none (a balance, a duplicate), and a node's maps grow with its history.
 */
class CopyOnWrite<T> {
  private copy: Map<string, T> | undefined;

  constructor(private readonly base: ReadonlyMap<string, T>) {}

  get(key: string): T | undefined {
    return (this.copy ?? this.base).get(key);
  }

  set(key: string, value: T): void {
    this.copy ??= new Map(this.base);
    this.copy.set(key, value);
  }

  /** map is the result: the base itself when nothing was written. */
  get map(): ReadonlyMap<string, T> {
    return this.copy ?? this.base;
  }
}

/** Draft copies a projection's maps on write and tracks whether anything changed. */
class Draft {
  balance: BalanceRecord | null;
  policy: PolicyRecord | null;
  readonly channels: CopyOnWrite<ChannelRecord>;
  readonly pendingOpens: CopyOnWrite<PendingOpenRecord>;
  readonly failures: CopyOnWrite<FailureRow>;
  readonly fitness: CopyOnWrite<PeerFitnessRow>;
  changed = false;

  constructor(private readonly base: NodeProjection) {
    this.balance = base.balance;
    this.policy = base.policy;
    this.channels = new CopyOnWrite(base.channels);
    this.pendingOpens = new CopyOnWrite(base.pendingOpens);
    this.failures = new CopyOnWrite(base.failures);
    this.fitness = new CopyOnWrite(base.fitness);
  }

  upsertChannel(next: ChannelRecord): void {
    const current = this.channels.get(next.channelPoint);
    if (current !== undefined) {
      if (current.status === 'closed' || next.sequence <= current.sequence) return;
      // A channel never goes back (open -> pending); a newer fact still updates its balances.
      if (STATUS_RANK[next.status] < STATUS_RANK[current.status]) next = { ...next, status: current.status };
    }
    this.channels.set(next.channelPoint, next);
    this.changed = true;
  }

  resolvePendingOpen(commandId: string, peer: string, amountSat: number, status: 'requested' | 'failed', sequence: number): void {
    const current = this.pendingOpens.get(commandId);
    if (current !== undefined && current.status !== 'in-flight' && current.status !== 'expired') return;
    this.pendingOpens.set(commandId, {
      commandId,
      peer: current?.peer ?? peer,
      amountSat: current?.amountSat ?? amountSat,
      expiresAtMs: current?.expiresAtMs ?? 0,
      status,
      sequence,
    });
    this.changed = true;
  }

  addPendingOpen(open: PlannedOpen, sequence: number): void {
    const current = this.pendingOpens.get(open.commandId);
    if (current === undefined) {
      this.pendingOpens.set(open.commandId, { ...open, status: 'in-flight', sequence });
      this.changed = true;
    } else if (current.expiresAtMs === 0 && open.expiresAtMs !== 0) {
      // The outcome came first (a replay reads the two streams in its own order): keep its status
      // and sequence, complete what only the decision knows, so both orders give the same row.
      this.pendingOpens.set(open.commandId, { ...current, expiresAtMs: open.expiresAtMs });
      this.changed = true;
    }
  }

  recordFailure(peer: string, atMs: number, retryableAfterMs: number, sequence: number, backoff: BackoffPolicy): void {
    const current = this.failures.get(peer);
    if (current !== undefined && sequence <= current.sequence) return;
    const next = recordFailure(current === undefined ? undefined : { failures: current.attempts, failedUntil: current.failedUntilMs }, atMs, backoff);
    this.failures.set(peer, { peer, attempts: next.failures, failedUntilMs: Math.max(next.failedUntil, retryableAfterMs), sequence });
    this.changed = true;
  }

  forgiveFailures(peer: string, sequence: number): void {
    const current = this.failures.get(peer);
    if (current === undefined || sequence <= current.sequence) return;
    // Kept with its sequence (not deleted) so an older failure arriving late stays older.
    this.failures.set(peer, { peer, attempts: 0, failedUntilMs: 0, sequence });
    this.changed = true;
  }

  setBalance(balance: { confirmedSat: number; unconfirmedSat: number; lockedSat: number }, sequence: number): void {
    if (this.balance !== null && sequence <= this.balance.sequence) return;
    this.balance = { confirmedSat: balance.confirmedSat, unconfirmedSat: balance.unconfirmedSat, lockedSat: balance.lockedSat, sequence };
    this.changed = true;
  }

  result(): NodeProjection {
    if (!this.changed) return this.base;
    return {
      nodeId: this.base.nodeId,
      revision: this.base.revision + 1,
      balance: this.balance,
      policy: this.policy,
      channels: this.channels.map,
      pendingOpens: this.pendingOpens.map,
      failures: this.failures.map,
      fitness: this.fitness.map,
    };
  }
}
