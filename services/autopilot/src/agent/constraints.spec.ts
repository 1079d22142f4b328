import { BTC } from '../heuristics/test-graphs.fixture.js';
import { channelBudget, type ChannelConstraints, ConstraintsError, DEFAULT_CONSTRAINTS, NO_BUDGET, validateConstraints } from './constraints.js';
import { type LocalChannel } from './local-channel.js';

// lnd's constraints test table: min 0, max 1 BTC, limit 3, allocation 0.5.
const LND_TABLE_CONSTRAINTS: ChannelConstraints = {
  chanLimit: 3,
  allocation: 0.5,
  minChanSizeSat: 0,
  maxChanSizeSat: BTC,
  maxPendingOpens: 10,
};

const channels = (...balancesBtc: number[]): LocalChannel[] =>
  balancesBtc.map((btc, i) => ({ channelId: String(i + 1), peer: `peer-${i}`, balanceSat: btc * BTC }));

describe('channelBudget (lnd test table)', () => {
  it.each<[string, LocalChannel[], number, number, number]>([
    ['3 channels of any size, 10 BTC wallet -> (0, 0)', channels(0.2, 5, 0.01), 10, 0, 0],
    ['1 BTC + 1 BTC in channels, 2 BTC wallet -> (0, 0)', channels(1, 1), 2, 0, 0],
    ['1 BTC in channels, 9 BTC wallet -> (4 BTC, 2)', channels(1), 9, 4, 2],
    ['1 BTC + 3 BTC in channels, 10 BTC wallet -> (3 BTC, 1)', channels(1, 3), 10, 3, 1],
    ['1 BTC + 1 BTC in channels, 1 BTC wallet -> (0, 0)', channels(1, 1), 1, 0, 0],
  ])('%s', (_name, chans, walletBtc, expectedBtc, expectedCount) => {
    expect(channelBudget(LND_TABLE_CONSTRAINTS, chans, walletBtc * BTC)).toEqual({
      amountSat: expectedBtc * BTC,
      channels: expectedCount,
    });
  });
});

describe('channelBudget edge cases', () => {
  it('gives nothing when there are no funds at all', () => {
    expect(channelBudget(LND_TABLE_CONSTRAINTS, [], 0)).toEqual(NO_BUDGET);
  });

  it('gives the whole allocation share of an empty node', () => {
    expect(channelBudget(DEFAULT_CONSTRAINTS, [], 10 * BTC)).toEqual({ amountSat: 6 * BTC, channels: 5 });
  });

  it('truncates the amount to whole satoshis', () => {
    expect(channelBudget({ ...LND_TABLE_CONSTRAINTS, allocation: 1 / 3 }, [], 100)).toEqual({ amountSat: 33, channels: 3 });
  });
});

describe('validateConstraints', () => {
  it('accepts lnd defaults', () => {
    expect(validateConstraints(DEFAULT_CONSTRAINTS)).toBe(DEFAULT_CONSTRAINTS);
    expect(DEFAULT_CONSTRAINTS).toEqual({ chanLimit: 5, allocation: 0.6, minChanSizeSat: 20_000, maxChanSizeSat: 16_777_215, maxPendingOpens: 10 });
  });

  it.each<[string, Partial<ChannelConstraints>]>([
    ['allocation 0', { allocation: 0 }],
    ['allocation above 1', { allocation: 1.5 }],
    ['max below min', { minChanSizeSat: 10, maxChanSizeSat: 5 }],
    ['fractional channel limit', { chanLimit: 1.5 }],
    ['negative pending opens', { maxPendingOpens: -1 }],
  ])('rejects %s', (_name, change) => {
    expect(() => validateConstraints({ ...DEFAULT_CONSTRAINTS, ...change })).toThrow(ConstraintsError);
  });
});
