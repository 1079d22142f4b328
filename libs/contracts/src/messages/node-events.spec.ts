import {
  badValues,
  describeDataContract,
  openChannelState,
  pendingChannel,
  walletBalance,
  type BadValue,
  type DataCases,
} from '../fixtures.spec-helpers.js';
import {
  BalanceChanged,
  ChannelBackupUpdated,
  ChannelClosed,
  ChannelOpened,
  ChannelOpenFailed,
  ChannelOpenPending,
  ChannelOpenRequested,
  ChannelResolved,
  NodeStateSnapshot,
  OpenChannelState,
  OpenFailureReason,
  PeerOffline,
  PeerOnline,
  PendingChannel,
  WalletBalance,
} from './node-events.js';

const { lockedSat: _locked, ...walletWithoutLocked } = walletBalance;

const pendingChannelCases: DataCases = {
  channelPoint: badValues.channelPoint,
  peer: badValues.pubkey,
  peerAddresses: badValues.addresses,
  capacitySat: badValues.sat,
  localBalanceSat: badValues.sat,
  initiator: badValues.initiator,
  private: badValues.boolean,
  commitmentType: badValues.commitmentType,
};

const openChannelCases: DataCases = {
  ...pendingChannelCases,
  chanId: badValues.uint64,
  remoteBalanceSat: badValues.sat,
  active: badValues.boolean,
};

const walletBalanceCases: DataCases = {
  confirmedSat: badValues.sat,
  unconfirmedSat: badValues.sat,
  lockedSat: badValues.sat,
  channelLocalSat: badValues.sat,
  channelRemoteSat: badValues.sat,
};

describe('node events', () => {
  it('are all events at schema version 1', () => {
    const events = [
      ChannelOpenPending,
      ChannelOpened,
      ChannelClosed,
      ChannelResolved,
      PeerOnline,
      PeerOffline,
      BalanceChanged,
      NodeStateSnapshot,
      ChannelBackupUpdated,
      ChannelOpenRequested,
      ChannelOpenFailed,
    ];
    for (const definition of events) {
      expect(definition.kind).toBe('event');
      expect(definition.schemaVersion).toBe(1);
      expect(definition.description.length).toBeGreaterThan(0);
    }
  });

  describeDataContract('ChannelOpenPending', pendingChannelCases);
  describeDataContract('ChannelOpened', openChannelCases);
  describeDataContract('ChannelClosed', {
    channelPoint: badValues.channelPoint,
    chanId: badValues.uint64,
    peer: badValues.pubkey,
    capacitySat: badValues.sat,
    closeType: badValues.closeType,
    closingTxid: badValues.nullableTxid,
    closeHeight: badValues.nonNegativeInt,
    settledBalanceSat: badValues.sat,
    openInitiator: badValues.initiator,
    closeInitiator: badValues.initiator,
  });
  describeDataContract('ChannelResolved', { channelPoint: badValues.channelPoint });
  describeDataContract('PeerOnline', { peer: badValues.pubkey });
  describeDataContract('PeerOffline', { peer: badValues.pubkey });
  describeDataContract('BalanceChanged', walletBalanceCases);
  describeDataContract('NodeStateSnapshot', {
    alias: [
      ['longer than 64 characters', 'x'.repeat(65)],
      ['a number', 1],
      ['null', null],
    ],
    blockHeight: badValues.nonNegativeInt,
    syncedToChain: badValues.boolean,
    openChannels: [
      ['not a list', openChannelState],
      ['an entry with a bad chanId', [{ ...openChannelState, chanId: '12a4' }], 'openChannels.0.chanId'],
      ['an entry with an uppercase peer', [{ ...openChannelState, peer: openChannelState.peer.toUpperCase() }], 'openChannels.0.peer'],
      ['an entry with an unknown key', [{ ...openChannelState, fundingTx: 'x' }], 'openChannels.0'],
      ['a pending channel (no chanId)', [pendingChannel], 'openChannels.0.chanId'],
    ],
    pendingChannels: [
      ['not a list', pendingChannel],
      ['an entry with a bad channel point', [{ ...pendingChannel, channelPoint: 'x:1' }], 'pendingChannels.0.channelPoint'],
      ['an entry with a negative capacity', [{ ...pendingChannel, capacitySat: -1 }], 'pendingChannels.0.capacitySat'],
      ['an open channel (extra keys)', [openChannelState], 'pendingChannels.0'],
    ],
    onlinePeers: [
      ['not a list', openChannelState.peer],
      ['an uppercase entry', [openChannelState.peer.toUpperCase()], 'onlinePeers.0'],
      ['an uncompressed entry', [`04${'ab'.repeat(32)}`], 'onlinePeers.0'],
    ],
    balance: [
      ['null', null],
      ['a negative confirmedSat', { ...walletBalance, confirmedSat: -1 }, 'balance.confirmedSat'],
      ['a fractional channelLocalSat', { ...walletBalance, channelLocalSat: 0.5 }, 'balance.channelLocalSat'],
      ['missing lockedSat', walletWithoutLocked, 'balance.lockedSat'],
      ['an unknown key', { ...walletBalance, totalSat: 1 }, 'balance'],
    ],
  });
  describeDataContract('ChannelBackupUpdated', {
    multiChanBackup: [
      ['not base64', 'not base64!'.repeat(8)],
      ['shorter than an lnd backup', Buffer.alloc(30, 1).toString('base64')],
      ['a number', 1],
      ['null', null],
    ],
    channelPoints: [
      ['not a list', 'x'],
      ...badValues.channelPoint.map(([label, value]): BadValue => [`an entry ${label}`, [value], 'channelPoints.0']),
    ],
  });
  describeDataContract('ChannelOpenRequested', {
    commandId: badValues.commandId,
    peer: badValues.pubkey,
    localFundingSat: badValues.sat,
    channelPoint: badValues.channelPoint,
  });
  describeDataContract('ChannelOpenFailed', {
    commandId: badValues.commandId,
    peer: badValues.pubkey,
    localFundingSat: badValues.sat,
    reason: [
      ['not a known reason', 'TIMEOUT'],
      ['lowercase', 'expired'],
      ['null', null],
    ],
    message: [
      ['longer than 2000 characters', 'x'.repeat(2001)],
      ['null', null],
    ],
    retryableAfter: badValues.timestamp,
  });
});

