/**
 * auditNode rebuilds one node's state at an instant from its messages alone, folding them with
 * the services' own pure cores: the autopilot's projection (`evolve`: channels, balance, policy,
 * opens in flight) and chanfitness's log (`foldLog`: who is online, each peer's fitness). It
 * lists every autopilot decision up to the instant with the inputs it recorded and what became
 * of the channels it chose. No I/O and no clock: the instant and the thresholds come in.
 *
 * "At an instant" means by the messages' own time (`occurredAt`: when the node reported the fact,
 * when a service decided): a fact that happened by then counts, even if it reached the stream
 * later. Messages are folded in time order, ties in stream order; both folds are order-tolerant.
 */
import type { AutopilotConstraints, HeuristicWeights, KnownMessage, MessageByType } from '@lnfleet/contracts';
import { evolve, initialProjection, PROJECTED_TYPES, type NodeProjection, type ProjectedMessage } from '@lnfleet/autopilot/projection';
import {
  foldLog,
  isFitnessEvent,
  loggedEvent,
  onlinePeers,
  rankPeers,
  type FitnessThresholds,
  type LoggedEvent,
} from '@lnfleet/chanfitness/projection';
import type { ReadMessage } from '../stream-reader.js';

/** AUDIT_SCHEMA_VERSION changes whenever the JSON report changes shape. */
export const AUDIT_SCHEMA_VERSION = 1;

/** AuditInput is what an audit folds: a node's messages from the events and derived streams. */
export interface AuditInput {
  readonly nodeId: string;
  readonly atMs: number;
  /** messages are the node's messages from both streams, in any order. */
  readonly messages: readonly ReadMessage[];
  /** thresholds judge peer fitness as chanfitness does (its CHANFITNESS_* settings). */
  readonly thresholds: FitnessThresholds;
}

/** AuditChannel is one of the node's channels as the autopilot's projection has it. */
export interface AuditChannel {
  readonly channelPoint: string;
  readonly peer: string;
  readonly capacitySat: number;
  readonly localBalanceSat: number;
  readonly status: 'pending' | 'open' | 'closed';
}

/** AuditPeerFitness is chanfitness's judgement of a tracked peer at the instant. */
export interface AuditPeerFitness {
  readonly peer: string;
  readonly online: boolean;
  readonly fit: boolean;
  readonly reasons: readonly string[];
  /** flapCount is cooled down to the instant (what the threshold is checked against). */
  readonly flapCount: number;
  readonly lastFlapAt: string | null;
  /** uptimeRatio is over the trailing uptime window, null when nothing was observed. */
  readonly uptimeRatio: number | null;
  readonly openChannels: number;
  /** lastPublished is the last PeerFitnessChanged chanfitness published about the peer by then. */
  readonly lastPublished: { readonly at: string; readonly fit: boolean; readonly reasons: readonly string[]; readonly messageId: string } | null;
}

/** AuditOpenOutcome is what became of a chosen open by the instant. */
export type AuditOpenOutcome = 'requested' | 'failed' | 'no-outcome-yet' | 'not-sent (dry run)';

/** AuditDecision is one AutopilotDecision with its recorded inputs. */
export interface AuditDecision {
  readonly at: string;
  readonly messageId: string;
  readonly streamSequence: number;
  readonly trigger: MessageByType<'AutopilotDecision'>['data']['trigger'];
  readonly inputs: MessageByType<'AutopilotDecision'>['data']['inputs'];
  readonly constraints: AutopilotConstraints;
  readonly heuristics: HeuristicWeights;
  readonly budget: { readonly amountSat: number; readonly channels: number };
  readonly chanSizeSat: number;
  readonly candidateCount: number;
  readonly candidates: readonly { readonly peer: string; readonly score: number }[];
  readonly chosen: readonly {
    readonly peer: string;
    readonly amountSat: number;
    readonly score: number;
    readonly commandId: string;
    readonly outcome: AuditOpenOutcome;
  }[];
  readonly stoppedBy: string;
  readonly seed: number;
  readonly graphVersion: string;
  readonly dryRun: boolean;
  readonly commandsExpireAt: string;
}

