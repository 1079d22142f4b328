import { ChannelGraph } from '../graph/channel-graph.js';
import { type AttachmentHeuristic } from '../heuristics/heuristic.js';
import { preferentialAttachment } from '../heuristics/preferential-attachment.js';
import { BTC, buildTestGraph, CENTRALITY_EDGES, CENTRALITY_NORMALIZED, randomMultigraph, testPubKey } from '../heuristics/test-graphs.fixture.js';
import { weightedCombination } from '../heuristics/weighted-combination.js';
import { topCentrality } from '../heuristics/top-centrality.js';
import { type ChannelConstraints, ConstraintsError } from './constraints.js';
import { type AgentState, candidateTable, decide, type Decision, type DecideInput } from './decide.js';
import { type LocalChannel } from './local-channel.js';
import { createRng } from './prng.js';

// lnd's agent scenarios: MinChanSize 0.1 BTC, MaxChanSize 1 BTC, MaxPendingOpens 10.
const CONSTRAINTS: ChannelConstraints = {
  chanLimit: 5,
  allocation: 0.5,
  minChanSizeSat: 0.1 * BTC,
  maxChanSizeSat: BTC,
  maxPendingOpens: 10,
};
const SELF = testPubKey(0);
const node = testPubKey;

/** A graph of `count` reachable nodes 1..count around our own node 0 (ring + spokes). */
function ringGraph(count: number): ChannelGraph {
  const edges: [number, number][] = [];
  for (let i = 1; i <= count; i++) edges.push([i, (i % count) + 1], [0, i]);
  return buildTestGraph(count + 1, edges);
}

/** scoreEveryone is lnd's mock heuristic: every candidate scores the same; it remembers what it was offered. */
function scoreEveryone(score = 1): AttachmentHeuristic & { offered: Set<string>[] } {
  const offered: Set<string>[] = [];
  return {
    name: 'score-everyone',
    offered,
    nodeScores(_graph, _channels, _chanSize, candidates) {
      offered.push(new Set(candidates));
      return new Map([...candidates].map((c) => [c, score]));
    },
  };
}

const channelsTo = (...peers: number[]): LocalChannel[] =>
  peers.map((p) => ({ channelId: String(100 + p), peer: node(p), balanceSat: BTC }));

interface Scenario {
  when(input?: Partial<DecideInput>, now?: number): Decision;
}

/** given starts a given/when/then scenario from an agent state (defaults: empty node, 10 BTC wallet). */
function given(state: Partial<AgentState>): Scenario {
  const full: AgentState = {
    self: SELF,
    channels: [],
    pendingOpens: [],
    failedUntil: new Map(),
    walletBalanceSat: 10 * BTC,
    ...state,
  };
  return {
    when: (input = {}, now) =>
      decide(full, { graph: ringGraph(8), heuristic: scoreEveryone(), constraints: CONSTRAINTS, rng: createRng(1), ...input }, now),
  };
}

const amounts = (decision: Decision): number[] => decision.opens.map((open) => open.amountSat);
const peers = (decision: Decision): string[] => decision.opens.map((open) => open.peer);

