/**
 * planDecision turns one node's projection, its policy and a graph view into what the shell
 * publishes: OpenChannel commands and the AutopilotDecision that explains them. It is pure (time
 * comes in as `nowMs`), so the same inputs give the same ids, seed, picks and messages on every
 * replica, on a retry after a crash, and on a replay.
 *
 * Ids: the decision id derives from the node and the trigger key; each command id from the
 * decision id and the peer. A trigger redelivered before its effects were committed therefore
 * yields the same messages, which JetStream de-duplicates by id.
 */
import { createHash } from 'node:crypto';
import {
  AutopilotDecision,
  createMessage,
  deterministicId,
  MAX_DECISION_CANDIDATES,
  NetworkAddress,
  OpenChannel,
  type DecisionTrigger,
  type HeuristicWeights,
  type MessageByType,
} from '@lnfleet/contracts';
import { candidateTable, decide, type AgentState, type CandidateTable, type Decision } from '../agent/decide.js';
import { createRng, seedFromString } from '../agent/prng.js';
import { type NodeAddress } from '../graph/channel-graph.js';
import { type GraphView } from '../graph/graph-source.js';
import { type AttachmentHeuristic } from '../heuristics/heuristic.js';
import { preferentialAttachment } from '../heuristics/preferential-attachment.js';
import { topCentrality } from '../heuristics/top-centrality.js';
import { heuristicFromWeights } from '../heuristics/weighted-combination.js';
import { type PlannedOpen, type PolicyRecord } from '../projection/node-projection.js';

/** OPEN_TARGET_CONF is the funding confirmation target of autopilot opens (lnd's conftarget 3). */
export const OPEN_TARGET_CONF = 3;
/** OPEN_MIN_CONFS is the confirmations the spent outputs need (lnd's minconfs 1). */
export const OPEN_MIN_CONFS = 1;
/** MAX_PEER_ADDRESSES is how many of a peer's announced addresses a command carries. */
const MAX_PEER_ADDRESSES = 32;

/** TriggerFacts is what made the autopilot decide, with the message that did, if any. */
export interface TriggerFacts {
  readonly trigger: DecisionTrigger;
  /** key identifies the trigger for ids: e.g. `events:<seq>`, or `heartbeat:<revision>:<inputs hash>`. */
  readonly key: string;
  /** correlationId is the workflow the decision continues (the trigger message's), if any. */
  readonly correlationId: string | null;
}

/** PlanInput is everything a decision depends on. */
export interface PlanInput {
  readonly nodeId: string;
  readonly agent: AgentState;
  readonly policy: PolicyRecord;
  /** graph is the channel graph to decide on; null when none is loaded yet (see NO_GRAPH_VERSION). */
  readonly graph: GraphView | null;
  readonly trigger: TriggerFacts;
  readonly nowMs: number;
  /** commandTtlMs is how long an OpenChannel command stays executable (its expiresAt). */
  readonly commandTtlMs: number;
}

/** DecisionPlan is the outcome of {@link planDecision}. */
export interface DecisionPlan {
  readonly decision: Decision;
  readonly opens: readonly PlannedOpen[];
  /** commands are the OpenChannel commands (sent unless the policy is a dry run). */
  readonly commands: readonly MessageByType<'OpenChannel'>[];
  readonly record: MessageByType<'AutopilotDecision'>;
}

/** NO_GRAPH_VERSION is the graph version a decision records when no channel graph was loaded yet. */
export const NO_GRAPH_VERSION = 'none';

/** heuristicFor builds the weighted combination a policy asks for, over one graph view. */
export function heuristicFor(weights: HeuristicWeights, view: GraphView | null): AttachmentHeuristic {
  const numeric: Record<string, number> = {};
  for (const [name, weight] of Object.entries(weights)) if (typeof weight === 'number') numeric[name] = weight;
  return heuristicFromWeights(numeric, {
    preferential: preferentialAttachment,
    top_centrality: () =>
      topCentrality({
        centrality: () => {
          if (view === null) throw new RangeError('top_centrality needs a channel graph');
          return view.centrality;
        },
      }),
  });
}

/** MAX_TABLES_PER_GRAPH bounds the cached candidate tables per graph view (one per distinct heuristic weights). */
const MAX_TABLES_PER_GRAPH = 32;
const tables = new WeakMap<GraphView, Map<string, CandidateTable>>();

/**
 * candidateTableFor returns the candidate scores of a policy's heuristics over one graph view,
 * computed once per view and weights (every heuristic we offer scores a node on its own, see
 * CandidateTable), so a decision does not rescore ~12,000 candidates.
 */
