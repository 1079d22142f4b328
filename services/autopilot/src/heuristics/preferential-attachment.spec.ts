import { type LocalChannel } from '../agent/local-channel.js';
import { ChannelGraph } from '../graph/channel-graph.js';
import { medianCapacity, preferentialAttachment, preferentialCounts } from './preferential-attachment.js';
import { BTC, buildTestGraph, testPubKey } from './test-graphs.fixture.js';

const heuristic = preferentialAttachment();
const all = (count: number): Set<string> => new Set(Array.from({ length: count }, (_, i) => testPubKey(i)));
const NO_CHANNELS: LocalChannel[] = [];

describe('medianCapacity', () => {
  it('takes the middle value, or the integer average of the two middle values', () => {
    expect(medianCapacity([])).toBe(0);
    expect(medianCapacity([5, 1, 3])).toBe(3);
    expect(medianCapacity([4, 1, 2, 7])).toBe(3);
    expect(medianCapacity([1, 2])).toBe(1);
  });
});

describe('preferentialAttachment (lnd test vectors)', () => {
  it('gives no candidates on an empty graph', () => {
    const empty = ChannelGraph.fromChannels([], []);
    expect(heuristic.nodeScores(empty, NO_CHANNELS, BTC, new Set()).size).toBe(0);
    expect(heuristic.nodeScores(empty, NO_CHANNELS, BTC, all(2)).size).toBe(0);
  });

  it.each([BTC, BTC / 2])('scores both ends of one 1 BTC channel exactly 1 and skips an isolated node (chan size %d)', (chanSize) => {
    const graph = buildTestGraph(3, [[0, 1]], BTC);
    const scores = heuristic.nodeScores(graph, NO_CHANNELS, chanSize, all(3));
    expect(scores).toEqual(new Map([[testPubKey(0), 1], [testPubKey(1), 1]]));
  });

  it.each([BTC, BTC / 2])('scores every node of a triangle above 0 (chan size %d)', (chanSize) => {
    const closed = heuristic.nodeScores(buildTestGraph(3, [[0, 1], [1, 2], [2, 0]]), NO_CHANNELS, chanSize, all(3));
    expect([...closed.values()]).toEqual([1, 1, 1]);
    const open = heuristic.nodeScores(buildTestGraph(3, [[0, 1], [1, 2]]), NO_CHANNELS, chanSize, all(3));
    expect(open).toEqual(new Map([[testPubKey(0), 0.5], [testPubKey(1), 1], [testPubKey(2), 0.5]]));
  });

  it('does not return nodes that are already peers', () => {
    const graph = buildTestGraph(3, [[0, 1], [1, 2], [2, 0]]);
    const channels: LocalChannel[] = [{ channelId: '1', peer: testPubKey(1), balanceSat: BTC }];
    const scores = heuristic.nodeScores(graph, channels, BTC, all(3));
    expect([...scores.keys()].sort()).toEqual([testPubKey(0), testPubKey(2)]);
  });
});

describe('preferentialAttachment details', () => {
  it('counts channels below a quarter of the median against a node', () => {
    // Capacities 1, 1, 1 BTC and 0.1 BTC: median 1 BTC, threshold 0.25 BTC.
    const graph = buildTestGraph(4, [[0, 1], [0, 2], [1, 2], [3, 0]], [BTC, BTC, BTC, BTC / 10]);
    expect(Array.from(preferentialCounts(graph))).toEqual([1, 2, 2, -1]);
    const scores = heuristic.nodeScores(graph, NO_CHANNELS, BTC, all(4));
    expect(scores).toEqual(new Map([[testPubKey(0), 0.5], [testPubKey(1), 1], [testPubKey(2), 1]]));
  });

  it('counts parallel channels separately and ignores candidates outside the graph', () => {
    const graph = buildTestGraph(3, [[0, 1], [0, 1], [1, 2]]);
    const scores = heuristic.nodeScores(graph, NO_CHANNELS, BTC, new Set([testPubKey(0), testPubKey(2), testPubKey(42)]));
    expect(scores).toEqual(new Map([[testPubKey(0), 2 / 3], [testPubKey(2), 1 / 3]]));
  });

  it('skips nodes whose small channels outweigh their large ones', () => {
    // Capacities 1, 100, 100 sat: median 100, threshold 25; the 1-sat channel counts -1.
    const tiny = buildTestGraph(4, [[0, 1], [2, 3], [2, 3]], [1, 100, 100]);
    expect(Array.from(preferentialCounts(tiny))).toEqual([-1, -1, 2, 2]);
    expect(heuristic.nodeScores(tiny, NO_CHANNELS, BTC, all(4))).toEqual(new Map([[testPubKey(2), 1], [testPubKey(3), 1]]));
  });

  it('scores nobody in a graph without channels', () => {
    expect(heuristic.nodeScores(buildTestGraph(3, []), NO_CHANNELS, BTC, all(3)).size).toBe(0);
  });
});
