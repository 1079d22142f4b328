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
 * Speed (lnd runs the textbook form with per-node slices; we need the full public graph, ~12.8k
 * nodes and ~50k channels, in seconds):
 * - flat typed arrays, nothing allocated per node or per source;
 * - leaf pruning. A leaf is a node whose channels all go to one neighbour u that has other
 *   neighbours too (over half of the public graph). A leaf is never an intermediate node and every
 *   path to or from it runs through u, so leaves are removed from the searches and carried as
 *   weights: u's search stands for 1 + L(u) sources, reaching u stands for 1 + L(u) targets
 *   (δ[v] += (σv/σw)(1 + L(w) + δ[w])), and u gains the pairs it joins to its own leaves,
 *   2·L·(|component| - 2) - L·(L - 1) ordered pairs. The result is exact (the specs compare it
 *   with a plain implementation on random multigraphs); only the floating-point summation order
 *   differs from lnd's.
 *
 * Sources can be split into strided parts (part p of N takes sources p, p+N, p+2N, ...); the
 * partial vectors are summed in part order, so an in-process split and the worker-thread runner
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
 * PrunedAdjacency is the graph without its leaves (same node indices; leaves have no entries),
 * with per-node leaf counts.
 */
export interface PrunedAdjacency extends CsrAdjacency {
  /** isLeaf is 1 for a pruned leaf, 0 otherwise. */
  readonly isLeaf: Uint8Array;
  /** leafCount is the number of pruned leaves hanging on each node. */
  readonly leafCount: Int32Array;
}

/**
 * pruneLeaves removes every leaf: a node whose adjacency entries all point to one neighbour u
 * that itself has two or more distinct neighbours (so neither end of a two-node component is a
 * leaf). Parallel channels to a leaf disappear with it; they would only multiply σ through it.
 */
export function pruneLeaves(adj: CsrAdjacency): PrunedAdjacency {
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
  const isLeaf = new Uint8Array(n);
  const leafCount = new Int32Array(n);
  for (let v = 0; v < n; v++) {
    const u = soleNeighbour[v]!;
    if (u >= 0 && soleNeighbour[u] === -2) {
      isLeaf[v] = 1;
      leafCount[u] = leafCount[u]! + 1;
    }
  }
  const prunedOffsets = new Int32Array(n + 1);
  let kept = 0;
  for (let v = 0; v < n; v++) {
    if (isLeaf[v] === 0) {
      const end = offsets[v + 1]!;
      for (let e = offsets[v]!; e < end; e++) if (isLeaf[neighbours[e]!] === 0) kept++;
    }
    prunedOffsets[v + 1] = kept;
  }
  const prunedNeighbours = new Int32Array(kept);
  let at = 0;
  for (let v = 0; v < n; v++) {
    if (isLeaf[v] !== 0) continue;
    const end = offsets[v + 1]!;
    for (let e = offsets[v]!; e < end; e++) {
      const w = neighbours[e]!;
      if (isLeaf[w] === 0) prunedNeighbours[at++] = w;
    }
  }
  return { nodeCount: n, offsets: prunedOffsets, neighbours: prunedNeighbours, isLeaf, leafCount };
}

/**
 * accumulateBetweenness adds, for every selected source s, the Brandes dependencies δs(v) of
 * every node v ≠ s to `out` (raw ordered-pair sums, not yet divided by 2); a selected leaf adds
 * nothing itself, its neighbour's search accounts for it. `out` must have nodeCount entries.
 */
export function accumulateBetweenness(adj: CsrAdjacency, sources: SourceStride, out: Float64Array): void {
  const n = adj.nodeCount;
  if (out.length !== n) throw new RangeError(`output has ${out.length} entries, graph has ${n} nodes`);
  if (!Number.isInteger(sources.step) || sources.step < 1 || !Number.isInteger(sources.first) || sources.first < 0) {
    throw new RangeError(`invalid source stride first=${sources.first} step=${sources.step}`);
  }
  const { offsets, neighbours, isLeaf, leafCount } = pruneLeaves(adj);
  const dist = new Int32Array(n).fill(-1);
  const sigma = new Float64Array(n);
  const delta = new Float64Array(n);
  const order = new Int32Array(n);

  for (let s = sources.first; s < n; s += sources.step) {
    if (isLeaf[s] !== 0) continue;
    // Forward: BFS from s, counting shortest paths. `order` doubles as queue and (reversed) stack.
    let head = 0;
    let tail = 0;
    let componentSize = 0; // nodes of the full graph in s's component, leaves included
    order[tail++] = s;
    dist[s] = 0;
    sigma[s] = 1;
    while (head < tail) {
      const v = order[head++]!;
      componentSize += 1 + leafCount[v]!;
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
    // once per channel, exactly like a predecessor list built during the forward pass. Reaching w
    // also reaches its leaves, hence the target weight 1 + L(w).
    const sourceWeight = 1 + leafCount[s]!;
    for (let i = tail - 1; i > 0; i--) {
      const w = order[i]!;
      const previous = dist[w]! - 1;
      const coefficient = (1 + leafCount[w]! + delta[w]!) / sigma[w]!;
      const end = offsets[w + 1]!;
      for (let e = offsets[w]!; e < end; e++) {
        const v = neighbours[e]!;
        if (dist[v] === previous) delta[v] = delta[v]! + sigma[v]! * coefficient;
      }
      out[w] = out[w]! + sourceWeight * delta[w]!;
    }
    // s is the only intermediate node between each of its leaves and every other node of the
    // component, in both directions; a pair of its own leaves is counted once per direction.
    const leaves = leafCount[s]!;
    if (leaves > 0) out[s] = out[s]! + 2 * leaves * (componentSize - 2) - leaves * (leaves - 1);
    // Reset only what this search touched.
    for (let i = 0; i < tail; i++) {
      const v = order[i]!;
      dist[v] = -1;
      sigma[v] = 0;
      delta[v] = 0;
    }
  }
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
