import { BTC, buildTestGraph, CENTRALITY_EDGES, testPubKey } from '../heuristics/test-graphs.fixture.js';
import { ChannelGraph, type DescribeGraphJson } from './channel-graph.js';
import { diameter, shortestPathLengths, UNREACHABLE } from './distances.js';

const A = testPubKey(1);
const B = testPubKey(2);
const C = testPubKey(3);

describe('ChannelGraph.fromDescribeGraph', () => {
  const json: DescribeGraphJson = {
    nodes: [
      { pub_key: A, alias: 'alice', addresses: [{ network: 'tcp', addr: '1.2.3.4:9735' }] },
      { pub_key: B, alias: 'bob', addresses: [] },
    ],
    edges: [
      { channel_id: '10', node1_pub: A, node2_pub: B, capacity: '1000000' },
      { channel_id: '11', node1_pub: A, node2_pub: B, capacity: '2000000' },
      { channel_id: '12', node1_pub: B, node2_pub: C, capacity: 500000 },
      { channel_id: '12', node1_pub: B, node2_pub: C, capacity: 500000 },
      { channel_id: '13', node1_pub: C, node2_pub: C, capacity: 500000 },
    ],
  };
  const graph = ChannelGraph.fromDescribeGraph(json);

  it('indexes nodes in order and adds unknown channel endpoints without addresses', () => {
    expect(graph.nodeCount).toBe(3);
    expect(graph.pubKeys).toEqual([A, B, C]);
    expect(graph.indexOf(C)).toBe(2);
    expect(graph.indexOf(testPubKey(99))).toBeUndefined();
    expect(graph.aliases).toEqual(['alice', 'bob', '']);
    expect(graph.addresses[0]).toEqual([{ network: 'tcp', addr: '1.2.3.4:9735' }]);
    expect(graph.addresses[1]).toEqual([]);
    expect(graph.addresses[2]).toEqual([]);
  });

  it('keeps parallel channels, drops repeated channel ids and self-channels, parses capacities', () => {
    expect(graph.channelCount).toBe(3);
    expect(graph.channelIds).toEqual(['10', '11', '12']);
    expect(Array.from(graph.capacities)).toEqual([1_000_000, 2_000_000, 500_000]);
  });

  it('stores one undirected adjacency entry per channel in CSR arrays', () => {
    expect(Array.from(graph.offsets)).toEqual([0, 2, 5, 6]);
    expect(Array.from(graph.neighbourIndices(0))).toEqual([1, 1]);
    expect(Array.from(graph.neighbourIndices(1))).toEqual([0, 0, 2]);
    expect(Array.from(graph.neighbourIndices(2))).toEqual([1]);
    expect([0, 1, 2].map((v) => graph.degree(v))).toEqual([2, 3, 1]);
    expect(Array.from(graph.entryChannels)).toEqual([0, 1, 0, 1, 2, 2]);
    expect(graph.neighbours).toBeInstanceOf(Int32Array);
  });

  it('rejects a channel with an invalid capacity', () => {
    expect(() =>
      ChannelGraph.fromDescribeGraph({ nodes: [], edges: [{ channel_id: '1', node1_pub: A, node2_pub: B, capacity: 'lots' }] }),
    ).toThrow(RangeError);
  });

  it('builds an empty graph', () => {
    const empty = ChannelGraph.fromDescribeGraph({ nodes: [], edges: [] });
    expect(empty.nodeCount).toBe(0);
    expect(Array.from(empty.offsets)).toEqual([0]);
  });
});

describe('graph distances (lnd centrality test graph)', () => {
  const graph = buildTestGraph(9, CENTRALITY_EDGES, BTC);

  it('gives the shortest path lengths from node 0', () => {
    expect(Array.from(shortestPathLengths(graph, 0))).toEqual([0, 1, 1, 1, 2, 2, 3, 3, 4]);
  });

  it('has diameter 5', () => {
    expect(diameter(graph)).toBe(5);
  });

  it('marks unreachable nodes', () => {
    const split = buildTestGraph(3, [[0, 1]]);
    expect(Array.from(shortestPathLengths(split, 0))).toEqual([0, 1, UNREACHABLE]);
    expect(() => shortestPathLengths(split, 3)).toThrow(RangeError);
  });
});
