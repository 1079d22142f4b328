/**
 * Weighted random choice of peers: the agent picks among scored candidates with probability
 * proportional to their score, without replacement, like lnd's chooseN. The randomness is
 * injected ({@link Rng}) so a decision can be replayed from its recorded seed.
 */
import { type Rng } from './prng.js';

/** ChosenNode is a node picked by {@link chooseN}, with the score it was picked by. */
export interface ChosenNode {
  readonly node: string;
  readonly score: number;
}

/**
 * weightedChoice returns index i with probability weights[i] / Σ positive weights, or -1 when no
 * weight is positive. Zero, negative and NaN weights are never chosen.
 */
export function weightedChoice(weights: ArrayLike<number>, rng: Rng): number {
  let sum = 0;
  let lastPositive = -1;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] ?? 0;
    if (w > 0) {
      sum += w;
      lastPositive = i;
    }
  }
  if (lastPositive < 0) return -1;
  // Lay the weights end to end on [0, sum) and see where a uniform point lands.
  let point = rng() * sum;
  for (let i = 0; i < lastPositive; i++) {
    const w = weights[i] ?? 0;
    if (!(w > 0)) continue;
    if (point < w) return i;
    point -= w;
  }
  // Reached only by the last positive weight, or by rounding in the subtractions above.
  return lastPositive;
}

/**
 * chooseN picks up to `n` distinct nodes, each draw weighted by score among the nodes not yet
 * picked; it stops early when no node with a positive score is left. Nodes are considered in
 * public-key order (lnd iterates a Go map, in random order), so the same scores and the same
 * random sequence always give the same picks. Returns the picks in the order they were drawn.
 */
export function chooseN(n: number, scores: ReadonlyMap<string, number>, rng: Rng): ChosenNode[] {
  const nodes = [...scores.keys()].sort();
  return chooseSorted(n, nodes, Float64Array.from(nodes, (node) => scores.get(node) ?? 0), rng);
}

/**
 * chooseSorted is {@link chooseN} over nodes already in public-key order with their weights
 * alongside (`weights[i]` for `nodes[i]`; zero, negative or NaN = never picked). It zeroes the
 * weights of the nodes it picks. Nodes that cannot be picked may be in the list: they change
 * neither the sum nor the order of the others, so the picks equal chooseN's without them.
 */
export function chooseSorted(n: number, nodes: readonly string[], weights: Float64Array, rng: Rng): ChosenNode[] {
  const chosen: ChosenNode[] = [];
  while (chosen.length < n) {
    const index = weightedChoice(weights, rng);
    if (index < 0) break;
    chosen.push({ node: nodes[index] ?? '', score: weights[index] ?? 0 });
    weights[index] = 0; // without replacement
  }
  return chosen;
}
