/**
 * Top centrality ("top_centrality"), lnd's default heuristic: candidates score their normalized
 * betweenness centrality, so the agent prefers nodes that sit on many shortest paths.
 *
 * Where we differ from lnd: lnd recomputes the centrality of the whole graph on every call. Our
 * graphs are immutable snapshots, so the default provider computes it once per graph object
 * (cached weakly); the shell may instead pass a provider backed by the worker-thread runner or a
 * stored result for the current graph version.
 */
import { connectedPeers, type LocalChannel } from '../agent/local-channel.js';
import { type ChannelGraph } from '../graph/channel-graph.js';
import { betweennessCentrality, normalizeBetweenness } from './betweenness-centrality.js';
import { type AttachmentHeuristic, type NodeScores } from './heuristic.js';

/** CentralityProvider returns the normalized betweenness of every node, indexed like the graph. */
export type CentralityProvider = (graph: ChannelGraph) => Float64Array;

const cache = new WeakMap<ChannelGraph, Float64Array>();

/** cachedNormalizedCentrality computes normalized betweenness in-process, once per graph object. */
export const cachedNormalizedCentrality: CentralityProvider = (graph) => {
  let normalized = cache.get(graph);
  if (normalized === undefined) {
    normalized = normalizeBetweenness(betweennessCentrality(graph));
    cache.set(graph, normalized);
  }
  return normalized;
};

/** TopCentralityOptions tunes {@link topCentrality}. */
export interface TopCentralityOptions {
  /** centrality supplies the normalized values; default {@link cachedNormalizedCentrality}. */
  readonly centrality?: CentralityProvider;
}

/**
 * topCentrality creates the heuristic: every candidate in the graph that is not an existing peer
 * scores its normalized centrality — zero scores included, as in lnd (the weighted choice never
 * picks them).
 */
export function topCentrality(options: TopCentralityOptions = {}): AttachmentHeuristic {
  const centrality = options.centrality ?? cachedNormalizedCentrality;
  return {
    name: 'top_centrality',
    nodeScores(graph: ChannelGraph, channels: readonly LocalChannel[], _chanSizeSat: number, candidates: ReadonlySet<string>): NodeScores {
      const scores: NodeScores = new Map();
      if (candidates.size === 0) return scores;
      const normalized = centrality(graph);
      const peers = connectedPeers(channels);
      for (const candidate of candidates) {
        if (peers.has(candidate)) continue;
        // A candidate missing from the graph (it changed since the candidates were chosen) is skipped.
        const index = graph.indexOf(candidate);
        if (index === undefined) continue;
        scores.set(candidate, normalized[index] ?? 0);
      }
      return scores;
    },
  };
}
