import type { MessageByType, Pubkey } from '@lnfleet/contracts';
import { cooledFlapCount } from './cool-down.js';
import { PeerNotFoundError } from './errors.js';
import { peerUptimeRatio, trailingWindow, type NodeFitness, type PeerUptimeRatio } from './node-fitness.js';
import { DAY, HOUR, type DurationMs, type EpochMs } from './time.js';

/**
 * Peer fitness: a verdict on one tracked peer from its flap count and its uptime, against
 * configured thresholds. lnd's store only reports the raw numbers; a fleet needs the verdict so
 * the autopilot can stop opening channels to peers that keep dropping, and start again once they
 * recover. The verdict is a pure function of the store and `now`.
 */

/** UnfitReason names a threshold a peer is on the wrong side of. */
export type UnfitReason = 'FLAPPING' | 'LOW_UPTIME';

/** UNFIT_REASONS lists every reason in the order verdicts report them. */
export const UNFIT_REASONS: readonly UnfitReason[] = ['FLAPPING', 'LOW_UPTIME'];

/** FitnessThresholds say when a peer is unfit. */
export interface FitnessThresholds {
  /**
   * maxFlapCount is the highest cooled-down flap count a fit peer may have; above it the peer is
   * FLAPPING. Lower values judge flappy peers sooner; the count decays by cool-down once the peer
   * stops flapping (see `cooledFlapCount`), so a peer recovers by itself.
   */
  readonly maxFlapCount: number;
  /** minUptimeRatio (0..1) is the lowest uptime ratio over `uptimeWindowMs` a fit peer may have. */
  readonly minUptimeRatio: number;
  /** uptimeWindowMs is the trailing window uptime is measured over; longer windows forgive slower. */
  readonly uptimeWindowMs: DurationMs;
  /**
   * minObservedMs is how much of the window must have been observed before uptime is judged, so a
   * peer is not called LOW_UPTIME a second after its channel opened while it was offline.
   */
  readonly minObservedMs: DurationMs;
}

/** DEFAULT_FITNESS_THRESHOLDS: more than 20 flaps, or under 90% uptime over the last day (after an hour). */
export const DEFAULT_FITNESS_THRESHOLDS: FitnessThresholds = {
  maxFlapCount: 20,
  minUptimeRatio: 0.9,
  uptimeWindowMs: DAY,
  minObservedMs: HOUR,
};

/** PeerAssessment is the fitness of one tracked peer at one instant, with the numbers behind it. */
export interface PeerAssessment {
  readonly peer: Pubkey;
  /** fit is true when no threshold is crossed. */
  readonly fit: boolean;
  /** reasons are the crossed thresholds, in UNFIT_REASONS order; empty when fit. */
  readonly reasons: readonly UnfitReason[];
  /** flapCount is the flap count cooled down to `now` (what the threshold is checked against). */
  readonly flapCount: number;
  /** storedFlapCount is the count as lnd's FlapCount reports it (cooled only at each flap). */
  readonly storedFlapCount: number;
  /** lastFlap is when the peer last flapped, null if it never did. */
  readonly lastFlap: EpochMs | null;
  /** uptime is the peer's uptime over the trailing `uptimeWindowMs`. */
  readonly uptime: PeerUptimeRatio;
  /** openChannels is how many of the peer's channels are open (tracked). */
  readonly openChannels: number;
}

/**
 * assessPeer judges a tracked peer at `now`. Throws PeerNotFoundError for a peer the store does not
 * track, and InvalidWindowError for thresholds whose window is not positive.
 */
export function assessPeer(state: NodeFitness, peer: Pubkey, now: EpochMs, thresholds: FitnessThresholds): PeerAssessment {
  const log = state.peers.get(peer);
  if (log === undefined) throw new PeerNotFoundError(peer);
  const flapCount = log.lastFlap === null ? log.flapCount : cooledFlapCount(log.flapCount, log.lastFlap, now);
  const uptime = peerUptimeRatio(state, peer, trailingWindow(now, thresholds.uptimeWindowMs), now);
  const reasons: UnfitReason[] = [];
  if (flapCount > thresholds.maxFlapCount) reasons.push('FLAPPING');
  if (uptime.ratio !== null && uptime.observed >= thresholds.minObservedMs && uptime.ratio < thresholds.minUptimeRatio) {
    reasons.push('LOW_UPTIME');
  }
  return {
    peer,
    fit: reasons.length === 0,
    reasons,
    flapCount,
    storedFlapCount: log.flapCount,
    lastFlap: log.lastFlap,
    uptime,
    openChannels: log.channels.length,
  };
}

/**
 * rankPeers assesses every tracked peer at `now` and orders them fittest first: fit before unfit,
 * then higher uptime ratio (unmeasured last), then fewer flaps, then more open channels, then by
 * public key so equal peers always come in the same order.
 */
export function rankPeers(state: NodeFitness, now: EpochMs, thresholds: FitnessThresholds): PeerAssessment[] {
  return [...state.peers.keys()].map((peer) => assessPeer(state, peer, now, thresholds)).sort(compareFitness);
}

/** compareFitness orders two assessments fittest first (see rankPeers). */
export function compareFitness(a: PeerAssessment, b: PeerAssessment): number {
  if (a.fit !== b.fit) return a.fit ? -1 : 1;
  const ratioA = a.uptime.ratio ?? -1;
  const ratioB = b.uptime.ratio ?? -1;
  if (ratioA !== ratioB) return ratioB - ratioA;
  if (a.flapCount !== b.flapCount) return a.flapCount - b.flapCount;
  if (a.openChannels !== b.openChannels) return b.openChannels - a.openChannels;
  return a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0;
}

/** sameReasons reports whether two verdicts cross the same thresholds (so nothing changed). */
export function sameReasons(a: readonly UnfitReason[], b: readonly UnfitReason[]): boolean {
  return a.length === b.length && a.every((reason, i) => b[i] === reason);
}

/** normalizeReasons returns known reasons once each, in UNFIT_REASONS order (e.g. as read back from storage). */
export function normalizeReasons(reasons: Iterable<string>): UnfitReason[] {
  const given = new Set(reasons);
  return UNFIT_REASONS.filter((reason) => given.has(reason));
}

/** PeerFitnessChange is the data of a PeerFitnessChanged event. */
export type PeerFitnessChange = MessageByType<'PeerFitnessChanged'>['data'];

/**
 * fitnessChange decides whether a new assessment crosses a threshold compared with the verdict
 * last published for the peer (`previous`; a peer never published counts as fit): it returns the
 * PeerFitnessChanged data to publish, or null when the same thresholds are crossed as before.
 */
export function fitnessChange(
  previous: readonly UnfitReason[],
  assessment: PeerAssessment,
  thresholds: FitnessThresholds,
): PeerFitnessChange | null {
  if (sameReasons(previous, assessment.reasons)) return null;
  return {
    peer: assessment.peer,
    fit: assessment.fit,
    reasons: [...assessment.reasons],
    previousReasons: [...previous],
    flapCount: assessment.flapCount,
    maxFlapCount: thresholds.maxFlapCount,
    uptimeRatio: assessment.uptime.ratio,
    minUptimeRatio: thresholds.minUptimeRatio,
    uptimeWindowMs: thresholds.uptimeWindowMs,
    openChannels: assessment.openChannels,
  };
}
