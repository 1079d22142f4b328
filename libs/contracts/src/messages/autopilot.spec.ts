import { Catalogue } from '../catalogue.js';
import {
  autopilotConstraints,
  badValues,
  decodeJson,
  describeDataContract,
  expectFailure,
  validData,
  validMessage,
  withPath,
  type BadValue,
} from '../fixtures.spec-helpers.js';
import { AutopilotDecision, AutopilotPolicySet, MAX_DECISION_CANDIDATES } from './autopilot.js';

const notAnObject: readonly BadValue[] = [
  ['null', null],
  ['a string', 'x'],
  ['a list', []],
];

const constraintsCases: readonly BadValue[] = [
  ...notAnObject,
  ['a negative chanLimit', { ...autopilotConstraints, chanLimit: -1 }, 'constraints.chanLimit'],
  ['a fractional chanLimit', { ...autopilotConstraints, chanLimit: 1.5 }, 'constraints.chanLimit'],
  ['allocation 0', { ...autopilotConstraints, allocation: 0 }, 'constraints.allocation'],
  ['allocation above 1', { ...autopilotConstraints, allocation: 1.01 }, 'constraints.allocation'],
  ['a negative minChanSizeSat', { ...autopilotConstraints, minChanSizeSat: -1 }, 'constraints.minChanSizeSat'],
  ['maxChanSizeSat below minChanSizeSat', { ...autopilotConstraints, maxChanSizeSat: 10_000 }, 'constraints.maxChanSizeSat'],
  ['a negative maxPendingOpens', { ...autopilotConstraints, maxPendingOpens: -1 }, 'constraints.maxPendingOpens'],
  ['a maxFleetChannelsPerPeer of 0', { ...autopilotConstraints, maxFleetChannelsPerPeer: 0 }, 'constraints.maxFleetChannelsPerPeer'],
  ['an unknown constraint', { ...autopilotConstraints, maxChannels: 3 }, 'constraints'],
];

const heuristicsCases: readonly BadValue[] = [
  ...notAnObject,
  ['weights summing to 0.9', { top_centrality: 0.6, preferential: 0.3 }],
  ['weights summing to 1.1', { top_centrality: 0.8, preferential: 0.3 }],
  ['no weights at all', {}],
  ['a negative weight', { top_centrality: 1, preferential: -0.5 }, 'heuristics.preferential'],
  ['an unknown heuristic', { top_centrality: 0.5, random: 0.5 }],
  ['a weight given as a string', { top_centrality: '1' }, 'heuristics.top_centrality'],
];

describe('autopilot events', () => {
  it('are events derived by the autopilot at schema version 1, in the catalogue', () => {
    for (const definition of [AutopilotPolicySet, AutopilotDecision]) {
      expect(definition).toMatchObject({ kind: 'event', derivedBy: 'autopilot', schemaVersion: 1 });
      expect(Catalogue).toContain(definition);
    }
  });

  describeDataContract('AutopilotPolicySet', {
    enabled: badValues.boolean,
    dryRun: badValues.boolean,
    constraints: constraintsCases,
    heuristics: heuristicsCases,
    setBy: [
      ['empty', ''],
      ['longer than 200 characters', 'x'.repeat(201)],
      ['null', null],
    ],
  });

  it('accepts weights that sum to 1 only up to floating-point rounding (0.7 + 0.2 + 0.1 style)', () => {
    const data = { ...validData.AutopilotPolicySet, heuristics: { top_centrality: 0.7, preferential: 0.3000001 } };
    expect(AutopilotPolicySet.data.safeParse(data).success).toBe(false);
    const rounded = { ...validData.AutopilotPolicySet, heuristics: { top_centrality: 0.1 + 0.2, preferential: 0.7 } };
    expect(AutopilotPolicySet.data.safeParse(rounded).success).toBe(true);
  });

  it('reports a bad weight sum at data.heuristics with its reason', () => {
    const error = expectFailure(decodeJson(withPath(validMessage('AutopilotPolicySet'), 'data.heuristics', { top_centrality: 0.5 })));
    expect(error).toMatchObject({ code: 'INVALID_DATA', field: 'data.heuristics', message: 'heuristic weights must sum to 1' });
  });

  const candidates = Array.from({ length: MAX_DECISION_CANDIDATES + 1 }, () => ({ peer: validData.AutopilotDecision.chosen[0]?.peer, score: 0.5 }));

  describeDataContract('AutopilotDecision', {
    trigger: [
      ...notAnObject,
      ['an unknown kind', { ...validData.AutopilotDecision.trigger, kind: 'timer' }, 'trigger.kind'],
      ['a negative stream sequence', { ...validData.AutopilotDecision.trigger, streamSequence: -1 }, 'trigger.streamSequence'],
      ['a message id with spaces', { ...validData.AutopilotDecision.trigger, messageId: 'a b' }, 'trigger.messageId'],
    ],
    inputs: [
      ...notAnObject,
      ['a negative wallet balance', { ...validData.AutopilotDecision.inputs, walletBalanceSat: -1 }, 'inputs.walletBalanceSat'],
      ['a fractional channel count', { ...validData.AutopilotDecision.inputs, channelCount: 0.5 }, 'inputs.channelCount'],
    ],
    constraints: constraintsCases,
    heuristics: heuristicsCases,
    budget: [
      ...notAnObject,
      ['a negative amount', { amountSat: -1, channels: 1 }, 'budget.amountSat'],
      ['fractional channels', { amountSat: 1, channels: 0.5 }, 'budget.channels'],
    ],
    chanSizeSat: badValues.sat,
    candidateCount: badValues.nonNegativeInt,
    candidates: [
      ['a bare object instead of a list', { peer: validData.AutopilotDecision.chosen[0]?.peer, score: 1 }],
      [`more than ${MAX_DECISION_CANDIDATES} entries`, candidates],
      ['a score above 1', [{ peer: validData.AutopilotDecision.chosen[0]?.peer, score: 1.5 }], 'candidates.0.score'],
      ['an invalid peer', [{ peer: 'nobody', score: 0.5 }], 'candidates.0.peer'],
    ],
    chosen: [
      ['a bare object instead of a list', validData.AutopilotDecision.chosen[0]],
      ['an amount of 0', [{ ...validData.AutopilotDecision.chosen[0], amountSat: 0 }], 'chosen.0.amountSat'],
      ['an empty command id', [{ ...validData.AutopilotDecision.chosen[0], commandId: '' }], 'chosen.0.commandId'],
      ['a negative score', [{ ...validData.AutopilotDecision.chosen[0], score: -0.1 }], 'chosen.0.score'],
    ],
    commandsExpireAt: badValues.timestamp,
    stoppedBy: [
      ['an unknown reason', 'tired'],
      ['null', null],
    ],
    seed: [
      ['negative', -1],
      ['above 2^32-1', 4_294_967_296],
      ['fractional', 1.5],
    ],
    graphVersion: [
      ['empty', ''],
      ['longer than 200 characters', 'v'.repeat(201)],
    ],
    dryRun: badValues.boolean,
  });
});
