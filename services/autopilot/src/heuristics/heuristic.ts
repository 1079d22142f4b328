/**
 * The attachment heuristic interface: given the graph, the node's channels, the size of the
 * channels to open and the candidate nodes, score each candidate in [0, 1]. A higher score makes
 * the agent more likely to pick the node. As in lnd, a heuristic may leave candidates out, which
 * the agent treats as score 0.
 */
import { type LocalChannel } from '../agent/local-channel.js';
import { type ChannelGraph } from '../graph/channel-graph.js';

/** NodeScores maps a candidate's public key to its score in [0, 1]. */
export type NodeScores = Map<string, number>;

/** HeuristicName names the heuristics lnd offers (and the weights in a combination use). */
export type HeuristicName = 'preferential' | 'top_centrality' | 'externalscore' | 'weightedcomb';

/** AttachmentHeuristic scores candidate peers for new channels. */
export interface AttachmentHeuristic {
  /** name identifies the heuristic in configuration and decision records. */
  readonly name: string;
  /**
   * nodeScores scores the `candidates` (public keys). `channels` are the node's channels, open and
   * pending; their peers are never scored. Throws {@link HeuristicError} when it cannot score.
   */
  nodeScores(graph: ChannelGraph, channels: readonly LocalChannel[], chanSizeSat: number, candidates: ReadonlySet<string>): NodeScores;
}

/** HeuristicError reports a heuristic that cannot be built or cannot score. */
export class HeuristicError extends Error {
  override readonly name = 'HeuristicError';
  /** code identifies the error kind for callers and logs. */
  readonly code = 'HEURISTIC_FAILED';
}
