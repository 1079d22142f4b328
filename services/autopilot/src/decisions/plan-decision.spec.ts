import { MAX_DECISION_CANDIDATES } from '@lnfleet/contracts';
import { StaticGraphSource, type GraphView } from '../graph/graph-source.js';
import { buildTestGraph, testPubKey } from '../heuristics/test-graphs.fixture.js';
import { agentState, evolve, initialProjection, type NodeProjection, type PolicyRecord } from '../projection/node-projection.js';
import { balanceEvent, FIXTURE_NODE, FIXTURE_POLICY, T0 } from '../projection/projection.fixture.js';
import { inputsFingerprint, planDecision, topScores, type TriggerFacts } from './plan-decision.js';

const POLICY: PolicyRecord = { ...FIXTURE_POLICY, sequence: 1 };
const TRIGGER: TriggerFacts = {
  trigger: { kind: 'event', messageType: 'BalanceChanged', messageId: 'BalanceChanged-1', streamSequence: 7 },
  key: 'events:7',
  correlationId: 'BalanceChanged-1',
};

/** A star: node 0 is managed; hub 1 joins 80 leaves (2..81), each leaf also linked to the next. */
async function starView(): Promise<GraphView> {
  const edges: [number, number][] = [];
  for (let leaf = 2; leaf <= 81; leaf++) edges.push([1, leaf], [leaf, leaf === 81 ? 2 : leaf + 1]);
  return new StaticGraphSource(buildTestGraph(82, edges), 'star-v1').current();
}

function funded(satoshis: number): NodeProjection {
  return evolve(initialProjection(FIXTURE_NODE), { message: balanceEvent(satoshis), sequence: 7 });
}

describe('planDecision', () => {
  it('is deterministic: same inputs, same ids, seed, picks and messages', async () => {
    const graph = await starView();
    const input = { nodeId: FIXTURE_NODE, agent: agentState(funded(10_000_000), T0), policy: POLICY, graph, trigger: TRIGGER, nowMs: T0, commandTtlMs: 60_000 };
    const a = planDecision(input);
    const b = planDecision(input);
    expect(b).toEqual(a);
    expect(a.commands.length).toBe(5);
    expect(new Set(a.commands.map((c) => c.id)).size).toBe(5);
    expect(a.opens.map((o) => o.commandId)).toEqual(a.commands.map((c) => c.id));
    expect(a.record.data.chosen.map((c) => c.commandId)).toEqual(a.commands.map((c) => c.id));
    expect(a.record).toMatchObject({ causationId: 'BalanceChanged-1', correlationId: 'BalanceChanged-1' });
    for (const command of a.commands) expect(command).toMatchObject({ causationId: a.record.id, correlationId: 'BalanceChanged-1', nodeId: FIXTURE_NODE });
    // Another trigger decides afresh: other ids.
    const c = planDecision({ ...input, trigger: { ...TRIGGER, key: 'events:8' } });
    expect(c.record.id).not.toBe(a.record.id);
    expect(c.record.data.seed).not.toBe(a.record.data.seed);
  });

  it('records at most the best 50 candidates, highest score first', async () => {
    const graph = await starView();
    const plan = planDecision({ nodeId: FIXTURE_NODE, agent: agentState(funded(10_000_000), T0), policy: POLICY, graph, trigger: TRIGGER, nowMs: T0, commandTtlMs: 60_000 });
    const scores = plan.record.data.candidates.map((c) => c.score);
    expect(plan.record.data.candidateCount).toBe(81);
    expect(scores).toHaveLength(MAX_DECISION_CANDIDATES);
    expect(scores[0]).toBe(1);
    expect(plan.record.data.candidates[0]?.peer).toBe(testPubKey(1));
    expect([...scores].sort((x, y) => y - x)).toEqual(scores);
  });

  it('says what stopped it and opens nothing without funds; the dry-run flag is recorded', async () => {
    const graph = await starView();
    const plan = planDecision({
      nodeId: FIXTURE_NODE,
      agent: agentState(funded(100_000), T0),
      policy: { ...POLICY, dryRun: true },
      graph,
      trigger: TRIGGER,
      nowMs: T0,
      commandTtlMs: 60_000,
    });
    expect(plan.commands).toEqual([]);
    expect(plan.record.data).toMatchObject({ stoppedBy: 'insufficient-funds', dryRun: true, chosen: [], candidates: [], budget: { amountSat: 50_000, channels: 5 } });
  });

  it('fingerprints the inputs a heartbeat decides on', () => {
    const agent = agentState(funded(10_000_000), T0);
    expect(inputsFingerprint(agent, POLICY, 'v1')).toBe(inputsFingerprint(agentState(funded(10_000_000), T0 + 1), POLICY, 'v1'));
    expect(inputsFingerprint(agent, POLICY, 'v1')).not.toBe(inputsFingerprint(agent, POLICY, 'v2'));
    expect(inputsFingerprint(agent, POLICY, 'v1')).not.toBe(inputsFingerprint(agent, { ...POLICY, dryRun: true }, 'v1'));
    expect(inputsFingerprint(agent, POLICY, 'v1')).not.toBe(inputsFingerprint(agentState(funded(9_000_000), T0), POLICY, 'v1'));
  });
});

describe('topScores', () => {
  it('keeps the best scores, highest first, ties by public key, like a full sort', () => {
    const scores = new Map<string, number>();
    for (let i = 0; i < 500; i++) scores.set(testPubKey((i * 7919) % 1000), ((i * 31) % 17) / 16);
    const sorted = [...scores]
      .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
      .map(([peer, score]) => ({ peer, score }));
    expect(topScores(scores, 50)).toEqual(sorted.slice(0, 50));
    expect(topScores(scores, 1000)).toEqual(sorted);
    expect(topScores(new Map(), 50)).toEqual([]);
  });
});
