/**
 * The autopilot's decision: given one node's state and the public graph, which channels to open
 * now. This is lnd's agent loop body (budget, stop conditions, skip set, scoring, weighted choice,
 * channel sizes) as a pure function: no I/O, no clock, no global randomness. The shell builds the
 * state from events, calls `decide` on every signal and on a timer, records the decision with its
 * seed, and sends one OpenChannel command per open.
 *
 * Rules (lnd's):
 * - totalChans = active channels + pending opens (a pending open counts with its amount);
 *   `channelBudget(totalChans, wallet)` gives (funds, numChans).
 * - Stop if numChans == 0, or funds == 0 or funds < minChanSize.
 * - chanSize = min(maxChanSize, funds).
 * - Skip self, existing peers, pending opens, pending connections, failed peers and nodes without
 *   addresses; the heuristic scores the rest; the weighted choice picks up to numChans of them.
 * - Each pick gets min(chanSize, funds left): all channels are max size except possibly the last,
 *   which takes the remainder; stop once that is below minChanSize.
 * - Nothing while pending opens >= maxPendingOpens.
 *
 * Where we differ from lnd:
 * - Peers chanfitness reports as unfit (`unfitPeers`) are skipped like failed ones, and so are
 *   peers the rest of the fleet already has enough channels with (`crowdedPeers`).
 * - Failures expire: `failedUntil` holds per peer the time until which it is skipped, compared
 *   with `now` (lnd never forgets a failed node). Without `now`, every recorded failure counts.
 * - New opens are capped at the free pending-open slots (lnd starts them all and drops the
 *   surplus when it finds the cap reached).
 * - Picks are deterministic for a given seed, and the remainder goes to the last pick (lnd's
 *   order is that of a Go map, i.e. random).
 */
import { type ChannelGraph, type NodeAddress } from '../graph/channel-graph.js';
import { type AttachmentHeuristic } from '../heuristics/heuristic.js';
import { chooseSorted } from './choose.js';
import { type ChannelBudget, channelBudget, type ChannelConstraints, validateConstraints } from './constraints.js';
import { isFailureActive } from './failure-backoff.js';
import { type LocalChannel } from './local-channel.js';
import { type Rng } from './prng.js';

/**
 * CandidateScores are a decision's scored candidates: `nodes` in public-key order and `scores`
 * alongside, NaN where the node is not a candidate or the heuristic left it out. Iterating
 * yields the scored candidates as [public key, score].
 */
export class CandidateScores implements Iterable<[string, number]> {
  constructor(
    readonly nodes: readonly string[],
    readonly scores: Float64Array,
    /** size is the number of scored candidates (scores that are not NaN). */
    readonly size: number,
  ) {}

  *[Symbol.iterator](): Iterator<[string, number]> {
    for (let i = 0; i < this.nodes.length; i++) {
      const score = this.scores[i] ?? Number.NaN;
      if (!Number.isNaN(score)) yield [this.nodes[i] ?? '', score];
    }
  }
}

const NO_SCORES = new CandidateScores([], new Float64Array(0), 0);

/**
 * CandidateTable is a heuristic's scores of every node of one graph that has an address, as if
 * no node were skipped: built once per graph version and heuristic, then each decision only
 * blanks out the nodes it skips. Valid for heuristics whose score of a node depends on the graph
 * and that node alone (lnd's preferential, top_centrality and externalscore, and weighted
 * combinations of them), which is why `decide` uses a table only when given one.
 */
export interface CandidateTable {
  readonly graph: ChannelGraph;
  /** nodes are the public keys of the graph's nodes with addresses, sorted. */
  readonly nodes: readonly string[];
  /** positions maps a graph node index to its place in `nodes` (-1: not in the table). */
  readonly positions: Int32Array;
  /** scores are the heuristic's scores alongside `nodes`, NaN where it left a node out. */
  readonly scores: Float64Array;
  /** scored counts the scores that are not NaN. */
  readonly scored: number;
}

/**
 * candidateTable scores every node of `graph` that has an address with `heuristic` (no channels,
 * nothing skipped). Only for heuristics that score each node on its own (see {@link CandidateTable}).
 */
export function candidateTable(graph: ChannelGraph, heuristic: AttachmentHeuristic): CandidateTable {
  const candidates = new Set<string>();
  for (let v = 0; v < graph.nodeCount; v++) {
    if ((graph.addresses[v]?.length ?? 0) > 0) candidates.add(graph.pubKeys[v] ?? '');
  }
  return tableOf(graph, [...candidates].sort(), heuristic.nodeScores(graph, [], 0, candidates));
}

