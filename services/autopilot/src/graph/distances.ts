/**
 * Hop distances in the channel graph (unweighted, undirected), used to explain and test the
 * centrality heuristic: lnd's test graph checks its shortest path lengths and its diameter.
 */
import { type CsrAdjacency } from './channel-graph.js';

/** UNREACHABLE marks a node with no path from the source in {@link shortestPathLengths}. */
export const UNREACHABLE = -1;

/** shortestPathLengths returns the hop distance from `source` to every node (UNREACHABLE if none). */
export function shortestPathLengths(adj: CsrAdjacency, source: number): Int32Array {
  const n = adj.nodeCount;
  if (!Number.isInteger(source) || source < 0 || source >= n) throw new RangeError(`node ${source} is not in the graph`);
  const dist = new Int32Array(n).fill(UNREACHABLE);
  const queue = new Int32Array(n);
  let head = 0;
  let tail = 0;
  queue[tail++] = source;
  dist[source] = 0;
  while (head < tail) {
    const v = queue[head++] ?? 0;
    const next = (dist[v] ?? 0) + 1;
    const end = adj.offsets[v + 1] ?? 0;
    for (let e = adj.offsets[v] ?? 0; e < end; e++) {
      const w = adj.neighbours[e] ?? 0;
      if (dist[w] === UNREACHABLE) {
        dist[w] = next;
        queue[tail++] = w;
      }
    }
  }
  return dist;
}

/** diameter returns the longest shortest path (in hops) between two connected nodes; 0 if none. */
export function diameter(adj: CsrAdjacency): number {
  let longest = 0;
  for (let s = 0; s < adj.nodeCount; s++) {
    for (const d of shortestPathLengths(adj, s)) if (d > longest) longest = d;
  }
  return longest;
}
