import {
  ChannelOpenFailed,
  ChannelOpenRequested,
  createMessage,
  deterministicId,
  Pubkey,
  type KnownMessage,
  type MessageByType,
  type OpenChannelState,
  type PendingChannel,
} from '@lnfleet/contracts';
import type { OpenChannelRequest, OpenChannelResult } from '../node/lightning-node.js';
import { isoTime } from './translate.js';

/** OpenFailure is why an OpenChannel command did not give a channel (the contract's reasons). */
export type OpenFailureReason = MessageByType<'ChannelOpenFailed'>['data']['reason'];

/**
 * OpenOutcome is what executing one OpenChannel command came to. It is persisted with the
 * command id before the outcome is published, so a redelivered command republishes the same
 * outcome (same id, same time) instead of acting again.
 */
export type OpenOutcome =
  | { readonly kind: 'requested'; readonly channelPoint: string; readonly decidedAtMs: number }
  | { readonly kind: 'failed'; readonly reason: OpenFailureReason; readonly message: string; readonly retryableAfterMs: number | null; readonly decidedAtMs: number };

/** ChannelSizeBounds are the channel sizes the gateway accepts (lnd's defaults unless wumbo is on). */
export interface ChannelSizeBounds {
  readonly minSat: number;
  readonly maxSat: number;
}

/** DEFAULT_CHANNEL_SIZE_BOUNDS are lnd's: 20,000 sat to 2^24-1 sat (no wumbo channels). */
export const DEFAULT_CHANNEL_SIZE_BOUNDS: ChannelSizeBounds = { minSat: 20_000, maxSat: 16_777_215 };

/** OpenChannelCommand is the OpenChannel message the gateway consumes. */
export type OpenChannelCommand = MessageByType<'OpenChannel'>;

/** RETRY_AFTER_MS says when a transient failure may be worth retrying, per reason (absent: not transient). */
const RETRY_AFTER_MS: Partial<Record<OpenFailureReason, number>> = {
  PEER_UNREACHABLE: 10 * 60_000,
  NODE_ERROR: 10 * 60_000,
  REJECTED_BY_PEER: 60 * 60_000,
};

/** failure builds a failed outcome with the reason's retry hint. */
export function failure(reason: OpenFailureReason, message: string, decidedAtMs: number): OpenOutcome {
  const retry = RETRY_AFTER_MS[reason];
  return { kind: 'failed', reason, message: message.slice(0, 2_000), retryableAfterMs: retry === undefined ? null : decidedAtMs + retry, decidedAtMs };
}

/**
 * checkOpenChannel validates a command before the node is asked: the node is managed here, the
 * command has not expired, the amount is within bounds, the peer is a valid other node. It returns
 * the failed outcome, or null when the command may be executed.
 */
export function checkOpenChannel(command: OpenChannelCommand, managed: boolean, bounds: ChannelSizeBounds, nowMs: number): OpenOutcome | null {
  const { data } = command;
  if (!managed) return failure('NODE_NOT_MANAGED', `node ${command.nodeId} is not managed by this gateway`, nowMs);
  const expiresAtMs = Date.parse(data.expiresAt);
  if (!(expiresAtMs > nowMs)) return failure('EXPIRED', `the command expired at ${data.expiresAt}`, nowMs);
  if (data.localFundingSat < bounds.minSat || data.localFundingSat > bounds.maxSat) {
    return failure('AMOUNT_OUT_OF_BOUNDS', `localFundingSat ${data.localFundingSat} is outside [${bounds.minSat}, ${bounds.maxSat}]`, nowMs);
  }
  if (!Pubkey.safeParse(data.peer).success) return failure('INVALID_COMMAND', 'peer is not a 33-byte compressed pubkey in hex', nowMs);
  if (data.peer === command.nodeId) return failure('INVALID_COMMAND', 'a node cannot open a channel to itself', nowMs);
  if (data.pushSat >= data.localFundingSat) return failure('INVALID_COMMAND', 'pushSat must be less than localFundingSat', nowMs);
  return null;
}

/** openRequestOf is the node request a command asks for. */
export function openRequestOf(command: OpenChannelCommand): OpenChannelRequest {
  const { data } = command;
  return { peer: data.peer, peerAddresses: data.peerAddresses, localFundingSat: data.localFundingSat, pushSat: data.pushSat, targetConf: data.targetConf, minConfs: data.minConfs, private: data.private };
}

/** outcomeOfResult turns the node's answer into an outcome. */
export function outcomeOfResult(result: OpenChannelResult, nowMs: number): OpenOutcome {
  return result.ok ? { kind: 'requested', channelPoint: result.channelPoint, decidedAtMs: nowMs } : failure(result.kind, result.message, nowMs);
}

/**
 * recoverInterrupted decides the outcome of a command whose execution started but whose outcome
 * was never recorded (the gateway died during the node call). The node is not asked again (that
 * could open a second channel); instead its channels are searched for one that matches the
 * command (same peer and capacity, locally initiated) and is not claimed by another command. If
 * one is found, the command succeeded; otherwise it is reported as failed, saying why.
 */
export function recoverInterrupted(
  command: OpenChannelCommand,
  channels: ReadonlyArray<PendingChannel | OpenChannelState>,
  claimedChannelPoints: ReadonlySet<string>,
  nowMs: number,
): OpenOutcome {
  const match = channels.find(
    (c) => c.peer === command.data.peer && c.capacitySat === command.data.localFundingSat && c.initiator === 'LOCAL' && !claimedChannelPoints.has(c.channelPoint),
  );
  if (match !== undefined) return { kind: 'requested', channelPoint: match.channelPoint, decidedAtMs: nowMs };
  return failure('NODE_ERROR', 'the gateway stopped while the node was opening this channel and the node shows no matching channel', nowMs);
}

/** outcomeEvent is the ChannelOpenRequested or ChannelOpenFailed answering a command; its id derives from the command id. */
export function outcomeEvent(command: OpenChannelCommand, outcome: OpenOutcome): KnownMessage {
  const common = { nodeId: command.nodeId, occurredAt: isoTime(outcome.decidedAtMs), causationId: command.id, correlationId: command.correlationId };
  if (outcome.kind === 'requested') {
    return createMessage(ChannelOpenRequested, {
      ...common,
      id: deterministicId('ChannelOpenRequested', command.id),
      data: { commandId: command.id, peer: command.data.peer, localFundingSat: command.data.localFundingSat, channelPoint: outcome.channelPoint },
    });
  }
  return createMessage(ChannelOpenFailed, {
    ...common,
    id: deterministicId('ChannelOpenFailed', command.id),
    data: {
      commandId: command.id,
      peer: command.data.peer,
      localFundingSat: command.data.localFundingSat,
      reason: outcome.reason,
      message: outcome.message,
      retryableAfter: outcome.retryableAfterMs === null ? null : isoTime(outcome.retryableAfterMs),
    },
  });
}
