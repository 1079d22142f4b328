import { z } from 'zod';
import { ChannelPoint, Pubkey, Timestamp } from '@lnfleet/contracts';
import type { Clock } from '../clock.js';
import {
  assessPeer,
  ChannelNotFoundError,
  channelLifetimeAndUptime,
  channelPeer,
  FitnessError,
  rankPeers,
  trackedChannels,
  type EpochMs,
  type FitnessThresholds,
  type PeerAssessment,
} from '../fitness/index.js';
import type { FitnessProjection } from '../projection/fitness-projection.js';

/**
 * The chanfitness queries, shared by the HTTP API and NATS request/reply: lnd's GetChanInfo
 * (a channel's lifetime and uptime), FlapCount (a peer's flaps and last flap) and a peer's uptime
 * ratio over a window, plus a node's peers ranked by fitness. Every query answers "as of" an
 * instant: `at` when given (an audit of the past sees only the events that had happened by then),
 * else the clock.
 */

/** InvalidQueryError says a query's input is malformed, naming the field. */
export class InvalidQueryError extends Error {
  override readonly name = 'InvalidQueryError';
  readonly code = 'INVALID_QUERY';
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`invalid query: ${field}: ${detail}`);
  }
}

const windowMs = z.coerce.number().int('must be a whole number of milliseconds').positive('must be positive').max(Number.MAX_SAFE_INTEGER);
const at = Timestamp.optional().describe('the instant to answer for, default now');

/** ChannelQuery asks for a channel's lifetime and uptime (lnd GetChanInfo). */
export const ChannelQuery = z.object({ nodeId: Pubkey, channelPoint: ChannelPoint, at });
export type ChannelQuery = z.input<typeof ChannelQuery>;

/** PeerQuery asks for a peer's flap count, last flap and uptime ratio over a trailing window. */
export const PeerQuery = z.object({ nodeId: Pubkey, peer: Pubkey, windowMs: windowMs.optional(), at });
export type PeerQuery = z.input<typeof PeerQuery>;

/** PeersQuery asks for a node's peers ranked by fitness. */
export const PeersQuery = z.object({
  nodeId: Pubkey,
  windowMs: windowMs.optional(),
  at,
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(10_000, 'at most 10000').optional(),
});
export type PeersQuery = z.input<typeof PeersQuery>;

/** ChannelAnswer is a channel's lifetime and its peer's uptime over it, our own outages left out. */
export interface ChannelAnswer {
  readonly nodeId: string;
  readonly channelPoint: string;
  readonly peer: string;
  readonly at: string;
  readonly lifetimeMs: number;
  readonly uptimeMs: number;
  readonly ownOutageMs: number;
  /** uptimeRatio is uptimeMs / lifetimeMs, null for a channel opened at `at`. */
  readonly uptimeRatio: number | null;
}

/** UptimeAnswer is a peer's uptime over a window. */
export interface UptimeAnswer {
  readonly windowMs: number;
  /** monitoredFrom..monitoredTo is the part of the window we have a log for (null when none). */
  readonly monitoredFrom: string | null;
  readonly monitoredTo: string | null;
  readonly observedMs: number;
  readonly onlineMs: number;
  readonly ownOutageMs: number;
  readonly ratio: number | null;
}

/** PeerAnswer is a peer's flaps, uptime and fitness. */
export interface PeerAnswer {
  readonly nodeId: string;
  readonly peer: string;
  readonly at: string;
  /** flapCount is the stored count, as lnd's FlapCount reports it. */
  readonly flapCount: number;
  /** cooledFlapCount is the count decayed to `at` (what the fitness threshold uses). */
  readonly cooledFlapCount: number;
  readonly lastFlap: string | null;
  readonly uptime: UptimeAnswer;
  readonly fit: boolean;
  readonly reasons: readonly string[];
  readonly channels: readonly string[];
}

/** RankedPeer is one entry of a ranking. */
export interface RankedPeer {
  readonly rank: number;
  readonly peer: string;
  readonly fit: boolean;
  readonly reasons: readonly string[];
  readonly uptimeRatio: number | null;
  readonly cooledFlapCount: number;
  readonly flapCount: number;
  readonly lastFlap: string | null;
  readonly openChannels: number;
}

/** PeersAnswer is a node's peers, fittest first. */
export interface PeersAnswer {
  readonly nodeId: string;
  readonly at: string;
  readonly windowMs: number;
  /** total is how many peers are tracked; `peers` may be cut to the asked limit. */
  readonly total: number;
  readonly peers: readonly RankedPeer[];
}

/** FitnessQueries answers the queries from the projection. */
export class FitnessQueries {
  constructor(
    private readonly projection: FitnessProjection,
    private readonly clock: Clock,
    private readonly thresholds: FitnessThresholds,
  ) {}