describe('node event data schemas', () => {
  it('OpenChannelState is a PendingChannel plus chanId, remoteBalanceSat and active', () => {
    expect(Object.keys(OpenChannelState.shape).sort()).toEqual(
      [...Object.keys(PendingChannel.shape), 'chanId', 'remoteBalanceSat', 'active'].sort(),
    );
    expect(OpenChannelState.safeParse(openChannelState).success).toBe(true);
    expect(PendingChannel.safeParse(openChannelState).success).toBe(false);
  });

  it('WalletBalance accepts zero balances', () => {
    const zero = { confirmedSat: 0, unconfirmedSat: 0, lockedSat: 0, channelLocalSat: 0, channelRemoteSat: 0 };
    expect(WalletBalance.safeParse(zero).success).toBe(true);
  });

  it('accepts every lnd CommitmentType and Initiator on a pending channel', () => {
    for (const commitmentType of PendingChannel.shape.commitmentType.options) {
      for (const initiator of PendingChannel.shape.initiator.options) {
        expect(PendingChannel.safeParse({ ...pendingChannel, commitmentType, initiator }).success).toBe(true);
      }
    }
  });

  it('accepts a pending channel with no known peer addresses', () => {
    expect(PendingChannel.safeParse({ ...pendingChannel, peerAddresses: [] }).success).toBe(true);
  });

  it('ChannelClosed accepts a null closingTxid (canceled funding or abandoned channel)', () => {
    const data = ChannelClosed.data.parse({
      channelPoint: pendingChannel.channelPoint,
      chanId: '0',
      peer: pendingChannel.peer,
      capacitySat: 1,
      closeType: 'FUNDING_CANCELED',
      closingTxid: null,
      closeHeight: 0,
      settledBalanceSat: 0,
      openInitiator: 'UNKNOWN',
      closeInitiator: 'BOTH',
    });
    expect(data.closingTxid).toBeNull();
  });

  it('ChannelOpenFailed accepts a null retryableAfter and every failure reason', () => {
    for (const reason of OpenFailureReason.options) {
      const result = ChannelOpenFailed.data.safeParse({
        commandId: 'c',
        peer: pendingChannel.peer,
        localFundingSat: 0,
        reason,
        message: '',
        retryableAfter: null,
      });
      expect(result.success).toBe(true);
    }
  });

  it('NodeStateSnapshot accepts a node with no channels and no peers', () => {
    const result = NodeStateSnapshot.data.safeParse({
      alias: '',
      blockHeight: 0,
      syncedToChain: false,
      openChannels: [],
      pendingChannels: [],
      onlinePeers: [],
      balance: walletBalance,
    });
    expect(result.success).toBe(true);
  });

  it('ChannelBackupUpdated accepts a backup covering no channels', () => {
    const backup = Buffer.alloc(45, 9).toString('base64');
    expect(ChannelBackupUpdated.data.safeParse({ multiChanBackup: backup, channelPoints: [] }).success).toBe(true);
  });
});