/** AuditBackup is the latest stored version of one kind of the node's backups. */
export interface AuditBackup {
  readonly backup: string;
  readonly version: number;
  readonly contentHash: string;
  readonly channelCount: number;
  readonly at: string;
  readonly messageId: string;
}

/** AuditReport is the audit's result; its JSON form is stable for a given schemaVersion. */
export interface AuditReport {
  readonly schemaVersion: number;
  readonly nodeId: string;
  readonly at: string;
  readonly messages: {
    /** counted are the node's messages that happened by the instant and were folded. */
    readonly counted: number;
    /** later are the node's messages that happened after the instant (left out). */
    readonly later: number;
    /** undecodable are messages that could not be decoded (the services dead-letter them). */
    readonly undecodable: number;
    /** lastAt is the time of the newest message counted, null when none. */
    readonly lastAt: string | null;
  };
  readonly balance: { readonly confirmedSat: number; readonly unconfirmedSat: number; readonly lockedSat: number } | null;
  readonly channels: readonly AuditChannel[];
  readonly onlinePeers: readonly string[];
  readonly fitness: readonly AuditPeerFitness[];
  readonly backups: readonly AuditBackup[];
  readonly autopilot: {
    readonly policy: { readonly enabled: boolean; readonly dryRun: boolean; readonly constraints: AutopilotConstraints; readonly heuristics: HeuristicWeights } | null;
    readonly opensInFlight: readonly { readonly commandId: string; readonly peer: string; readonly amountSat: number; readonly expiresAt: string }[];
    readonly decisions: readonly AuditDecision[];
  };
}

interface Timed {
  readonly read: ReadMessage;
  readonly message: KnownMessage;
  readonly atMs: number;
}

const PROJECTED = new Set<string>(PROJECTED_TYPES);

