import { createMessage, deterministicId, OpenChannel } from '@lnfleet/contracts';
import { NODE, open, peer, pending, T0 } from './fixtures.fixture.js';
import { checkOpenChannel, DEFAULT_CHANNEL_SIZE_BOUNDS, outcomeEvent, outcomeOfResult, recoverInterrupted, type OpenChannelCommand } from './open-channel.js';

function command(data: Partial<OpenChannelCommand['data']> = {}): OpenChannelCommand {
  return createMessage(OpenChannel, {
    id: 'cmd-1',
    nodeId: NODE,
    occurredAt: new Date(T0).toISOString(),
    causationId: 'decision-1',
    correlationId: 'flow-1',
    data: { peer: peer(1), peerAddresses: [], localFundingSat: 1_000_000, pushSat: 0, targetConf: 3, minConfs: 1, private: false, expiresAt: new Date(T0 + 60_000).toISOString(), ...data },
  });
}

describe('checkOpenChannel', () => {
  const check = (c: OpenChannelCommand, managed = true, now = T0) => checkOpenChannel(c, managed, DEFAULT_CHANNEL_SIZE_BOUNDS, now);

  it('accepts a valid command for a managed node', () => {
    expect(check(command())).toBeNull();
    expect(check(command({ localFundingSat: 20_000 }))).toBeNull();
    expect(check(command({ localFundingSat: 16_777_215 }))).toBeNull();
  });

  it.each([
    ['a node managed elsewhere', command(), false, T0, 'NODE_NOT_MANAGED'],
    ['an expired command', command(), true, T0 + 60_000, 'EXPIRED'],
    ['too small a channel', command({ localFundingSat: 19_999 }), true, T0, 'AMOUNT_OUT_OF_BOUNDS'],
    ['too large a channel', command({ localFundingSat: 16_777_216 }), true, T0, 'AMOUNT_OUT_OF_BOUNDS'],
    ['a channel to the node itself', command({ peer: NODE }), true, T0, 'INVALID_COMMAND'],
  ] as const)('refuses %s', (_name, c, managed, now, reason) => {
    expect(check(c, managed, now)).toMatchObject({ kind: 'failed', reason, decidedAtMs: now });
  });
});

describe('outcomes and their events', () => {
  it('answers a successful open with ChannelOpenRequested caused by the command, id from the command id', () => {
    const event = outcomeEvent(command(), outcomeOfResult({ ok: true, channelPoint: pending(1).channelPoint }, T0));
    expect(event).toMatchObject({
      type: 'ChannelOpenRequested',
      id: deterministicId('ChannelOpenRequested', 'cmd-1'),
      causationId: 'cmd-1',
      correlationId: 'flow-1',
      occurredAt: new Date(T0).toISOString(),
      data: { commandId: 'cmd-1', peer: peer(1), localFundingSat: 1_000_000, channelPoint: pending(1).channelPoint },
    });
  });

  it('answers a refused open with ChannelOpenFailed, the reason, and when retrying may help', () => {
    const event = outcomeEvent(command(), outcomeOfResult({ ok: false, kind: 'PEER_UNREACHABLE', message: 'offline' }, T0));
    expect(event).toMatchObject({
      type: 'ChannelOpenFailed',
      id: deterministicId('ChannelOpenFailed', 'cmd-1'),
      data: { reason: 'PEER_UNREACHABLE', message: 'offline', retryableAfter: new Date(T0 + 600_000).toISOString() },
    });
    const funds = outcomeEvent(command(), outcomeOfResult({ ok: false, kind: 'INSUFFICIENT_FUNDS', message: 'poor' }, T0));
    expect(funds).toMatchObject({ data: { reason: 'INSUFFICIENT_FUNDS', retryableAfter: null } });
  });
});

describe('recoverInterrupted', () => {
  it('finds the channel an interrupted execution opened, unless another command claims it', () => {
    const channel = { ...pending(1), capacitySat: 1_000_000 };
    expect(recoverInterrupted(command(), [open(2), channel], new Set(), T0)).toEqual({ kind: 'requested', channelPoint: channel.channelPoint, decidedAtMs: T0 });
    expect(recoverInterrupted(command(), [channel], new Set([channel.channelPoint]), T0)).toMatchObject({ kind: 'failed', reason: 'NODE_ERROR' });
    expect(recoverInterrupted(command(), [{ ...channel, initiator: 'REMOTE' }], new Set(), T0)).toMatchObject({ kind: 'failed' });
  });
});
