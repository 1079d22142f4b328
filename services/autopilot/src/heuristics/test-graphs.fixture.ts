/**
 * Test fixtures shared by the autopilot specs: small hand-checked graphs, a random multigraph
 * generator, and a deliberately plain Brandes implementation (Maps and predecessor lists, the
 * textbook form lnd uses) against which the typed-array kernel is compared. Not used at runtime.
 */
import { type Rng } from '../agent/prng.js';
import { ChannelGraph, type GraphChannelInput, type GraphNodeInput } from '../graph/channel-graph.js';

/** BTC is one bitcoin in satoshis. */
export const BTC = 100_000_000;

/** testPubKey returns a valid-looking compressed public key for a small integer. */
export function testPubKey(index: number): string {
  return `02${index.toString(16).padStart(64, '0')}`;
}

/** buildTestGraph builds a graph of nodes 0..nodeCount-1 (each with one address) and channels. */
export function buildTestGraph(
  nodeCount: number,
  edges: readonly (readonly [number, number])[],
  capacitySat: number | readonly number[] = BTC,
  withAddresses = true,
): ChannelGraph {
  const nodes: GraphNodeInput[] = Array.from({ length: nodeCount }, (_, i) => ({
    pubKey: testPubKey(i),
    alias: `node-${i}`,
    addresses: withAddresses ? [{ network: 'tcp', addr: `10.0.${Math.floor(i / 256)}.${i % 256}:9735` }] : [],
  }));
  const channels: GraphChannelInput[] = edges.map(([a, b], i) => ({
    channelId: String(1000 + i),
    node1: testPubKey(a),
    node2: testPubKey(b),
    capacitySat: typeof capacitySat === 'number' ? capacitySat : (capacitySat[i] ?? BTC),
  }));
  return ChannelGraph.fromChannels(nodes, channels);
}

/** CENTRALITY_EDGES is lnd's 9-node centrality test graph (every channel 1 BTC). */
export const CENTRALITY_EDGES: readonly (readonly [number, number])[] = [
  [0, 1], [0, 2], [0, 3],
  [1, 2],
  [2, 3],
  [3, 4], [3, 5],
  [4, 5], [4, 6], [4, 7],
  [5, 6], [5, 7],
  [6, 7], [6, 8],
];

/** CENTRALITY_RAW is lnd's expected raw betweenness for {@link CENTRALITY_EDGES}. */
export const CENTRALITY_RAW: readonly number[] = [3, 0, 3, 15, 6, 6, 7, 0, 0];

/** CENTRALITY_NORMALIZED is lnd's expected normalized betweenness for {@link CENTRALITY_EDGES}. */
export const CENTRALITY_NORMALIZED: readonly number[] = [0.2, 0, 0.2, 1.0, 0.4, 0.4, 7 / 15, 0, 0];

/**
 * randomMultigraph returns edges of a random sparse multigraph with leaves, parallel channels,
 * two-node components and isolated nodes — the shapes the kernel's shortcuts must get right.
 */
export function randomMultigraph(nodeCount: number, edgeCount: number, rng: Rng): [number, number][] {
  const edges: [number, number][] = [];
  const pick = (): number => Math.floor(rng() * nodeCount);
  for (let i = 0; i < edgeCount; i++) {
    const a = pick();
    let b = pick();
    if (a === b) b = (b + 1) % nodeCount;
    edges.push([a, b]);
    if (rng() < 0.1) edges.push([a, b]); // a parallel channel
  }
  return edges;
}

/**
 * referenceBetweenness is textbook Brandes as lnd writes it — adjacency lists (one entry per
 * channel, so parallel channels count twice), a FIFO queue, a stack, predecessor lists, no
 * shortcuts — divided by 2 at the end. Written for clarity, as the oracle for the fast kernel;
 * node names are mapped to array indices once so that it finishes on real sub-graphs.
 */
export function referenceBetweenness(nodes: readonly string[], channels: readonly (readonly [string, string])[]): Map<string, number> {
  const index = new Map<string, number>();
  const names: string[] = [];
  const indexOf = (name: string): number => {
    let i = index.get(name);
    if (i === undefined) {
      i = names.length;
      index.set(name, i);
      names.push(name);
    }
    return i;
  };
  for (const node of nodes) indexOf(node);
  const adjacency: number[][] = [];
  for (const [a, b] of channels) {
    if (a === b) continue;
    const ia = indexOf(a);
    const ib = indexOf(b);
    while (adjacency.length < names.length) adjacency.push([]);
    adjacency[ia]?.push(ib);
    adjacency[ib]?.push(ia);
  }
  while (adjacency.length < names.length) adjacency.push([]);
  const n = names.length;
  const centrality: number[] = new Array<number>(n).fill(0);

  for (let s = 0; s < n; s++) {
    const stack: number[] = [];
    const predecessors: number[][] = Array.from({ length: n }, () => []);
    const sigma: number[] = new Array<number>(n).fill(0);
    const dist: number[] = new Array<number>(n).fill(-1);
    sigma[s] = 1;
    dist[s] = 0;
    const queue: number[] = [s];
    for (let head = 0; head < queue.length; head++) {
      const v = queue[head] ?? 0;
      stack.push(v);
      for (const w of adjacency[v] ?? []) {
        if ((dist[w] ?? -1) < 0) {
          dist[w] = (dist[v] ?? 0) + 1;
          queue.push(w);
        }
        if (dist[w] === (dist[v] ?? 0) + 1) {
          sigma[w] = (sigma[w] ?? 0) + (sigma[v] ?? 0);
          predecessors[w]?.push(v);
        }
      }
    }
    const delta: number[] = new Array<number>(n).fill(0);
    while (stack.length > 0) {
      const w = stack.pop() ?? 0;
      for (const v of predecessors[w] ?? []) {
        delta[v] = (delta[v] ?? 0) + ((sigma[v] ?? 0) / (sigma[w] ?? 1)) * (1 + (delta[w] ?? 0));
      }
      if (w !== s) centrality[w] = (centrality[w] ?? 0) + (delta[w] ?? 0);
    }
  }
  return new Map(names.map((name, i) => [name, (centrality[i] ?? 0) / 2]));
}

/** maxRelativeDifference returns the largest |actual - expected| / max(1, |expected|) of two vectors. */
export function maxRelativeDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i] ?? 0;
    const diff = Math.abs((actual[i] ?? 0) - e) / Math.max(1, Math.abs(e));
    if (!(diff <= worst)) worst = diff;
  }
  return worst;
}
