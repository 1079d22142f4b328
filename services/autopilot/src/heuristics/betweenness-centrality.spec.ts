import { createRng } from '../agent/prng.js';
import {
  accumulateBetweenness,
  betweennessCentrality,
  combinePartials,
  normalizeBetweenness,
  partialBetweenness,
  pruneLeaves,
} from './betweenness-centrality.js';
import {
  buildTestGraph,
  CENTRALITY_EDGES,
  CENTRALITY_NORMALIZED,
  CENTRALITY_RAW,
  maxRelativeDifference,
  randomMultigraph,
  referenceBetweenness,
  testPubKey,
} from './test-graphs.fixture.js';

const WORKER_COUNTS = [1, 2, 3, 4];

describe('betweennessCentrality (lnd test vectors)', () => {
  const graph = buildTestGraph(9, CENTRALITY_EDGES);

  it.each(WORKER_COUNTS)('gives the raw values [3,0,3,15,6,6,7,0,0] with %i worker(s)', (workers) => {
    const raw = betweennessCentrality(graph, workers);
    expect(maxRelativeDifference(raw, CENTRALITY_RAW)).toBeLessThan(1e-12);
  });

  it.each(WORKER_COUNTS)('gives the normalized values with %i worker(s)', (workers) => {
    const normalized = normalizeBetweenness(betweennessCentrality(graph, workers));
    expect(maxRelativeDifference(normalized, CENTRALITY_NORMALIZED)).toBeLessThan(1e-12);
  });

  it('gives the same raw vector through explicit partials as through the split helper', () => {
    const partials = [0, 1, 2].map((p) => partialBetweenness(graph, p, 3));
    expect(Array.from(combinePartials(graph.nodeCount, partials))).toEqual(Array.from(betweennessCentrality(graph, 3)));
  });

  it('rejects worker counts below 1, like lnd', () => {
    expect(() => betweennessCentrality(graph, 0)).toThrow(RangeError);
    expect(() => betweennessCentrality(graph, 1.5)).toThrow(RangeError);
    expect(() => partialBetweenness(graph, 3, 3)).toThrow(RangeError);
    expect(() => {
      accumulateBetweenness(graph, { first: 0, step: 1 }, new Float64Array(3));
    }).toThrow(RangeError);
  });
});

describe('betweennessCentrality on small shapes', () => {
  it('is empty for an empty graph and zero for isolated nodes', () => {
    expect(betweennessCentrality(buildTestGraph(0, [])).length).toBe(0);
    expect(Array.from(betweennessCentrality(buildTestGraph(3, [])))).toEqual([0, 0, 0]);
    expect(Array.from(normalizeBetweenness(new Float64Array([0, 0])))).toEqual([0, 0]);
  });

  it('gives the middle of a path 0-1-2 one shortest path', () => {
    expect(Array.from(betweennessCentrality(buildTestGraph(3, [[0, 1], [1, 2]])))).toEqual([0, 1, 0]);
  });

  it('counts parallel channels as separate shortest paths, as lnd does', () => {
    // Square 0-1-3-2-0 with 0=1 doubled: paths 0→3 are 0-1-3 twice and 0-2-3 once;
    // paths 1→2 are 1-0-2 twice and 1-3-2 once.
    const raw = betweennessCentrality(buildTestGraph(4, [[0, 1], [0, 1], [1, 3], [0, 2], [2, 3]]));
    expect(maxRelativeDifference(raw, [2 / 3, 2 / 3, 1 / 3, 1 / 3])).toBeLessThan(1e-12);
  });

  it('credits the hub of a star with every leaf pair (leaf searches skipped)', () => {
    const star = buildTestGraph(5, [[0, 1], [0, 2], [0, 3], [0, 4], [0, 4]]);
    const pruned = pruneLeaves(star);
    expect(Array.from(pruned.isLeaf)).toEqual([0, 1, 1, 1, 1]);
    expect(Array.from(pruned.leafCount)).toEqual([4, 0, 0, 0, 0]);
    expect(pruned.neighbours.length).toBe(0);
    expect(Array.from(betweennessCentrality(star))).toEqual([6, 0, 0, 0, 0]);
  });

  it('does not skip either end of a two-node component', () => {
    const pair = buildTestGraph(2, [[0, 1], [0, 1]]);
    expect(Array.from(pruneLeaves(pair).isLeaf)).toEqual([0, 0]);
    expect(Array.from(betweennessCentrality(pair))).toEqual([0, 0]);
  });

  it('keeps the core of a path with leaves at both ends', () => {
    // 0 - 1 - 2 - 3 - 4: leaves 0 and 4 are pruned, 1-2-3 remains.
    const path = buildTestGraph(5, [[0, 1], [1, 2], [2, 3], [3, 4]]);
    const pruned = pruneLeaves(path);
    expect(Array.from(pruned.isLeaf)).toEqual([1, 0, 0, 0, 1]);
    expect(Array.from(pruned.offsets)).toEqual([0, 0, 1, 3, 4, 4]);
    expect(Array.from(betweennessCentrality(path))).toEqual([0, 3, 4, 3, 0]);
  });

  it('normalizes by the maximum with min starting at 0', () => {
    expect(Array.from(normalizeBetweenness(new Float64Array([2, 4, 8])))).toEqual([0.25, 0.5, 1]);
  });
});

describe('betweennessCentrality against the plain reference implementation', () => {
  it.each([
    [1, 40, 50],
    [2, 120, 150],
    [3, 300, 420],
    [4, 60, 200],
  ])('agrees on random multigraph #%i (%i nodes, %i channels) for 1..4 workers', (seed, nodes, channels) => {
    const edges = randomMultigraph(nodes, channels, createRng(seed));
    const graph = buildTestGraph(nodes, edges);
    const names = Array.from({ length: nodes }, (_, i) => testPubKey(i));
    const reference = referenceBetweenness(
      names,
      edges.map(([a, b]) => [testPubKey(a), testPubKey(b)] as const),
    );
    const expected = names.map((name) => reference.get(name) ?? Number.NaN);
    for (const workers of WORKER_COUNTS) {
      expect(maxRelativeDifference(betweennessCentrality(graph, workers), expected)).toBeLessThan(1e-9);
    }
  });
});
