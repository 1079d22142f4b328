import { z } from 'zod';
import { defineMessage } from '../envelope.js';
import { MessageId, Pubkey, Sat, Timestamp } from '../primitives.js';

/**
 * What the autopilot records: the policy each managed node runs under (set through the autopilot's
 * API, so policy history is part of the audit trail) and every decision it takes, with its inputs.
 * Both are published on the derived stream (`lnfleet.drv.autopilot.<nodeId>.<Type>`).
 */

/** MAX_DECISION_CANDIDATES caps the scored candidates a decision records (the best ones). */
export const MAX_DECISION_CANDIDATES = 50;

/** HEURISTIC_WEIGHT_TOLERANCE is how far heuristic weights may sum from 1 (floating point). */
export const HEURISTIC_WEIGHT_TOLERANCE = 1e-9;

/**
 * AutopilotConstraints are the limits the autopilot works within for one node (lnd's
 * autopilot.Config constraints): channel limit, share of funds in channels, channel sizes and
 * opens in flight.
 */
export const AutopilotConstraints = z
  .strictObject({
    chanLimit: z.int().min(0).max(1_000).describe('most channels (open + pending) the autopilot aims for'),
    allocation: z
      .number()
      .gt(0)
      .max(1)
      .describe('share (0..1] of all funds (wallet + channels) to keep in channels'),
    minChanSizeSat: Sat.describe('smallest channel opened, in satoshis'),
    maxChanSizeSat: Sat.describe('largest channel opened, in satoshis; bigger budgets are split'),
    maxPendingOpens: z.int().min(0).max(100).describe('most opens in flight at once'),
    maxFleetChannelsPerPeer: z
      .int()
      .min(1)
      .optional()
      .describe('fleet-wide diversity: skip a peer other managed nodes already have this many channels (and opens) with; unset: no limit'),
  })
  .refine((constraints) => constraints.maxChanSizeSat >= constraints.minChanSizeSat, {
    message: 'must be at least minChanSizeSat',
    path: ['maxChanSizeSat'],
  });
export type AutopilotConstraints = z.infer<typeof AutopilotConstraints>;

const Weight = z.number().min(0).max(1);

/**
 * HeuristicWeights weighs the attachment heuristics (lnd's weightedcomb configuration, e.g.
 * `{"top_centrality": 1}`): every weight in [0, 1], together summing to 1.
 */
export const HeuristicWeights = z
  .strictObject({
    top_centrality: Weight.optional().describe('weight of betweenness centrality (lnd top_centrality)'),
    preferential: Weight.optional().describe('weight of preferential attachment (lnd preferential)'),
  })
  .refine(
    (weights) => {
      const sum = (weights.top_centrality ?? 0) + (weights.preferential ?? 0);
      return Math.abs(sum - 1) <= HEURISTIC_WEIGHT_TOLERANCE;
    },
    { message: 'heuristic weights must sum to 1' },
  );
export type HeuristicWeights = z.infer<typeof HeuristicWeights>;

export const AutopilotPolicySet = defineMessage({
  type: 'AutopilotPolicySet',
  kind: 'event',
  schemaVersion: 1,
  derivedBy: 'autopilot',
  description:
    'The autopilot policy of a managed node was set: whether the autopilot runs for it, in dry-run or not, within which constraints and with which heuristics. The latest one (by stream sequence) is in force.',
  data: z.strictObject({
    enabled: z.boolean().describe('whether the autopilot decides for this node at all'),
    dryRun: z.boolean().describe('decide and record decisions, but send no OpenChannel commands'),
    constraints: AutopilotConstraints,
    heuristics: HeuristicWeights,
    setBy: z.string().min(1).max(200).describe('who set the policy (operator or tool), for the audit trail'),
  }),
});

/** DecisionTrigger says what made the autopilot decide. */
export const DecisionTrigger = z.strictObject({
  kind: z
    .enum(['event', 'policy', 'heartbeat'])
    .describe('a node event, a policy change, or the periodic re-evaluation'),
  messageType: z.string().min(1).max(100).nullable().describe('type of the triggering message (null for the heartbeat)'),
  messageId: MessageId.nullable().describe('id of the triggering message (null for the heartbeat)'),
  streamSequence: z.int().nonnegative().nullable().describe('stream sequence of the triggering message (null for the heartbeat)'),
});
export type DecisionTrigger = z.infer<typeof DecisionTrigger>;

/** DecisionStop is why a decision opened no more channels (the agent's StopReason). */
export const DecisionStop = z
  .enum([
    'enough-channels',
    'insufficient-funds',
    'max-pending-opens',
    'no-candidates',
    'no-positive-scores',
    'channel-count',
    'pending-open-slots',
    'funds-exhausted',
    'candidates-exhausted',
    'no-graph',
  ])
  .describe('the constraint or condition that stopped the decision');

export const AutopilotDecision = defineMessage({
  type: 'AutopilotDecision',
  kind: 'event',
  schemaVersion: 1,
  derivedBy: 'autopilot',
  description:
    'The autopilot decided for a managed node: the state and budget it saw, the candidates it scored (the best ones), which peers it chose with which amounts and command ids, and what stopped it. Replayable from its seed and graph version.',
  data: z.strictObject({
    trigger: DecisionTrigger,
    inputs: z
      .strictObject({
        walletBalanceSat: Sat.describe('spendable on-chain balance used for the budget'),
        channelCount: z.int().nonnegative().describe('open and pending channels'),
        pendingOpenCount: z.int().nonnegative().describe('opens in flight'),
        failedPeerCount: z.int().nonnegative().describe('peers skipped because an open to them failed recently'),
        unfitPeerCount: z.int().nonnegative().describe('peers skipped because chanfitness reports them unfit'),
        crowdedPeerCount: z.int().nonnegative().describe('peers skipped because other fleet nodes have maxFleetChannelsPerPeer channels with them'),
      })
      .describe('the node state the decision saw'),
    constraints: AutopilotConstraints,
    heuristics: HeuristicWeights,
    budget: z.strictObject({
      amountSat: Sat.describe('satoshis that may go into new channels'),
      channels: z.int().nonnegative().describe('channels that may be added'),
    }),
    chanSizeSat: Sat.describe('size each channel aimed for (0 when the budget stopped the decision)'),
    candidateCount: z.int().nonnegative().describe('nodes offered to the heuristics'),
    candidates: z
      .array(z.strictObject({ peer: Pubkey, score: z.number().min(0).max(1) }))
      .max(MAX_DECISION_CANDIDATES)
      .describe(`best-scored candidates, highest first (at most ${MAX_DECISION_CANDIDATES})`),
    chosen: z
      .array(
        z.strictObject({
          peer: Pubkey,
          amountSat: Sat.min(1),
          score: z.number().min(0).max(1),
          commandId: MessageId.describe('id of the OpenChannel command (also in a dry run, where none is sent)'),
        }),
      )
      .max(100)
      .describe('peers chosen, in the order drawn'),
    commandsExpireAt: Timestamp.describe('expiry of the OpenChannel commands; their opens count as pending until an outcome or this (plus grace)'),
    stoppedBy: DecisionStop,
    seed: z.int().min(0).max(4_294_967_295).describe('seed of the weighted random choice'),
    graphVersion: z.string().min(1).max(200).describe('version of the channel graph the decision used'),
    dryRun: z.boolean().describe('true when no commands were sent'),
  }),
});