describe('decide: lnd agent scenarios', () => {
  it('budget 5 BTC for 5 channels with 5 candidates -> 5 opens of exactly 1 BTC', () => {
    const decision = given({ walletBalanceSat: 10 * BTC }).when({ graph: ringGraph(5) });
    expect(decision.budget).toEqual({ amountSat: 5 * BTC, channels: 5 });
    expect(amounts(decision)).toEqual([BTC, BTC, BTC, BTC, BTC]);
    expect(new Set(peers(decision))).toEqual(new Set([1, 2, 3, 4, 5].map(node)));
    expect(decision.stoppedBy).toBe('channel-count');
    expect(decision.opens[0]?.addresses).toEqual([{ network: 'tcp', addr: expect.stringMatching(/:9735$/) as unknown }]);
  });

  it('then budget 1.5 BTC for 3 channels -> only 2 opens totalling 1.5 BTC', () => {
    const decision = given({ channels: channelsTo(1, 2), walletBalanceSat: 5 * BTC }).when();
    expect(decision.budget).toEqual({ amountSat: 1.5 * BTC, channels: 3 });
    expect(amounts(decision)).toEqual([BTC, 0.5 * BTC]);
    expect(decision.stoppedBy).toBe('funds-exhausted');
  });

  it('then 5 BTC for 2 channels -> 2 opens of 1 BTC', () => {
    const decision = given({ channels: channelsTo(1, 2, 3), walletBalanceSat: 13 * BTC }).when();
    expect(decision.budget).toEqual({ amountSat: 5 * BTC, channels: 2 });
    expect(amounts(decision)).toEqual([BTC, BTC]);
    expect(decision.stoppedBy).toBe('channel-count');
  });

  it('counts a pending open in the budget and does not offer its node to the heuristic', () => {
    const heuristic = scoreEveryone();
    const decision = given({ pendingOpens: [{ peer: node(3), amountSat: BTC }], walletBalanceSat: 9 * BTC }).when({ heuristic });
    expect(decision.budget).toEqual({ amountSat: 4 * BTC, channels: 4 });
    expect(amounts(decision)).toEqual([BTC, BTC, BTC, BTC]);
    expect(heuristic.offered[0]?.has(node(3))).toBe(false);
    expect(peers(decision)).not.toContain(node(3));
  });

  it('excludes a node with a pending connection, and keeps excluding it once its connect failed', () => {
    const pending = scoreEveryone();
    given({ pendingConnections: [node(4)] }).when({ heuristic: pending });
    expect(pending.offered[0]?.has(node(4))).toBe(false);

    const failed = scoreEveryone();
    given({ failedUntil: new Map([[node(4), 2_000]]) }).when({ heuristic: failed }, 1_000);
    expect(failed.offered[0]?.has(node(4))).toBe(false);
  });

  it('never offers its own node, existing peers or nodes without addresses', () => {
    const heuristic = scoreEveryone();
    const graph = ChannelGraph.fromChannels(
      [
        { pubKey: SELF, addresses: [{ network: 'tcp', addr: '127.0.0.1:9735' }] },
        { pubKey: node(1), addresses: [{ network: 'tcp', addr: '10.0.0.1:9735' }] },
        { pubKey: node(2), addresses: [{ network: 'tcp', addr: '10.0.0.2:9735' }] },
        { pubKey: node(3), addresses: [] },
      ],
      [
        { channelId: '1', node1: SELF, node2: node(1), capacitySat: BTC },
        { channelId: '2', node1: node(1), node2: node(2), capacitySat: BTC },
        { channelId: '3', node1: node(2), node2: node(3), capacitySat: BTC },
      ],
    );
    const decision = given({ channels: channelsTo(1) }).when({ graph, heuristic });
    expect(heuristic.offered[0]).toEqual(new Set([node(2)]));
    expect(peers(decision)).toEqual([node(2)]);
    expect(decision.stoppedBy).toBe('candidates-exhausted');
  });
});

describe('decide: failures expire (better than lnd)', () => {
  const state = { failedUntil: new Map([[node(4), 2_000]]) };

  it('offers a failed node again once its failure has expired', () => {
    const heuristic = scoreEveryone();
    given(state).when({ heuristic }, 2_000);
    expect(heuristic.offered[0]?.has(node(4))).toBe(true);
  });

  it('treats every recorded failure as active when no time is given (lnd semantics)', () => {
    const heuristic = scoreEveryone();
    given(state).when({ heuristic });
    expect(heuristic.offered[0]?.has(node(4))).toBe(false);
  });
});

describe('decide: stop conditions', () => {
  it('stops when the channel limit is reached', () => {
    const heuristic = scoreEveryone();
    const decision = given({ channels: channelsTo(1, 2, 3, 4, 5) }).when({ heuristic });
    expect(decision).toMatchObject({ opens: [], stoppedBy: 'enough-channels', budget: { amountSat: 0, channels: 0 } });
    expect(heuristic.offered).toHaveLength(0);
  });

  it('stops when the allocation is met', () => {
    expect(given({ channels: channelsTo(1, 2), walletBalanceSat: 1 * BTC }).when().stoppedBy).toBe('enough-channels');
  });

  it('stops when the funds are below the minimum channel size', () => {
    const decision = given({ walletBalanceSat: 0.1 * BTC }).when();
    expect(decision.budget).toEqual({ amountSat: 0.05 * BTC, channels: 5 });
    expect(decision).toMatchObject({ opens: [], stoppedBy: 'insufficient-funds' });
    expect(given({ walletBalanceSat: 0 }).when().stoppedBy).toBe('enough-channels');
  });

  it('does nothing while pending opens are at the cap', () => {
    const pendingOpens = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((p) => ({ peer: node(p), amountSat: 1 }));
    const decision = given({ pendingOpens }).when({ graph: ringGraph(12), constraints: { ...CONSTRAINTS, chanLimit: 20 } });
    expect(decision).toMatchObject({ opens: [], stoppedBy: 'max-pending-opens' });
  });

  it('opens no more than the free pending-open slots (lnd starts them all)', () => {
    const pendingOpens = [1, 2, 3, 4, 5, 6, 7, 8].map((p) => ({ peer: node(p), amountSat: 1 }));
    const decision = given({ pendingOpens }).when({ graph: ringGraph(20), constraints: { ...CONSTRAINTS, chanLimit: 20 } });
    expect(decision.budget.channels).toBe(12);
    expect(decision.opens).toHaveLength(2);
    expect(decision.stoppedBy).toBe('pending-open-slots');
  });

  it('reports no candidates when every node is excluded', () => {
    const decision = given({ channels: channelsTo(1, 2) }).when({ graph: ringGraph(2) });
    expect(decision).toMatchObject({ opens: [], stoppedBy: 'no-candidates', candidates: 0 });
  });

  it('reports no positive scores when the heuristic scores everyone 0', () => {
    const decision = given({}).when({ heuristic: scoreEveryone(0) });
    expect(decision).toMatchObject({ opens: [], stoppedBy: 'no-positive-scores', candidates: 8, chanSizeSat: BTC });
  });

  it('ignores scores for nodes that were not offered', () => {
    const rogue: AttachmentHeuristic = { name: 'rogue', nodeScores: () => new Map([[SELF, 1], [node(99), 1]]) };
    expect(given({}).when({ heuristic: rogue }).stoppedBy).toBe('no-candidates');
  });

  it('rejects invalid constraints', () => {
    expect(() => given({}).when({ constraints: { ...CONSTRAINTS, allocation: 2 } })).toThrow(ConstraintsError);
  });
});

