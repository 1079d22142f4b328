/**
 * Weighted combination ("weightedcomb"): each candidate scores Σ weight × sub-score over the
 * sub-heuristics (a sub-heuristic that leaves a candidate out gives it 0). Candidates scoring
 * exactly 0 are dropped; a combined score outside [0, 1] is an error. lnd always runs its
 * configured heuristics through this combination, e.g. {"top_centrality": 1.0}.
 */
import { type LocalChannel } from '../agent/local-channel.js';
import { type ChannelGraph } from '../graph/channel-graph.js';
import { type AttachmentHeuristic, HeuristicError, type NodeScores } from './heuristic.js';

/** WeightedHeuristic is one sub-heuristic and its weight in the combination. */
export interface WeightedHeuristic {
  readonly heuristic: AttachmentHeuristic;
  readonly weight: number;
}

/**
 * WEIGHT_SUM_TOLERANCE: how far the weights may sum from 1. lnd demands exactly 1.0, which
 * rejects sums such as 0.7 + 0.2 + 0.1 that floating point cannot hit exactly; we allow 1e-9.
 */
export const WEIGHT_SUM_TOLERANCE = 1e-9;

/**
 * SCORE_TOLERANCE: a combined score within this distance outside [0, 1] is rounding, clamped to
 * the range rather than failing (lnd fails on it); anything further out is an error.
 */
export const SCORE_TOLERANCE = 1e-9;

/**
 * weightedCombination creates the heuristic. Throws a {@link HeuristicError} if there are no
 * sub-heuristics, a weight is outside [0, 1], or the weights do not sum to 1.
 */
export function weightedCombination(parts: readonly WeightedHeuristic[]): AttachmentHeuristic {
  if (parts.length === 0) throw new HeuristicError('a weighted combination needs at least one heuristic');
  let sum = 0;
  for (const { heuristic, weight } of parts) {
    if (!(weight >= 0 && weight <= 1)) throw new HeuristicError(`weight of ${heuristic.name} must be in [0, 1], got ${weight}`);
    sum += weight;
  }
  if (Math.abs(sum - 1) > WEIGHT_SUM_TOLERANCE) throw new HeuristicError(`heuristic weights must sum to 1, got ${sum}`);
  const frozen = parts.map(({ heuristic, weight }) => ({ heuristic, weight }));

  return {
    name: 'weightedcomb',
    nodeScores(graph: ChannelGraph, channels: readonly LocalChannel[], chanSizeSat: number, candidates: ReadonlySet<string>): NodeScores {
      const subScores = frozen.map(({ heuristic }) => {
        try {
          return heuristic.nodeScores(graph, channels, chanSizeSat, candidates);
        } catch (error) {
          throw new HeuristicError(`heuristic ${heuristic.name} failed to score`, { cause: error });
        }
      });
      const scores: NodeScores = new Map();
      for (const candidate of candidates) {
        let score = 0;
        frozen.forEach(({ weight }, i) => {
          score += weight * (subScores[i]?.get(candidate) ?? 0);
        });
        if (score === 0) continue;
        if (!(score >= -SCORE_TOLERANCE && score <= 1 + SCORE_TOLERANCE)) {
          throw new HeuristicError(`invalid combined score ${score} for ${candidate}`);
        }
        scores.set(candidate, Math.min(1, Math.max(0, score)));
      }
      return scores;
    },
  };
}

/** HeuristicFactories builds each named heuristic for {@link heuristicFromWeights}. */
export type HeuristicFactories = Readonly<Partial<Record<string, () => AttachmentHeuristic>>>;

/**
 * heuristicFromWeights builds the combination from lnd-style configuration such as
 * `{"top_centrality": 0.7, "preferential": 0.3}`; an unknown name is a {@link HeuristicError}.
 */
export function heuristicFromWeights(weights: Readonly<Record<string, number>>, factories: HeuristicFactories): AttachmentHeuristic {
  return weightedCombination(
    Object.entries(weights).map(([name, weight]) => {
      const factory = factories[name];
      if (factory === undefined) throw new HeuristicError(`unknown heuristic ${name}`);
      return { heuristic: factory(), weight };
    }),
  );
}
