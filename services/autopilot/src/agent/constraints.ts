/**
 * Agent constraints: how many channels the autopilot may have, which share of the node's funds
 * it may put into channels, how big each channel may be, and how many opens may be in flight.
 * The budget rule is lnd's `ChannelBudget`; its defaults are lnd's autopilot defaults.
 */
import { type LocalChannel } from './local-channel.js';

/** ChannelConstraints are the limits the autopilot works within. */
export interface ChannelConstraints {
  /** chanLimit is the most channels (open + pending) the autopilot aims for; more opens stop there. */
  readonly chanLimit: number;
  /**
   * allocation is the share (0..1] of all funds (wallet + channel balances) to keep in channels;
   * higher puts more of the wallet to work, lower keeps more on-chain.
   */
  readonly allocation: number;
  /** minChanSizeSat is the smallest channel opened; funds below it are left alone. */
  readonly minChanSizeSat: number;
  /** maxChanSizeSat is the largest channel opened; bigger budgets are split into several channels. */
  readonly maxChanSizeSat: number;
  /** maxPendingOpens caps opens in flight at once (lnd hard-codes 10). */
  readonly maxPendingOpens: number;
}

/** ChannelBudget is what the constraints allow now: funds to commit and channels to open. */
export interface ChannelBudget {
  /** amountSat is the amount of satoshis that may go into new channels. */
  readonly amountSat: number;
  /** channels is the number of additional channels that may be opened. */
  readonly channels: number;
}

/** DEFAULT_CONSTRAINTS are lnd's autopilot defaults (maxchannels 5, allocation 0.6, ...). */
export const DEFAULT_CONSTRAINTS: ChannelConstraints = Object.freeze({
  chanLimit: 5,
  allocation: 0.6,
  minChanSizeSat: 20_000,
  maxChanSizeSat: 16_777_215,
  maxPendingOpens: 10,
});

/** NO_BUDGET is the budget that allows nothing. */
export const NO_BUDGET: ChannelBudget = Object.freeze({ amountSat: 0, channels: 0 });

/** ConstraintsError reports invalid constraints. */
export class ConstraintsError extends Error {
  override readonly name = 'ConstraintsError';
  /** code identifies the error kind for callers and logs. */
  readonly code = 'INVALID_CONSTRAINTS';
}

/** validateConstraints throws a {@link ConstraintsError} unless the constraints make sense. */
export function validateConstraints(constraints: ChannelConstraints): ChannelConstraints {
  const { chanLimit, allocation, minChanSizeSat, maxChanSizeSat, maxPendingOpens } = constraints;
  const problems: string[] = [];
  if (!Number.isInteger(chanLimit) || chanLimit < 0) problems.push('chanLimit must be an integer >= 0');
  if (!(allocation > 0 && allocation <= 1)) problems.push('allocation must be in (0, 1]');
  if (!Number.isSafeInteger(minChanSizeSat) || minChanSizeSat < 0) problems.push('minChanSizeSat must be an integer >= 0');
  if (!Number.isSafeInteger(maxChanSizeSat) || maxChanSizeSat < minChanSizeSat) problems.push('maxChanSizeSat must be an integer >= minChanSizeSat');
  if (!Number.isInteger(maxPendingOpens) || maxPendingOpens < 0) problems.push('maxPendingOpens must be an integer >= 0');
  if (problems.length > 0) throw new ConstraintsError(`invalid autopilot constraints: ${problems.join('; ')}`);
  return constraints;
}

/**
 * channelBudget is lnd's ChannelBudget: with `channels` the node's channels (active and
 * pending) and `walletFundsSat` its wallet balance — nothing once the channel limit is reached
 * or the share of all funds in channels is at least `allocation`; otherwise the amount that
 * brings channels up to that share (truncated to whole satoshis) and the channels left to the
 * limit. Min/max channel sizes do not enter the budget; the agent applies them when it opens.
 */
export function channelBudget(constraints: ChannelConstraints, channels: readonly LocalChannel[], walletFundsSat: number): ChannelBudget {
  if (channels.length >= constraints.chanLimit) return NO_BUDGET;
  const channelsWanted = constraints.chanLimit - channels.length;
  let allocatedSat = 0;
  for (const channel of channels) allocatedSat += channel.balanceSat;
  const totalSat = walletFundsSat + allocatedSat;
  // With no funds at all the share is 0/0 (NaN), which is not below the allocation: nothing to do.
  const share = allocatedSat / totalSat;
  if (!(share < constraints.allocation)) return NO_BUDGET;
  const targetSat = Math.trunc(totalSat * constraints.allocation);
  return { amountSat: targetSat - allocatedSat, channels: channelsWanted };
}