describe('decide: choice', () => {
  it('is the same for the same seed and state', () => {
    const a = given({}).when({ graph: ringGraph(30), rng: createRng(123) });
    const b = given({}).when({ graph: ringGraph(30), rng: createRng(123) });
    expect(a).toEqual(b);
    const picks = new Set<string>();
    for (let seed = 0; seed < 20; seed++) for (const p of peers(given({}).when({ graph: ringGraph(30), rng: createRng(seed) }))) picks.add(p);
    expect(picks.size).toBeGreaterThan(10);
  });

  it('with top_centrality picks only nodes with positive centrality', () => {
    // lnd's 9-node centrality graph; we are a new node outside it. Nodes 1, 7 and 8 score 0.
    const graph = buildTestGraph(9, CENTRALITY_EDGES);
    const positive = CENTRALITY_NORMALIZED.flatMap((v, i) => (v > 0 ? [node(i)] : []));
    for (let seed = 0; seed < 10; seed++) {
      const decision = decide(
        { self: node(100), channels: [], pendingOpens: [], failedUntil: new Map(), walletBalanceSat: 100 * BTC },
        { graph, heuristic: topCentrality(), constraints: { ...CONSTRAINTS, chanLimit: 9 }, rng: createRng(seed) },
      );
      expect(decision.opens).toHaveLength(positive.length);
      expect(new Set(peers(decision))).toEqual(new Set(positive));
      expect(decision.stoppedBy).toBe('candidates-exhausted');
    }
  });
});

describe('decide: a candidate table per graph (scores computed once, not per decision)', () => {
  it('gives the same decision as asking the heuristic each time, whatever is skipped', () => {
    const rng = createRng(2024);
    const graph = buildTestGraph(400, randomMultigraph(400, 1_200, rng));
    const heuristic = weightedCombination([
      { heuristic: topCentrality(), weight: 0.6 },
      { heuristic: preferentialAttachment(), weight: 0.4 },
    ]);
    const table = candidateTable(graph, heuristic);
    let opened = 0;
    for (let round = 0; round < 40; round++) {
      const pick = (): string => node(Math.floor(rng() * 420)); // some outside the graph
      const state: AgentState = {
        self: node(round),
        channels: Array.from({ length: round % 4 }, (_, i) => ({ channelId: `c${i}`, peer: pick(), balanceSat: BTC })),
        pendingOpens: Array.from({ length: round % 3 }, () => ({ peer: pick(), amountSat: 0.2 * BTC })),
        failedUntil: new Map(Array.from({ length: round % 5 }, (_, i) => [pick(), i % 2 === 0 ? 0 : Number.MAX_SAFE_INTEGER])),
        unfitPeers: Array.from({ length: round % 2 }, pick),
        crowdedPeers: Array.from({ length: round % 3 }, pick),
        walletBalanceSat: (round % 7) * BTC,
      };
      const base = { graph, heuristic, constraints: { ...CONSTRAINTS, chanLimit: 10 } };
      const asked = decide(state, { ...base, rng: createRng(round) }, 1_000);
      const tabled = decide(state, { ...base, rng: createRng(round), table }, 1_000);
      expect(tabled.opens).toEqual(asked.opens);
      expect(tabled).toMatchObject({ budget: asked.budget, stoppedBy: asked.stoppedBy, chanSizeSat: asked.chanSizeSat, candidates: asked.candidates });
      expect([...tabled.scores]).toEqual([...asked.scores]);
      if (asked.opens.length > 0) opened++;
    }
    expect(opened).toBeGreaterThan(20);
  });

  it('refuses a table built for another graph', () => {
    const table = candidateTable(ringGraph(5), topCentrality());
    expect(() => given({}).when({ table })).toThrow(RangeError);
  });
});

describe('decide: no channel graph yet', () => {
  it('stops at no-graph once the budget allows opens, else at the budget', () => {
    const noGraph = given({ walletBalanceSat: 10 * BTC }).when({ graph: null });
    expect(noGraph).toMatchObject({ opens: [], stoppedBy: 'no-graph', budget: { amountSat: 5 * BTC, channels: 5 }, chanSizeSat: BTC, candidates: 0 });
    expect(given({ walletBalanceSat: 0 }).when({ graph: null }).stoppedBy).toBe('enough-channels');
  });
});
