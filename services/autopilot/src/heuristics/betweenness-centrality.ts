/* eslint-disable @typescript-eslint/no-non-null-assertion -- the kernel indexes typed arrays with
   indices that are in range by construction (CSR offsets, BFS order); `!` keeps the hot loops free
   of undefined checks that `noUncheckedIndexedAccess` would otherwise demand. */
/**
 * Betweenness centrality of every node in the channel graph, by Brandes' algorithm: one
 * breadth-first search per source node (unweighted, undirected), then dependency accumulation in
 * reverse BFS order with δ[v] += (σv/σw)(1 + δ[w]).
 *
 * Like lnd, the graph is a multigraph: every channel is one adjacency entry, so two parallel
 * channels between a pair count as two shortest-path edges (σ doubles through them). Like lnd the
 * raw sums are divided by 2 because each undirected path is found from both of its ends.
 *
 * The kernel works on flat typed arrays and allocates nothing per node or per source, so the full
 * public graph (~12.8k nodes, ~50k channels) takes seconds rather than minutes. It also skips the
 * search from every leaf (a node whose channels all go to one neighbour u that has other
 * neighbours; over half of the public graph): the leaf's dependencies equal u's on every other
 * node, and u gains |component| - 2 from it, so the search from u is counted once per such leaf
 * too. The result is exact; only the floating-point summation order differs. Sources can be
 * split into strided parts (part p of N takes sources p, p+N, p+2N, ...); the partial vectors are
 * summed in part order, so an in-process split and the worker-thread runner
 * (`parallel-centrality.ts`) give bit-identical results for the same part count.
 */
import { type CsrAdjacency } from '../graph/channel-graph.js';

/** SourceStride selects the sources p, p+step, p+2·step, ... of a strided split. */
export interface SourceStride {
  /** first is the first source node index (the part number). */
  readonly first: number;
  /** step is the distance between sources (the number of parts). */
  readonly step: number;
}

/**
 * accumulateBetweenness adds, for every selected source s, the Brandes dependencies δs(v) of
 * every node v ≠ s to `out` (raw, not yet divided by 2). `out` must have nodeCount entries.
 */
export function accumulateBetweenness(adj: CsrAdjacency, sources: SourceStride, out: Float64Array): void {
  const n = adj.nodeCount;
  const { offsets, neighbours } = adj;
  if (out.length !== n) throw new RangeError(`output has ${out.length} entries, graph has ${n} nodes`);
  if (!Number.isInteger(sources.step) || sources.step < 1 || !Number.isInteger(sources.first) || sources.first < 0) {
    throw new RangeError(`invalid source stride first=${sources.first} step=${sources.step}`);
  }
  const sourceWeight = leafSourceWeights(adj);
  const dist = new Int32Array(n).fill(-1);
  const sigma = new Float64Array(n);
  const delta = new Float64Array(n);
  const order = new Int32Array(n);

  for (let s = sources.first; s < n; s += sources.step) {
    const weight = sourceWeight[s]!;
    if (weight === 0) continue; // a leaf: accounted for by its neighbour's search
    // Forward: BFS from s, counting shortest paths. `order` doubles as queue and (reversed) stack.
    let head = 0;
    let tail = 0;
    order[tail++] = s;
    dist[s] = 0;
    sigma[s] = 1;
    while (head < tail) {
      const v = order[head++]!;
      const next = dist[v]! + 1;
      const sv = sigma[v]!;
      const end = offsets[v + 1]!;
      for (let e = offsets[v]!; e < end; e++) {
        const w = neighbours[e]!;
        let dw = dist[w]!;
        if (dw < 0) {
          dw = next;
          dist[w] = next;
          order[tail++] = w;
        }
        if (dw === next) sigma[w] = sigma[w]! + sv;
      }
    }
    // Backward: nodes in reverse BFS order; every neighbour one step closer to s is a predecessor,
    // once per channel, exactly like a predecessor list built during the forward pass.
    for (let i = tail - 1; i > 0; i--) {
      const w = order[i]!;
      const previous = dist[w]! - 1;
      const coefficient = (1 + delta[w]!) / sigma[w]!;
      const end = offsets[w + 1]!;
      for (let e = offsets[w]!; e < end; e++) {
        const v = neighbours[e]!;
        if (dist[v] === previous) delta[v] = delta[v]! + sigma[v]! * coefficient;
      }
      out[w] = out[w]! + weight * delta[w]!;
    }
    // Each leaf l hanging on s lies at the end of a shortest path from l to every other node t of
    // the component, with s as the only intermediate node next to l: δl(s) = |component| - 2.
    if (weight > 1) out[s] = out[s]! + (weight - 1) * (tail - 2);
    // Reset only what this search touched.
    for (let i = 0; i < tail; i++) {
      const v = order[i]!;
      dist[v] = -1;
      sigma[v] = 0;
      delta[v] = 0;
    }
  }
}

