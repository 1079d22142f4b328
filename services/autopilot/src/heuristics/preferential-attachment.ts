/**
 * Preferential attachment ("preferential"), lnd's default before top_centrality: nodes with many
 * reasonably sized channels score high. Channels smaller than a quarter of the graph's median
 * channel capacity count against a node, since many tiny channels make it a worse hub.
 */
import { connectedPeers, type LocalChannel } from '../agent/local-channel.js';
import { type ChannelGraph } from '../graph/channel-graph.js';
import { type AttachmentHeuristic, type NodeScores } from './heuristic.js';

/** MIN_MEDIAN_CHAN_SIZE_FRACTION: channels below median/this count -1 instead of +1 (lnd: 4). */
export const MIN_MEDIAN_CHAN_SIZE_FRACTION = 4;

/**
 * medianCapacity returns the median of the capacities (integer average of the two middle values
 * for an even count, 0 for none), as lnd's Median over satoshi amounts.
 */
export function medianCapacity(capacities: ArrayLike<number>): number {
  const sorted = Float64Array.from(capacities).sort();
  const count = sorted.length;
  if (count === 0) return 0;
  const middle = Math.floor(count / 2);
  if (count % 2 === 1) return sorted[middle] ?? 0;
  return Math.trunc(((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2);
}

/**
 * preferentialCounts returns, per node index, +1 for each of its channels of at least
 * median/4 capacity and -1 for each smaller one (parallel channels counted separately).
 */
export function preferentialCounts(graph: ChannelGraph): Int32Array {
  const threshold = Math.trunc(medianCapacity(graph.capacities) / MIN_MEDIAN_CHAN_SIZE_FRACTION);
  const counts = new Int32Array(graph.nodeCount);
  for (let c = 0; c < graph.channelCount; c++) {
    const step = (graph.capacities[c] ?? 0) < threshold ? -1 : 1;
    const a = graph.channelNode1[c] ?? 0;
    const b = graph.channelNode2[c] ?? 0;
    counts[a] = (counts[a] ?? 0) + step;
    counts[b] = (counts[b] ?? 0) + step;
  }
  return counts;
}

/**
 * preferentialAttachment creates the heuristic: score = count / maxCount over the whole graph;
 * nobody scores when maxCount <= 0; existing peers, nodes with count <= 0 and candidates not in
 * the graph are left out. The channel size does not matter, as in lnd.
 */
export function preferentialAttachment(): AttachmentHeuristic {
  return {
    name: 'preferential',
    nodeScores(graph: ChannelGraph, channels: readonly LocalChannel[], _chanSizeSat: number, candidates: ReadonlySet<string>): NodeScores {
      const scores: NodeScores = new Map();
      const counts = preferentialCounts(graph);
      let maxCount = 0;
      for (const count of counts) if (count > maxCount) maxCount = count;
      if (maxCount === 0) return scores;
      const peers = connectedPeers(channels);
      for (const candidate of candidates) {
        if (peers.has(candidate)) continue;
        const index = graph.indexOf(candidate);
        if (index === undefined) continue;
        const count = counts[index] ?? 0;
        if (count <= 0) continue;
        scores.set(candidate, count / maxCount);
      }
      return scores;
    },
  };
}
