import { type LocalChannel } from '../agent/local-channel.js';
import { ChannelGraph } from '../graph/channel-graph.js';
import { cachedNormalizedCentrality, topCentrality } from './top-centrality.js';
import { buildTestGraph, CENTRALITY_EDGES, CENTRALITY_NORMALIZED, testPubKey } from './test-graphs.fixture.js';

const graph = buildTestGraph(9, CENTRALITY_EDGES);
const candidates = new Set(Array.from({ length: 9 }, (_, i) => testPubKey(i)));
const peersOf = (...nodes: number[]): LocalChannel[] => nodes.map((n) => ({ channelId: String(n), peer: testPubKey(n), balanceSat: 1 }));

describe('topCentrality (lnd test vectors)', () => {
  it.each([[[]], [[0]], [[0, 1]], [[0, 1, 2]], [[3, 8]], [[0, 1, 2, 3, 4, 5, 6, 7, 8]]])(
    'scores the normalized centrality of every node except existing peers %j',
    (peers: number[]) => {
      const scores = topCentrality().nodeScores(graph, peersOf(...peers), 1, candidates);
      const expected = new Map<string, number>();
      CENTRALITY_NORMALIZED.forEach((value, i) => {
        if (!peers.includes(i)) expected.set(testPubKey(i), value);
      });
      expect([...scores.keys()]).toEqual([...expected.keys()]);
      for (const [node, value] of expected) expect(scores.get(node)).toBeCloseTo(value, 12);
    },
  );

  it('keeps zero scores and skips candidates that are not in the graph', () => {
    const scores = topCentrality().nodeScores(graph, [], 1, new Set([testPubKey(1), testPubKey(99)]));
    expect(scores).toEqual(new Map([[testPubKey(1), 0]]));
  });

  it('gives nothing on an empty graph', () => {
    expect(topCentrality().nodeScores(ChannelGraph.fromChannels([], []), [], 1, new Set()).size).toBe(0);
  });

  it('computes the centrality of a graph object once and uses an injected provider when given', () => {
    expect(cachedNormalizedCentrality(graph)).toBe(cachedNormalizedCentrality(graph));
    const provided = Float64Array.from({ length: 9 }, (_, i) => i / 8);
    let calls = 0;
    const heuristic = topCentrality({
      centrality: () => {
        calls++;
        return provided;
      },
    });
    expect(heuristic.nodeScores(graph, [], 1, new Set([testPubKey(4)]))).toEqual(new Map([[testPubKey(4), 0.5]]));
    expect(calls).toBe(1);
  });
});