function tableOf(graph: ChannelGraph, nodes: readonly string[], scored: ReadonlyMap<string, number>): CandidateTable {
  const positions = new Int32Array(graph.nodeCount).fill(-1);
  const scores = new Float64Array(nodes.length);
  let count = 0;
  nodes.forEach((node, i) => {
    const index = graph.indexOf(node);
    if (index !== undefined) positions[index] = i;
    const score = scored.get(node);
    scores[i] = score ?? Number.NaN;
    if (score !== undefined && !Number.isNaN(score)) count++;
  });
  return { graph, nodes, positions, scores, scored: count };
}

/** PendingOpen is a channel open the agent started that has not confirmed yet. */
export interface PendingOpen {
  readonly peer: string;
  readonly amountSat: number;
}

/** AgentState is what the agent knows about one node when it decides. */
export interface AgentState {
  /** self is the node's own public key. */
  readonly self: string;
  /** channels are the node's active channels. */
  readonly channels: readonly LocalChannel[];
  /** pendingOpens are opens in flight (requested, not yet confirmed). */
  readonly pendingOpens: readonly PendingOpen[];
  /** pendingConnections are peers the node is still trying to connect to. */
  readonly pendingConnections?: readonly string[];
  /** failedUntil maps a peer that failed to the time (ms since the epoch) until which it is skipped. */
  readonly failedUntil: ReadonlyMap<string, number>;
  /** unfitPeers are peers chanfitness reports as unfit (flapping, low uptime); they are skipped. */
  readonly unfitPeers?: readonly string[];
  /** crowdedPeers are peers other fleet nodes already have enough channels with; they are skipped. */
  readonly crowdedPeers?: readonly string[];
  /** walletBalanceSat is the node's spendable on-chain balance. */
  readonly walletBalanceSat: number;
}

/** DecideInput is everything besides the node's state that a decision depends on. */
export interface DecideInput {
  /** graph is the public channel graph; null when none is known yet (the decision stops with `no-graph`). */
  readonly graph: ChannelGraph | null;
  readonly heuristic: AttachmentHeuristic;
  readonly constraints: ChannelConstraints;
  /** rng draws the weighted choice; seed it from the decision id to make the decision replayable. */
  readonly rng: Rng;
  /**
   * table, when given, holds the heuristic's scores for this graph (see {@link candidateTable}):
   * the decision then skips nodes in it instead of asking the heuristic. Same picks either way.
   */
  readonly table?: CandidateTable;
}

/** ChannelOpenDirective asks for one channel: to whom, how big, where to reach the peer. */
export interface ChannelOpenDirective {
  readonly peer: string;
  readonly amountSat: number;
  readonly addresses: readonly NodeAddress[];
  /** score is the heuristic's score that got the peer picked. */
  readonly score: number;
}

/**
 * StopReason says why a decision opened no more channels:
 * - `enough-channels`: the channel limit is reached or the allocation is met (numChans == 0);
 * - `insufficient-funds`: the budget is 0 or below the minimum channel size;
 * - `max-pending-opens`: as many opens are in flight as allowed;
 * - `no-candidates`: the heuristic scored no eligible node;
 * - `no-positive-scores`: every scored node scored 0;
 * - `channel-count`: all budgeted channels are opened (the normal end);
 * - `pending-open-slots`: the remaining pending-open slots are used up;
 * - `funds-exhausted`: the funds left were below the minimum channel size;
 * - `candidates-exhausted`: fewer nodes with a positive score than channels wanted;
 * - `no-graph`: the budget allows opens, but no channel graph is known yet to choose peers from.
 */
export type StopReason =
  | 'enough-channels'
  | 'insufficient-funds'
  | 'max-pending-opens'
  | 'no-candidates'
  | 'no-positive-scores'
  | 'channel-count'
  | 'pending-open-slots'
  | 'funds-exhausted'
  | 'candidates-exhausted'
  | 'no-graph';

/** Decision is the outcome of {@link decide}, with enough context to explain it. */
export interface Decision {
  readonly opens: readonly ChannelOpenDirective[];
  readonly budget: ChannelBudget;
  readonly stoppedBy: StopReason;
  /** chanSizeSat is the size each channel aimed for (0 when the budget stopped the decision). */
  readonly chanSizeSat: number;
  /** candidates is the number of nodes offered to the heuristic. */
  readonly candidates: number;
  /** scores are the heuristic's scores of the eligible candidates (empty when it did not run). */
  readonly scores: CandidateScores;
}

/**
 * decide returns the channels to open for one node now. `now` (ms since the epoch) decides which
 * recorded failures have expired; without it none have. Throws if the constraints are invalid or
 * the heuristic fails.
 */