/**
 * leafSourceWeights returns, per node, how many sources its breadth-first search stands for:
 * 0 for a leaf (all its channels go to one neighbour u, and u has other neighbours too),
 * otherwise 1 + the number of leaves hanging on it.
 */
export function leafSourceWeights(adj: CsrAdjacency): Int32Array {
  const n = adj.nodeCount;
  const { offsets, neighbours } = adj;
  // soleNeighbour[v]: the one distinct neighbour of v, -1 for none, -2 for two or more.
  const soleNeighbour = new Int32Array(n);
  for (let v = 0; v < n; v++) {
    const start = offsets[v]!;
    const end = offsets[v + 1]!;
    let sole = start < end ? neighbours[start]! : -1;
    for (let e = start + 1; e < end; e++) {
      if (neighbours[e] !== sole) {
        sole = -2;
        break;
      }
    }
    soleNeighbour[v] = sole;
  }
  const weights = new Int32Array(n).fill(1);
  for (let v = 0; v < n; v++) {
    const u = soleNeighbour[v]!;
    if (u >= 0 && soleNeighbour[u] === -2) {
      weights[v] = 0;
      weights[u] = weights[u]! + 1;
    }
  }
  return weights;
}

/** partialBetweenness returns the raw dependency sums of one strided part of the sources. */
export function partialBetweenness(adj: CsrAdjacency, part: number, parts: number): Float64Array<ArrayBuffer> {
  checkParts(parts);
  if (!Number.isInteger(part) || part < 0 || part >= parts) throw new RangeError(`part ${part} is not in 0..${parts - 1}`);
  const out = new Float64Array(adj.nodeCount);
  accumulateBetweenness(adj, { first: part, step: parts }, out);
  return out;
}

/**
 * combinePartials sums partial vectors in the given order and halves the result (each undirected
 * shortest path is counted from both ends), giving lnd's raw betweenness values.
 */
export function combinePartials(nodeCount: number, partials: readonly Float64Array[]): Float64Array<ArrayBuffer> {
  const total = new Float64Array(nodeCount);
  for (const partial of partials) {
    if (partial.length !== nodeCount) throw new RangeError(`partial has ${partial.length} entries, expected ${nodeCount}`);
    for (let v = 0; v < nodeCount; v++) total[v] = total[v]! + partial[v]!;
  }
  for (let v = 0; v < nodeCount; v++) total[v] = total[v]! / 2;
  return total;
}

/**
 * betweennessCentrality returns the raw betweenness of every node (indexed like the graph),
 * computed in-process over `parts` strided source parts whose partial vectors are summed — the
 * same split the worker-thread runner uses, so it is the reference for any worker count.
 * `parts` must be >= 1 (lnd: "workers must be >= 1").
 */
export function betweennessCentrality(adj: CsrAdjacency, parts = 1): Float64Array<ArrayBuffer> {
  checkParts(parts);
  const partials: Float64Array[] = [];
  for (let p = 0; p < parts; p++) partials.push(partialBetweenness(adj, p, parts));
  return combinePartials(adj.nodeCount, partials);
}

/**
 * normalizeBetweenness maps raw values to (v - min) / (max - min), or 0 for every node when
 * max == min. As in lnd, min and max start at 0, so min is 0 and the result is effectively v / max.
 */
export function normalizeBetweenness(raw: Float64Array): Float64Array<ArrayBuffer> {
  let min = 0;
  let max = 0;
  for (const v of raw) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const out = new Float64Array(raw.length);
  if (max === min) return out;
  const scale = 1 / (max - min);
  for (let i = 0; i < raw.length; i++) out[i] = (raw[i]! - min) * scale;
  return out;
}

/** checkParts rejects part (worker) counts below 1 or not integers. */
export function checkParts(parts: number): void {
  if (!Number.isInteger(parts) || parts < 1) throw new RangeError(`number of workers must be an integer >= 1, got ${parts}`);
}
