import { deterministicId, type KnownMessage } from '@lnfleet/contracts';
import type { NodeNotification } from '../node/lightning-node.js';
import { BALANCE, closed, NODE, open, peer, pending, point, T0 } from './fixtures.fixture.js';
import { translateNotification } from './translate.js';

/** when(notification).then(events) states one translation. */
function when(notification: NodeNotification) {
  const events = translateNotification(NODE, notification);
  return {
    then(expected: Array<Pick<KnownMessage, 'type' | 'data'> & { id?: string }>): void {
      expect(events.map((e) => ({ type: e.type, data: e.data, ...(expected.some((x) => x.id !== undefined) ? { id: e.id } : {}) }))).toEqual(expected);
      for (const event of events) {
        expect(event.nodeId).toBe(NODE);
        expect(event.occurredAt).toBe(new Date(notification.atMs).toISOString());
        expect(event.causationId).toBeNull();
      }
    },
    events,
  };
}

describe('translateNotification', () => {
  it('turns a pending open into ChannelOpenPending identified by node and channel point', () => {
    when({ type: 'channelPendingOpen', atMs: T0, channel: pending(1) }).then([{ type: 'ChannelOpenPending', data: pending(1), id: deterministicId('ChannelOpenPending', NODE, point(1)) }]);
  });

  it('turns an open into ChannelOpened and a close into ChannelClosed with its close type', () => {
    when({ type: 'channelOpened', atMs: T0, channel: open(1) }).then([{ type: 'ChannelOpened', data: open(1), id: deterministicId('ChannelOpened', NODE, point(1)) }]);
    const summary = closed(2, 'LOCAL_FORCE_CLOSE');
    // Whether the close is resolved yet is the node's state, not part of the fact.
    const { resolved: _resolved, ...fact } = summary;
    when({ type: 'channelClosed', atMs: T0, channel: summary }).then([{ type: 'ChannelClosed', data: fact, id: deterministicId('ChannelClosed', NODE, point(2)) }]);
  });

  it('turns full resolution, peers and balances into their events', () => {
    when({ type: 'channelFullyResolved', atMs: T0, channelPoint: point(3) }).then([{ type: 'ChannelResolved', data: { channelPoint: point(3) } }]);
    when({ type: 'peerOnline', atMs: T0, peer: peer(4) }).then([{ type: 'PeerOnline', data: { peer: peer(4) } }]);
    when({ type: 'peerOffline', atMs: T0, peer: peer(4) }).then([{ type: 'PeerOffline', data: { peer: peer(4) } }]);
    when({ type: 'balanceChanged', atMs: T0, balance: BALANCE }).then([{ type: 'BalanceChanged', data: BALANCE }]);
  });

  it('carries the backup bytes verbatim as base64 with the channels they cover', () => {
    const bytes = Uint8Array.from({ length: 145 }, (_, i) => i);
    when({ type: 'backupUpdated', atMs: T0, backup: { multiChanBackup: bytes, channelPoints: [point(1)] } }).then([
      { type: 'ChannelBackupUpdated', data: { multiChanBackup: Buffer.from(bytes).toString('base64'), channelPoints: [point(1)] } },
    ]);
  });

  it('publishes nothing for active/inactive flags and stream drops', () => {
    when({ type: 'channelActive', atMs: T0, channelPoint: point(1) }).then([]);
    when({ type: 'channelInactive', atMs: T0, channelPoint: point(1) }).then([]);
    when({ type: 'streamDropped', atMs: T0, reason: 'eof' }).then([]);
  });

  it('gives the same fact the same id whenever it is seen again, and a new occurrence a new id', () => {
    const a = when({ type: 'channelOpened', atMs: T0, channel: open(1) }).events[0]!;
    const b = when({ type: 'channelOpened', atMs: T0 + 60_000, channel: { ...open(1), active: false } }).events[0]!;
    expect(b.id).toBe(a.id);
    const on1 = when({ type: 'peerOnline', atMs: T0, peer: peer(1) }).events[0]!;
    expect(when({ type: 'peerOnline', atMs: T0, peer: peer(1) }).events[0]!.id).toBe(on1.id);
    expect(when({ type: 'peerOnline', atMs: T0 + 1, peer: peer(1) }).events[0]!.id).not.toBe(on1.id);
    const backup = (byte: number) => when({ type: 'backupUpdated', atMs: T0, backup: { multiChanBackup: new Uint8Array(45).fill(byte), channelPoints: [] } }).events[0]!.id;
    expect(backup(1)).toBe(backup(1));
    expect(backup(1)).not.toBe(backup(2));
  });
});
