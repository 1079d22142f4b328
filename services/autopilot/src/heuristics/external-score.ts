/**
 * External scores ("externalscore"): scores in [0, 1] set from outside the autopilot (an
 * operator, a ranking service). Candidates without a score are left out.
 *
 * Where we differ from lnd: lnd keeps the scores in memory only and loses them on restart; here
 * they are plain data the shell rebuilds from the events that set them, and this heuristic is a
 * pure view over one version of them.
 */
import { connectedPeers, type LocalChannel } from '../agent/local-channel.js';
import { type ChannelGraph } from '../graph/channel-graph.js';
import { type AttachmentHeuristic, HeuristicError, type NodeScores } from './heuristic.js';

/** validateExternalScores throws a {@link HeuristicError} unless every score is in [0, 1]. */
export function validateExternalScores(scores: ReadonlyMap<string, number>): void {
  for (const [node, score] of scores) {
    if (!(score >= 0 && score <= 1)) throw new HeuristicError(`external score for ${node} must be in [0, 1], got ${score}`);
  }
}

/**
 * externalScore creates the heuristic over a snapshot of external scores (copied, validated):
 * a candidate that is not an existing peer and has a score gets it; the graph is not consulted.
 */
export function externalScore(scores: ReadonlyMap<string, number>): AttachmentHeuristic {
  validateExternalScores(scores);
  const snapshot = new Map(scores);
  return {
    name: 'externalscore',
    nodeScores(_graph: ChannelGraph, channels: readonly LocalChannel[], _chanSizeSat: number, candidates: ReadonlySet<string>): NodeScores {
      const result: NodeScores = new Map();
      const peers = connectedPeers(channels);
      for (const candidate of candidates) {
        if (peers.has(candidate)) continue;
        const score = snapshot.get(candidate);
        if (score !== undefined) result.set(candidate, score);
      }
      return result;
    },
  };
}