export function candidateTableFor(weights: HeuristicWeights, view: GraphView): CandidateTable {
  const key = JSON.stringify(Object.entries(weights).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  let byWeights = tables.get(view);
  if (byWeights === undefined) {
    byWeights = new Map();
    tables.set(view, byWeights);
  }
  let table = byWeights.get(key);
  if (table === undefined) {
    table = candidateTable(view.graph, heuristicFor(weights, view));
    // Oldest out first: policies rarely use more than a few weightings.
    if (byWeights.size >= MAX_TABLES_PER_GRAPH) byWeights.delete(byWeights.keys().next().value ?? '');
    byWeights.set(key, table);
  }
  return table;
}

/**
 * inputsFingerprint hashes what a decision depends on besides its trigger (the agent state, the
 * policy, the graph version, the failures still active at the time), so two heartbeats that see
 * the same node revision and the same inputs get the same decision id.
 */
export function inputsFingerprint(agent: AgentState, policy: PolicyRecord, graphVersion: string): string {
  const canonical = JSON.stringify([
    agent.self,
    agent.channels.map((c) => [c.channelId, c.peer, c.balanceSat]),
    agent.pendingOpens.map((o) => [o.peer, o.amountSat]),
    [...agent.failedUntil.entries()].sort(),
    agent.unfitPeers ?? [],
    agent.crowdedPeers ?? [],
    agent.walletBalanceSat,
    policy.constraints,
    Object.entries(policy.heuristics).sort(),
    policy.dryRun,
    graphVersion,
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

/** planDecision decides for one node and builds the messages that carry the decision out. */
export function planDecision(input: PlanInput): DecisionPlan {
  const { nodeId, agent, policy, graph, trigger, nowMs } = input;
  const decisionId = deterministicId('AutopilotDecision', nodeId, trigger.key);
  const seed = seedFromString(decisionId);
  const decision = decide(
    agent,
    graph === null
      ? { graph: null, heuristic: heuristicFor(policy.heuristics, null), constraints: policy.constraints, rng: createRng(seed) }
      : {
          graph: graph.graph,
          heuristic: heuristicFor(policy.heuristics, graph),
          table: candidateTableFor(policy.heuristics, graph),
          constraints: policy.constraints,
          rng: createRng(seed),
        },
    nowMs,
  );
  const occurredAt = new Date(nowMs).toISOString();
  const expiresAtMs = nowMs + input.commandTtlMs;
  const correlationId = trigger.correlationId ?? decisionId;

  const opens: PlannedOpen[] = decision.opens.map((open) => ({
    commandId: deterministicId('OpenChannel', decisionId, open.peer),
    peer: open.peer,
    amountSat: open.amountSat,
    expiresAtMs,
  }));
  const commands = decision.opens.map((open, i) =>
    createMessage(OpenChannel, {
      id: opens[i]?.commandId ?? '',
      nodeId,
      occurredAt,
      causationId: decisionId,
      correlationId,
      data: {
        peer: open.peer,
        peerAddresses: usableAddresses(open.addresses),
        localFundingSat: open.amountSat,
        pushSat: 0,
        targetConf: OPEN_TARGET_CONF,
        minConfs: OPEN_MIN_CONFS,
        private: false,
        expiresAt: new Date(expiresAtMs).toISOString(),
      },
    }),
  );
  const candidates = topScores(decision.scores, MAX_DECISION_CANDIDATES);
  const record = createMessage(AutopilotDecision, {
    id: decisionId,
    nodeId,
    occurredAt,
    causationId: trigger.trigger.messageId,
    correlationId,
    data: {
      trigger: trigger.trigger,
      inputs: {
        walletBalanceSat: agent.walletBalanceSat,
        channelCount: agent.channels.length,
        pendingOpenCount: agent.pendingOpens.length,
        failedPeerCount: agent.failedUntil.size,
        unfitPeerCount: agent.unfitPeers?.length ?? 0,
        crowdedPeerCount: agent.crowdedPeers?.length ?? 0,
      },
      constraints: policy.constraints,
      heuristics: policy.heuristics,
      budget: decision.budget,
      chanSizeSat: decision.chanSizeSat,
      candidateCount: decision.candidates,
      candidates,
      chosen: decision.opens.map((open, i) => ({ peer: open.peer, amountSat: open.amountSat, score: open.score, commandId: opens[i]?.commandId ?? '' })),
      commandsExpireAt: new Date(expiresAtMs).toISOString(),
      stoppedBy: decision.stoppedBy,
      seed,
      graphVersion: graph?.version ?? NO_GRAPH_VERSION,
      dryRun: policy.dryRun,
    },
  });
  return { decision, opens, commands, record };
}

/**
 * topScores returns the `limit` best scores, highest first (ties by public key), without sorting
 * every candidate: the real graph offers ~12,000 of them per decision.
 */
export function topScores(scores: Iterable<[string, number]>, limit: number): { peer: string; score: number }[] {
  const before = (a: { peer: string; score: number }, b: { peer: string; score: number }): boolean =>
    a.score > b.score || (a.score === b.score && a.peer < b.peer);
  const top: { peer: string; score: number }[] = [];
  for (const [peer, score] of scores) {
    const entry = { peer, score };
    const last = top[top.length - 1];
    if (top.length === limit && last !== undefined && !before(entry, last)) continue;
    let i = top.length;
    while (i > 0 && before(entry, top[i - 1] as { peer: string; score: number })) i--;
    top.splice(i, 0, entry);
    if (top.length > limit) top.pop();
  }
  return top;
}

/** usableAddresses keeps the announced addresses a command can carry (host:port, at most 32). */
function usableAddresses(addresses: readonly NodeAddress[]): string[] {
  return addresses
    .map((address) => address.addr)
    .filter((addr) => NetworkAddress.safeParse(addr).success)
    .slice(0, MAX_PEER_ADDRESSES);
}
