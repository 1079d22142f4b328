import { badValues, decodeJson, describeDataContract, expectFailure, validData, validMessage, withPath } from '../fixtures.spec-helpers.js';
import { OpenChannel } from './commands.js';

describe('OpenChannel command', () => {
  it('is a command at schema version 1', () => {
    expect(OpenChannel.type).toBe('OpenChannel');
    expect(OpenChannel.kind).toBe('command');
    expect(OpenChannel.schemaVersion).toBe(1);
  });

  describeDataContract('OpenChannel', {
    peer: badValues.pubkey,
    peerAddresses: badValues.addresses,
    localFundingSat: [...badValues.sat, ['zero', 0]],
    pushSat: [
      ...badValues.sat,
      ['equal to localFundingSat', validData.OpenChannel.localFundingSat],
      ['greater than localFundingSat', validData.OpenChannel.localFundingSat + 1],
    ],
    targetConf: [
      ['zero', 0],
      ['above 1008 blocks', 1009],
      ['fractional', 6.5],
      ['a string', '6'],
    ],
    minConfs: [
      ['negative', -1],
      ['fractional', 0.5],
      ['null', null],
    ],
    private: badValues.boolean,
    expiresAt: badValues.timestamp,
  });

  it('accepts pushSat of zero and pushSat one below localFundingSat', () => {
    const { localFundingSat } = validData.OpenChannel;
    for (const pushSat of [0, localFundingSat - 1]) {
      expect(OpenChannel.data.safeParse({ ...validData.OpenChannel, pushSat }).success).toBe(true);
    }
  });

  it('accepts the bounds of targetConf (1 and 1008) and minConfs 0', () => {
    for (const targetConf of [1, 1008]) {
      expect(OpenChannel.data.safeParse({ ...validData.OpenChannel, targetConf, minConfs: 0 }).success).toBe(true);
    }
  });

  it('accepts an open to a peer it is already connected to (no addresses)', () => {
    expect(OpenChannel.data.safeParse({ ...validData.OpenChannel, peerAddresses: [] }).success).toBe(true);
  });

  it('reports the pushSat refinement at data.pushSat with its reason', () => {
    const error = expectFailure(decodeJson(withPath(validMessage('OpenChannel'), 'data.pushSat', 2_000_000)));
    expect(error).toEqual({
      code: 'INVALID_DATA',
      field: 'data.pushSat',
      type: 'OpenChannel',
      message: 'must be less than localFundingSat',
    });
  });
});
