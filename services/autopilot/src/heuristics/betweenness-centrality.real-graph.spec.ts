/**
 * Golden and agreement tests of the centrality kernel on the real public graph of 2025-10-25
 * (Bitcoin Data Labs gossip snapshot, lnd describegraph shape). The file lives outside the
 * repository (../shared/data, or $LNFLEET_GRAPH); when it is absent these tests are skipped and
 * say so.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { ChannelGraph, type DescribeGraphJson } from '../graph/channel-graph.js';
import { betweennessCentrality, normalizeBetweenness } from './betweenness-centrality.js';
import { compileCentralityWorker } from './compile-worker.fixture.js';
import { betweennessCentralityParallel } from './parallel-centrality.js';
import { maxRelativeDifference, referenceBetweenness } from './test-graphs.fixture.js';
import { topCentrality } from './top-centrality.js';
import { DEFAULT_CONSTRAINTS } from '../agent/constraints.js';
import { decide } from '../agent/decide.js';
import { createRng } from '../agent/prng.js';

const GRAPH_PATH =
  process.env.LNFLEET_GRAPH ??
  resolve(dirname(fileURLToPath(import.meta.url)), '../../../../../shared/data/ln-graph-2025-10-25.json.gz');
const present = existsSync(GRAPH_PATH);
if (!present) {
  console.warn(`SKIPPED real-graph centrality tests: ${GRAPH_PATH} not found (set LNFLEET_GRAPH to the describegraph .json.gz)`);
}
const describeWithGraph = present ? describe : describe.skip;

/** inducedSubgraph keeps the given nodes and the channels between two of them. */
function inducedSubgraph(json: DescribeGraphJson, keep: ReadonlySet<string>): DescribeGraphJson {
  return {
    nodes: json.nodes.filter((node) => keep.has(node.pub_key)),
    edges: json.edges.filter((edge) => keep.has(edge.node1_pub) && keep.has(edge.node2_pub)),
  };
}

function expectAgreesWithReference(json: DescribeGraphJson): void {
  const graph = ChannelGraph.fromDescribeGraph(json);
  const fast = betweennessCentrality(graph);
  const reference = referenceBetweenness(
    json.nodes.map((node) => node.pub_key),
    json.edges.map((edge) => [edge.node1_pub, edge.node2_pub] as const),
  );
  const expected = graph.pubKeys.map((pubKey) => reference.get(pubKey) ?? Number.NaN);
  expect(maxRelativeDifference(fast, expected)).toBeLessThan(1e-9);
  const normalizedExpected = normalizeBetweenness(Float64Array.from(expected));
  expect(maxRelativeDifference(normalizeBetweenness(fast), normalizedExpected)).toBeLessThan(1e-9);
  // A sub-graph worth testing has real structure.
  expect(Math.max(...fast)).toBeGreaterThan(1000);
}

describeWithGraph('betweenness centrality on the real graph (2025-10-25)', () => {
  let json: DescribeGraphJson;
  let graph: ChannelGraph;
  let fullRaw: Float64Array | undefined;

  beforeAll(() => {
    json = JSON.parse(gunzipSync(readFileSync(GRAPH_PATH)).toString('utf8')) as DescribeGraphJson;
    graph = ChannelGraph.fromDescribeGraph(json);
  });

  it('loads the documented graph: 12,827 nodes, 49,570 channels, 7,676 with an address', () => {
    expect(graph.nodeCount).toBe(12_827);
    expect(graph.channelCount).toBe(49_570);
    expect(graph.neighbours.length).toBe(2 * 49_570);
    expect(graph.addresses.filter((addrs) => addrs.length > 0).length).toBe(7_676);
  });

  it('agrees with the plain reference on the induced sub-graph of the 1,500 best-connected nodes', () => {
    const byDegree = [...graph.pubKeys.keys()].sort((a, b) => graph.degree(b) - graph.degree(a) || a - b);
    expectAgreesWithReference(inducedSubgraph(json, new Set(byDegree.slice(0, 1_500).map((i) => graph.pubKeys[i] ?? ''))));
  });

  it('agrees with the plain reference on a 1,500-node BFS ball (many leaves and parallel channels)', () => {
    // Start from a node of middling degree so the ball holds hubs, leaves and parallel channels.
    const start = [...graph.pubKeys.keys()].find((v) => graph.degree(v) === 12) ?? 0;
    const seen = new Set<number>([start]);
    const queue = [start];
    for (let head = 0; head < queue.length && seen.size < 1_500; head++) {
      for (const w of graph.neighbourIndices(queue[head] ?? 0)) {
        if (seen.size >= 1_500) break;
        if (!seen.has(w)) {
          seen.add(w);
          queue.push(w);
        }
      }
    }
    expectAgreesWithReference(inducedSubgraph(json, new Set([...seen].map((i) => graph.pubKeys[i] ?? ''))));
  });

  it('gives the golden top five on the full graph with 2 worker threads', async () => {
    // Golden values from this kernel, confirmed once against referenceBetweenness on the whole
    // graph (see the autopilot report); the kernel itself is checked against the reference above.
    const golden: [string, number][] = [
      ['ACINQ', 17_538_325.4965],
      ['1ML.com node ALPHA', 14_421_111.093],
      ['LNT.chengdu', 11_063_612.2347],
      ['LNT.Thailand', 10_114_036.3667],
      ['CoinGate', 9_053_010.2307],
    ];
    const compiled = await compileCentralityWorker();
    try {
      const raw = await betweennessCentralityParallel(graph, 2, { workerUrl: compiled.workerUrl });
      fullRaw = raw;
      const top = [...raw.keys()].sort((a, b) => (raw[b] ?? 0) - (raw[a] ?? 0)).slice(0, 5);
      expect(top.map((i) => graph.aliases[i])).toEqual(golden.map(([alias]) => alias));
      expect(maxRelativeDifference(top.map((i) => raw[i] ?? 0), golden.map(([, value]) => value))).toBeLessThan(1e-10);
      expect(normalizeBetweenness(raw)[top[0] ?? 0]).toBe(1);
    } finally {
      compiled.remove();
    }
  });

  it('spends the 0.6 BTC budget of a fresh node on 4 reachable central nodes (lnd defaults, 1 BTC wallet)', () => {
    const normalized = normalizeBetweenness(fullRaw ?? betweennessCentrality(graph));
    const self = graph.pubKeys[0] ?? '';
    const decision = decide(
      { self, channels: [], pendingOpens: [], failedUntil: new Map(), walletBalanceSat: 100_000_000 },
      { graph, heuristic: topCentrality({ centrality: () => normalized }), constraints: DEFAULT_CONSTRAINTS, rng: createRng(7) },
      Date.UTC(2025, 9, 25),
    );
    // 60% of 1 BTC over 5 channels of at most 16,777,215 sat: 3 full channels, then 9,668,355 and the
    // remaining 0 sat (below the 20,000 sat minimum) -> 4 opens.
    expect(decision.budget).toEqual({ amountSat: 60_000_000, channels: 5 });
    expect(decision.opens.map((open) => open.amountSat)).toEqual([16_777_215, 16_777_215, 16_777_215, 9_668_355]);
    expect(decision.stoppedBy).toBe('funds-exhausted');
    expect(decision.candidates).toBe(7_675);
    for (const open of decision.opens) {
      expect(open.addresses.length).toBeGreaterThan(0);
      expect(open.score).toBeGreaterThan(0);
      expect(open.peer).not.toBe(self);
    }
  });
});
