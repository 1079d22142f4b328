import { externalScore } from './external-score.js';
import { type AttachmentHeuristic, HeuristicError } from './heuristic.js';
import { preferentialAttachment } from './preferential-attachment.js';
import { buildTestGraph, testPubKey } from './test-graphs.fixture.js';
import { heuristicFromWeights, weightedCombination } from './weighted-combination.js';

const graph = buildTestGraph(4, [[0, 1], [1, 2]]);
const [A, B, C, D] = [0, 1, 2, 3].map(testPubKey) as [string, string, string, string];
const candidates = new Set([A, B, C, D]);

const fixed = (name: string, scores: [string, number][]): AttachmentHeuristic => ({
  name,
  nodeScores: () => new Map(scores),
});

describe('weightedCombination', () => {
  it('sums weight × sub-score, treating a missing sub-score as 0 and dropping zero totals', () => {
    const combined = weightedCombination([
      { heuristic: fixed('x', [[A, 1], [B, 0.5], [D, 0]]), weight: 0.6 },
      { heuristic: fixed('y', [[A, 0.5], [C, 1]]), weight: 0.4 },
    ]);
    const scores = combined.nodeScores(graph, [], 1, candidates);
    expect([...scores.keys()]).toEqual([A, B, C]);
    expect(scores.get(A)).toBeCloseTo(0.8, 12);
    expect(scores.get(B)).toBeCloseTo(0.3, 12);
    expect(scores.get(C)).toBeCloseTo(0.4, 12);
  });

  it('only scores the candidates it is given', () => {
    const combined = weightedCombination([{ heuristic: fixed('x', [[A, 1], [B, 1]]), weight: 1 }]);
    expect(combined.nodeScores(graph, [], 1, new Set([B]))).toEqual(new Map([[B, 1]]));
  });

  it('accepts weights that sum to 1 up to rounding and clamps rounding above 1', () => {
    const combined = weightedCombination([
      { heuristic: fixed('x', [[A, 1]]), weight: 0.7 },
      { heuristic: fixed('y', [[A, 1]]), weight: 0.2 },
      { heuristic: fixed('z', [[A, 1]]), weight: 0.1 },
    ]);
    const score = combined.nodeScores(graph, [], 1, candidates).get(A) ?? 0;
    expect(score).toBeLessThanOrEqual(1);
    expect(score).toBeCloseTo(1, 12);
  });

  it.each([
    ['weights that do not sum to 1', [0.5, 0.4]],
    ['a negative weight', [1.5, -0.5]],
    ['no heuristics', []],
  ])('rejects %s', (_name, weights: number[]) => {
    expect(() => weightedCombination(weights.map((weight, i) => ({ heuristic: fixed(`h${i}`, []), weight })))).toThrow(HeuristicError);
  });

  it('fails when a combined score leaves [0, 1]', () => {
    const combined = weightedCombination([{ heuristic: fixed('broken', [[A, 2]]), weight: 1 }]);
    expect(() => combined.nodeScores(graph, [], 1, candidates)).toThrow(/invalid combined score/);
    const negative = weightedCombination([{ heuristic: fixed('broken', [[A, -0.5]]), weight: 1 }]);
    expect(() => negative.nodeScores(graph, [], 1, candidates)).toThrow(HeuristicError);
  });

  it('wraps a failing sub-heuristic', () => {
    const failing: AttachmentHeuristic = {
      name: 'failing',
      nodeScores: () => {
        throw new Error('boom');
      },
    };
    expect(() => weightedCombination([{ heuristic: failing, weight: 1 }]).nodeScores(graph, [], 1, candidates)).toThrow(/failing failed/);
  });
});

describe('heuristicFromWeights', () => {
  const factories = {
    preferential: preferentialAttachment,
    externalscore: () => externalScore(new Map([[D, 1]])),
  };

  it('builds lnd-style configuration', () => {
    const heuristic = heuristicFromWeights({ preferential: 0.5, externalscore: 0.5 }, factories);
    expect(heuristic.name).toBe('weightedcomb');
    expect(heuristic.nodeScores(graph, [], 1, candidates)).toEqual(new Map([[A, 0.25], [B, 0.5], [C, 0.25], [D, 0.5]]));
  });

  it('rejects an unknown heuristic name', () => {
    expect(() => heuristicFromWeights({ nonsense: 1 }, factories)).toThrow(/unknown heuristic nonsense/);
  });
});
