import { externalScore } from './external-score.js';
import { HeuristicError } from './heuristic.js';
import { buildTestGraph, testPubKey } from './test-graphs.fixture.js';

const graph = buildTestGraph(4, [[0, 1]]);
const A = testPubKey(0);
const B = testPubKey(1);
const C = testPubKey(2);

describe('externalScore', () => {
  it('returns the set scores of candidates, leaving out unscored ones and existing peers', () => {
    const heuristic = externalScore(new Map([[A, 0.5], [B, 1], [C, 0], [testPubKey(9), 0.7]]));
    const scores = heuristic.nodeScores(graph, [{ channelId: '1', peer: B, balanceSat: 1 }], 1, new Set([A, B, C, testPubKey(3)]));
    expect(scores).toEqual(new Map([[A, 0.5], [C, 0]]));
  });

  it('is a snapshot: later changes to the source map do not leak in', () => {
    const source = new Map([[A, 0.5]]);
    const heuristic = externalScore(source);
    source.set(A, 0.9);
    expect(heuristic.nodeScores(graph, [], 1, new Set([A])).get(A)).toBe(0.5);
  });

  it.each([-0.1, 1.01, Number.NaN])('rejects score %d', (score) => {
    expect(() => externalScore(new Map([[A, score]]))).toThrow(HeuristicError);
  });
});