  /** channel answers a ChannelQuery; unknown node or channel throw Node/ChannelNotFoundError. */
  async channel(input: unknown): Promise<ChannelAnswer> {
    const query = parse(ChannelQuery, input);
    const now = this.instant(query.at);
    const { state } = await this.projection.nodeState(query.nodeId, now);
    const peer = channelPeer(state, query.channelPoint);
    if (peer === undefined) throw new ChannelNotFoundError(query.channelPoint);
    const measure = channelLifetimeAndUptime(state, peer, query.channelPoint, now);
    return {
      nodeId: query.nodeId,
      channelPoint: query.channelPoint,
      peer,
      at: iso(now),
      lifetimeMs: measure.lifetime,
      uptimeMs: measure.uptime,
      ownOutageMs: measure.ownOutage,
      uptimeRatio: measure.lifetime > 0 ? measure.uptime / measure.lifetime : null,
    };
  }

  /** peer answers a PeerQuery; unknown node or untracked peer throw Node/PeerNotFoundError. */
  async peer(input: unknown): Promise<PeerAnswer> {
    const query = parse(PeerQuery, input);
    const now = this.instant(query.at);
    const thresholds = this.withWindow(query.windowMs);
    const { state } = await this.projection.nodeState(query.nodeId, now);
    const assessment = assessPeer(state, query.peer, now, thresholds);
    const { uptime } = assessment;
    return {
      nodeId: query.nodeId,
      peer: query.peer,
      at: iso(now),
      flapCount: assessment.storedFlapCount,
      cooledFlapCount: assessment.flapCount,
      lastFlap: assessment.lastFlap === null ? null : iso(assessment.lastFlap),
      uptime: {
        windowMs: thresholds.uptimeWindowMs,
        monitoredFrom: uptime.monitored === null ? null : iso(uptime.monitored.start),
        monitoredTo: uptime.monitored === null ? null : iso(uptime.monitored.end),
        observedMs: uptime.observed,
        onlineMs: uptime.online,
        ownOutageMs: uptime.ownOutage,
        ratio: uptime.ratio,
      },
      fit: assessment.fit,
      reasons: assessment.reasons,
      channels: trackedChannels(state, query.peer),
    };
  }

  /** peers answers a PeersQuery; an unknown node throws NodeNotFoundError. */
  async peers(input: unknown): Promise<PeersAnswer> {
    const query = parse(PeersQuery, input);
    const now = this.instant(query.at);
    const thresholds = this.withWindow(query.windowMs);
    const { state } = await this.projection.nodeState(query.nodeId, now);
    const ranked = rankPeers(state, now, thresholds);
    return {
      nodeId: query.nodeId,
      at: iso(now),
      windowMs: thresholds.uptimeWindowMs,
      total: ranked.length,
      peers: ranked.slice(0, query.limit ?? ranked.length).map((assessment, i) => rankedPeer(assessment, i + 1)),
    };
  }

  private instant(at: string | undefined): EpochMs {
    return at === undefined ? this.clock.now() : Date.parse(at);
  }

  private withWindow(window: number | undefined): FitnessThresholds {
    return window === undefined ? this.thresholds : { ...this.thresholds, uptimeWindowMs: window };
  }
}

/** ErrorAnswer is how both APIs report a failed query: an HTTP-style status and a coded error. */
export interface ErrorAnswer {
  readonly status: number;
  readonly body: { readonly error: { readonly code: string; readonly message: string; readonly field?: string } };
}

/**
 * errorAnswer maps a query failure to its answer: unknown node, peer or channel are 404 (lnd's
 * ErrPeerNotFound / ErrChannelNotFound), malformed input and windows 400, anything else 500
 * without internals.
 */
export function errorAnswer(error: unknown): ErrorAnswer {
  if (error instanceof InvalidQueryError) {
    return { status: 400, body: { error: { code: error.code, message: error.message, field: error.field } } };
  }
  if (error instanceof FitnessError) {
    const status = error.code === 'INVALID_WINDOW' ? 400 : error.code.endsWith('_NOT_FOUND') ? 404 : 500;
    return { status, body: { error: { code: error.code, message: error.message } } };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'the query failed; see the service log' } } };
}

function rankedPeer(assessment: PeerAssessment, rank: number): RankedPeer {
  return {
    rank,
    peer: assessment.peer,
    fit: assessment.fit,
    reasons: assessment.reasons,
    uptimeRatio: assessment.uptime.ratio,
    cooledFlapCount: assessment.flapCount,
    flapCount: assessment.storedFlapCount,
    lastFlap: assessment.lastFlap === null ? null : iso(assessment.lastFlap),
    openChannels: assessment.openChannels,
  };
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InvalidQueryError(issue?.path.map(String).join('.') || '(query)', issue?.message ?? 'invalid');
  }
  return result.data;
}

function iso(ms: EpochMs): string {
  return new Date(ms).toISOString();
}