/** auditNode folds the node's messages up to the instant into an {@link AuditReport}. */
export function auditNode(input: AuditInput): AuditReport {
  const { nodeId, atMs } = input;
  const counted: Timed[] = [];
  let later = 0;
  let undecodable = 0;
  for (const read of input.messages) {
    const message = read.message;
    if (message === undefined) {
      undecodable++;
      continue;
    }
    if (message.nodeId !== nodeId) continue;
    const messageAt = Date.parse(message.occurredAt);
    if (messageAt > atMs) later++;
    else counted.push({ read, message, atMs: messageAt });
  }
  counted.sort(byTimeThenStream);

  let projection: NodeProjection = initialProjection(nodeId);
  const logged: LoggedEvent[] = [];
  const outcomes = new Map<string, 'requested' | 'failed'>();
  const published = new Map<string, NonNullable<AuditPeerFitness['lastPublished']>>();
  const backups = new Map<string, AuditBackup>();
  const decisions: { message: MessageByType<'AutopilotDecision'>; sequence: number }[] = [];
  for (const { read, message } of counted) {
    if (PROJECTED.has(message.type)) projection = evolve(projection, { message: message as ProjectedMessage, sequence: read.sequence });
    if (isFitnessEvent(message)) logged.push(loggedEvent(message, read.sequence));
    switch (message.type) {
      case 'ChannelOpenRequested':
        outcomes.set(message.data.commandId, 'requested');
        break;
      case 'ChannelOpenFailed':
        if (!outcomes.has(message.data.commandId)) outcomes.set(message.data.commandId, 'failed');
        break;
      case 'AutopilotDecision':
        decisions.push({ message, sequence: read.sequence });
        break;
      case 'PeerFitnessChanged':
        published.set(message.data.peer, { at: message.occurredAt, fit: message.data.fit, reasons: message.data.reasons, messageId: message.id });
        break;
      case 'BackupStored': {
        // Versions of one kind only grow; the newest by then is the one a restore at that time gets.
        const seen = backups.get(message.data.backup);
        if (seen === undefined || message.data.version > seen.version) {
          backups.set(message.data.backup, {
            backup: message.data.backup,
            version: message.data.version,
            contentHash: message.data.contentHash,
            channelCount: message.data.channelCount,
            at: message.occurredAt,
            messageId: message.id,
          });
        }
        break;
      }
      default:
        break;
    }
  }

  const fitnessState = foldLog(logged);
  const online = new Set(onlinePeers(fitnessState.presence));
  const fitness = rankPeers(fitnessState, atMs, input.thresholds).map(
    (assessment): AuditPeerFitness => ({
      peer: assessment.peer,
      online: online.has(assessment.peer),
      fit: assessment.fit,
      reasons: assessment.reasons,
      flapCount: assessment.flapCount,
      lastFlapAt: assessment.lastFlap === null ? null : new Date(assessment.lastFlap).toISOString(),
      uptimeRatio: assessment.uptime.ratio,
      openChannels: assessment.openChannels,
      lastPublished: published.get(assessment.peer) ?? null,
    }),
  );

  const last = counted[counted.length - 1];
  return {
    schemaVersion: AUDIT_SCHEMA_VERSION,
    nodeId,
    at: new Date(atMs).toISOString(),
    messages: { counted: counted.length, later, undecodable, lastAt: last === undefined ? null : last.message.occurredAt },
    balance:
      projection.balance === null
        ? null
        : { confirmedSat: projection.balance.confirmedSat, unconfirmedSat: projection.balance.unconfirmedSat, lockedSat: projection.balance.lockedSat },
    channels: [...projection.channels.values()]
      .map((c) => ({ channelPoint: c.channelPoint, peer: c.peer, capacitySat: c.capacitySat, localBalanceSat: c.localBalanceSat, status: c.status }))
      .sort((a, b) => compareText(a.channelPoint, b.channelPoint)),
    onlinePeers: [...online].sort(compareText),
    fitness,
    backups: [...backups.values()].sort((a, b) => compareText(a.backup, b.backup)),
    autopilot: {
      policy:
        projection.policy === null
          ? null
          : { enabled: projection.policy.enabled, dryRun: projection.policy.dryRun, constraints: projection.policy.constraints, heuristics: projection.policy.heuristics },
      opensInFlight: [...projection.pendingOpens.values()]
        // Expiry is judged at the instant, as the autopilot would (its grace period aside).
        .filter((open) => open.status === 'in-flight' && open.expiresAtMs > atMs)
        .map((open) => ({ commandId: open.commandId, peer: open.peer, amountSat: open.amountSat, expiresAt: new Date(open.expiresAtMs).toISOString() }))
        .sort((a, b) => compareText(a.commandId, b.commandId)),
      decisions: decisions.map(({ message, sequence }) => auditDecision(message, sequence, outcomes)),
    },
  };
}

function auditDecision(message: MessageByType<'AutopilotDecision'>, sequence: number, outcomes: ReadonlyMap<string, 'requested' | 'failed'>): AuditDecision {
  const d = message.data;
  return {
    at: message.occurredAt,
    messageId: message.id,
    streamSequence: sequence,
    trigger: d.trigger,
    inputs: d.inputs,
    constraints: d.constraints,
    heuristics: d.heuristics,
    budget: d.budget,
    chanSizeSat: d.chanSizeSat,
    candidateCount: d.candidateCount,
    candidates: d.candidates,
    chosen: d.chosen.map((open) => ({
      peer: open.peer,
      amountSat: open.amountSat,
      score: open.score,
      commandId: open.commandId,
      outcome: d.dryRun ? 'not-sent (dry run)' : (outcomes.get(open.commandId) ?? 'no-outcome-yet'),
    })),
    stoppedBy: d.stoppedBy,
    seed: d.seed,
    graphVersion: d.graphVersion,
    dryRun: d.dryRun,
    commandsExpireAt: d.commandsExpireAt,
  };
}

function byTimeThenStream(a: Timed, b: Timed): number {
  return a.atMs - b.atMs || compareText(a.read.stream, b.read.stream) || a.read.sequence - b.read.sequence;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