export function decide(state: AgentState, input: DecideInput, now?: number): Decision {
  const { graph, rng } = input;
  const constraints = validateConstraints(input.constraints);

  const totalChans: LocalChannel[] = [
    ...state.channels,
    ...state.pendingOpens.map((open) => ({ channelId: `pending:${open.peer}`, peer: open.peer, balanceSat: open.amountSat })),
  ];
  const budget = channelBudget(constraints, totalChans, state.walletBalanceSat);
  const stop = (stoppedBy: StopReason, chanSizeSat = 0, candidates = 0, scores: CandidateScores = NO_SCORES): Decision => ({
    opens: [],
    budget,
    stoppedBy,
    chanSizeSat,
    candidates,
    scores,
  });
  if (budget.channels === 0) return stop('enough-channels');
  if (budget.amountSat <= 0 || budget.amountSat < constraints.minChanSizeSat) return stop('insufficient-funds');
  const freeSlots = constraints.maxPendingOpens - state.pendingOpens.length;
  if (freeSlots <= 0) return stop('max-pending-opens');

  const chanSizeSat = Math.min(constraints.maxChanSizeSat, budget.amountSat);
  if (graph === null) return stop('no-graph', chanSizeSat);

  const skip = new Set<string>([state.self]);
  for (const channel of totalChans) skip.add(channel.peer);
  for (const peer of state.pendingConnections ?? []) skip.add(peer);
  for (const peer of state.unfitPeers ?? []) skip.add(peer);
  for (const peer of state.crowdedPeers ?? []) skip.add(peer);
  for (const [peer, until] of state.failedUntil) {
    if (now === undefined || isFailureActive(until, now)) skip.add(peer);
  }
  const table = input.table ?? askHeuristic(graph, input.heuristic, totalChans, chanSizeSat, skip);
  if (table.graph !== graph) throw new RangeError('the candidate table was built for another graph');
  // The table's scores with the skipped nodes blanked out.
  const weights = Float64Array.from(table.scores);
  let candidateCount = table.nodes.length;
  let scoredCount = table.scored;
  for (const peer of skip) {
    const index = graph.indexOf(peer);
    const position = index === undefined ? -1 : (table.positions[index] ?? -1);
    if (position < 0) continue;
    candidateCount--;
    if (!Number.isNaN(weights[position] ?? Number.NaN)) scoredCount--;
    weights[position] = Number.NaN;
  }
  if (scoredCount === 0) return stop('no-candidates', chanSizeSat, candidateCount);
  const scores = new CandidateScores(table.nodes, Float64Array.from(weights), scoredCount);

  const wanted = Math.min(budget.channels, freeSlots);
  const chosen = chooseSorted(wanted, table.nodes, weights, rng);
  if (chosen.length === 0) return stop('no-positive-scores', chanSizeSat, candidateCount, scores);

  const opens: ChannelOpenDirective[] = [];
  let fundsLeft = budget.amountSat;
  let stoppedBy: StopReason | undefined;
  for (const { node, score } of chosen) {
    const amountSat = Math.min(chanSizeSat, fundsLeft);
    if (amountSat < constraints.minChanSizeSat || amountSat <= 0) {
      stoppedBy = 'funds-exhausted';
      break;
    }
    fundsLeft -= amountSat;
    const index = graph.indexOf(node);
    opens.push({ peer: node, amountSat, addresses: index === undefined ? [] : (graph.addresses[index] ?? []), score });
  }
  stoppedBy ??=
    opens.length === budget.channels ? 'channel-count' : opens.length === freeSlots ? 'pending-open-slots' : 'candidates-exhausted';
  return { opens, budget, stoppedBy, chanSizeSat, candidates: candidateCount, scores };
}

/**
 * askHeuristic offers the heuristic the graph's nodes with addresses that are not skipped, as lnd
 * does on every decision, and tables its answer (only candidates count, whatever it returns).
 */
function askHeuristic(
  graph: ChannelGraph,
  heuristic: AttachmentHeuristic,
  totalChans: readonly LocalChannel[],
  chanSizeSat: number,
  skip: ReadonlySet<string>,
): CandidateTable {
  const candidates = new Set<string>();
  for (let v = 0; v < graph.nodeCount; v++) {
    const pubKey = graph.pubKeys[v] ?? '';
    if ((graph.addresses[v]?.length ?? 0) === 0 || skip.has(pubKey)) continue;
    candidates.add(pubKey);
  }
  const scored = heuristic.nodeScores(graph, totalChans, chanSizeSat, candidates);
  return tableOf(graph, [...candidates].sort(), scored);
}
