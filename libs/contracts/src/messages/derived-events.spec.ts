import { Catalogue } from '../catalogue.js';
import { badValues, describeDataContract, validData } from '../fixtures.spec-helpers.js';
import * as commands from './commands.js';
import { BackupStored, PeerFitnessChanged } from './derived-events.js';
import * as nodeEvents from './node-events.js';

const ratioCases = [
  ['negative', -0.1],
  ['above 1', 1.01],
  ['a string', '0.5'],
] as const;

const reasonCases = [
  ['a bare string instead of a list', 'FLAPPING'],
  ['an unknown reason', ['SLOW'], 'reasons.0'],
  ['lowercase', ['flapping'], 'reasons.0'],
  ['more than two reasons', ['FLAPPING', 'LOW_UPTIME', 'FLAPPING']],
] as const;

describe('derived events', () => {
  it('PeerFitnessChanged is an event derived by chanfitness at schema version 1', () => {
    expect(PeerFitnessChanged).toMatchObject({ type: 'PeerFitnessChanged', kind: 'event', derivedBy: 'chanfitness', schemaVersion: 1 });
    expect(Catalogue).toContain(PeerFitnessChanged);
  });

  it('node facts and commands name no deriving service', () => {
    const facts = [...Object.values(nodeEvents), ...Object.values(commands)].filter((value) => Catalogue.some((d) => d === value));
    expect(facts.length).toBeGreaterThan(0);
    for (const definition of facts) expect(definition).not.toHaveProperty('derivedBy');
  });

  describeDataContract('PeerFitnessChanged', {
    peer: badValues.pubkey,
    fit: badValues.boolean,
    reasons: reasonCases,
    previousReasons: reasonCases.map(([label, value, field]) => [label, value, field?.replace('reasons', 'previousReasons')] as const),
    flapCount: badValues.nonNegativeInt,
    maxFlapCount: badValues.nonNegativeInt,
    uptimeRatio: ratioCases,
    minUptimeRatio: [...ratioCases, ['null', null]],
    uptimeWindowMs: [...badValues.nonNegativeInt, ['zero', 0]],
    openChannels: badValues.nonNegativeInt,
  });

  it('accepts a fit peer with nothing observed', () => {
    const data = { ...validData.PeerFitnessChanged, fit: true, reasons: [], uptimeRatio: null, flapCount: 0 };
    expect(PeerFitnessChanged.data.safeParse(data).success).toBe(true);
  });

  it('BackupStored is an event derived by the backup service at schema version 1', () => {
    expect(BackupStored).toMatchObject({ type: 'BackupStored', kind: 'event', derivedBy: 'backup', schemaVersion: 1 });
    expect(Catalogue).toContain(BackupStored);
  });

  describeDataContract('BackupStored', {
    backup: [
      ['lowercase', 'channel_set'],
      ['an unknown kind', 'WALLET'],
    ],
    version: [...badValues.nonNegativeInt, ['zero', 0]],
    contentHash: [
      ['uppercase', 'AB'.repeat(32)],
      ['too short', 'ab'.repeat(31)],
      ['a number', 7],
    ],
    channelCount: badValues.nonNegativeInt,
    sizeBytes: [...badValues.nonNegativeInt, ['zero', 0]],
    streamSequence: [...badValues.nonNegativeInt, ['zero', 0]],
  });

  it('accepts a node packed backup covering no channels', () => {
    const data = { ...validData.BackupStored, backup: 'NODE_PACKED', channelCount: 0 };
    expect(BackupStored.data.safeParse(data).success).toBe(true);
  });
});
