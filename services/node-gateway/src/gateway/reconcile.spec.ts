import { deterministicId, type KnownMessage } from '@lnfleet/contracts';
import { BALANCE, closed, current, NODE, open, peer, pending, point, T0 } from './fixtures.fixture.js';
import { evolvePublished, initialPublishedState, type PublishedState } from './published-state.js';
import { reconcile, type CurrentNodeState } from './reconcile.js';
import { channelOpenedEvent, translateNotification } from './translate.js';

/** given(published events).when(node state).then(missed events) states one reconciliation. */
function given(published: KnownMessage[]) {
  const last = published.reduce<PublishedState>(evolvePublished, initialPublishedState());
  return {
    when(state: CurrentNodeState) {
      const result = reconcile(NODE, last, state, T0 + 60_000);
      return {
        then(expected: Array<[KnownMessage['type'], string]>): typeof result {
          expect(result.missed.map((e) => [e.type, (e.data as { channelPoint: string }).channelPoint])).toEqual(expected);
          return result;
        },
      };
    },
  };
}

describe('reconcile', () => {
  it('announces every existing channel on the very first connect, then the snapshot', () => {
    const result = given([])
      .when(current({ openChannels: [open(2), open(1)], pendingChannels: [pending(3)], onlinePeers: [peer(2), peer(1)] }))
      .then([['ChannelOpenPending', point(3)], ['ChannelOpened', point(1)], ['ChannelOpened', point(2)]]);
    expect(result.snapshot).toMatchObject({
      type: 'NodeStateSnapshot',
      nodeId: NODE,
      data: { alias: 'fleet-1', blockHeight: 900_100, openChannels: [open(1), open(2)], pendingChannels: [pending(3)], onlinePeers: [peer(1), peer(2)], balance: BALANCE },
    });
    expect(result.unexplained).toEqual([]);
  });

  it('publishes nothing missed when the node did not change, and the same snapshot id', () => {
    const state = current({ openChannels: [open(1)], onlinePeers: [peer(1)] });
    const first = reconcile(NODE, initialPublishedState(), state, T0);
    const published = [...first.missed, first.snapshot].reduce<PublishedState>(evolvePublished, initialPublishedState());
    const again = reconcile(NODE, published, state, T0 + 3_600_000);
    expect(again.missed).toEqual([]);
    expect(again.snapshot.id).toBe(first.snapshot.id);
    expect(reconcile(NODE, published, current({ openChannels: [open(1)], onlinePeers: [] }), T0).snapshot.id).not.toBe(first.snapshot.id);
  });

  it('announces a channel that opened while away, with the live event id', () => {
    const missed = given([channelOpenedEvent(NODE, open(1), T0)])
      .when(current({ openChannels: [open(1), open(2)] }))
      .then([['ChannelOpened', point(2)]]).missed;
    expect(missed[0]!.id).toBe(deterministicId('ChannelOpened', NODE, point(2)));
  });

  it('announces the open of a channel last published as pending', () => {
    given(translateNotification(NODE, { type: 'channelPendingOpen', atMs: T0, channel: pending(1) }))
      .when(current({ openChannels: [open(1)] }))
      .then([['ChannelOpened', point(1)]]);
  });

  it('announces a close that happened while away from the node close summary', () => {
    const result = given([channelOpenedEvent(NODE, open(1), T0), channelOpenedEvent(NODE, open(2), T0)])
      .when(current({ openChannels: [open(2)], closedChannels: [closed(1, 'REMOTE_FORCE_CLOSE')] }))
      .then([['ChannelClosed', point(1)]]);
    expect(result.missed[0]).toMatchObject({ data: { closeType: 'REMOTE_FORCE_CLOSE', chanId: '1001' } });
  });

  it('announces a pending channel canceled while away', () => {
    given(translateNotification(NODE, { type: 'channelPendingOpen', atMs: T0, channel: pending(1) }))
      .when(current({ closedChannels: [{ ...closed(1, 'FUNDING_CANCELED'), chanId: '0', closingTxid: null }] }))
      .then([['ChannelClosed', point(1)]]);
  });

  it('does not invent a close for a vanished channel the node cannot explain, but reports it', () => {
    const result = given([channelOpenedEvent(NODE, open(1), T0)]).when(current()).then([]);
    expect(result.unexplained).toEqual([point(1)]);
  });

  it('announces the resolution of a local force close that was resolved while away', () => {
    const closedLive = translateNotification(NODE, { type: 'channelClosed', atMs: T0, channel: { ...closed(1, 'LOCAL_FORCE_CLOSE'), resolved: false } });
    const result = given([channelOpenedEvent(NODE, open(1), T0), ...closedLive])
      .when(current({ closedChannels: [closed(1, 'LOCAL_FORCE_CLOSE')] }))
      .then([['ChannelResolved', point(1)]]);
    expect(result.missed[0]!.id).toBe(deterministicId('ChannelResolved', NODE, point(1)));
    // Still time-locked: nothing to announce yet, and it stays owed.
    given([channelOpenedEvent(NODE, open(1), T0), ...closedLive])
      .when(current({ closedChannels: [{ ...closed(1, 'LOCAL_FORCE_CLOSE'), resolved: false }] }))
      .then([]);
  });

  it('announces a local force close and its resolution when both happened while away, and nothing owed once resolved', () => {
    const published = [channelOpenedEvent(NODE, open(1), T0)];
    const result = given(published)
      .when(current({ closedChannels: [closed(1, 'LOCAL_FORCE_CLOSE')] }))
      .then([['ChannelClosed', point(1)], ['ChannelResolved', point(1)]]);
    const after = [...published, ...result.missed].reduce<PublishedState>(evolvePublished, initialPublishedState());
    expect(after.unresolved).toEqual([]);
    const stillLocked = given(published).when(current({ closedChannels: [{ ...closed(1, 'LOCAL_FORCE_CLOSE'), resolved: false }] })).then([['ChannelClosed', point(1)]]);
    expect([...published, ...stillLocked.missed].reduce<PublishedState>(evolvePublished, initialPublishedState()).unresolved).toEqual([point(1)]);
  });

  it('keeps a channel whose close is broadcast but not confirmed as closing, in the state and the snapshot, and announces its close once it confirms', () => {
    const opened = [channelOpenedEvent(NODE, open(1), T0)];
    const waiting = { channelPoint: point(1), peer: peer(1), capacitySat: 1_000_000, closingTxid: 'e'.repeat(64) };
    const result = given(opened).when(current({ closingChannels: [waiting] })).then([]);
    expect(result.unexplained).toEqual([]);
    expect(result.snapshot.data).toMatchObject({ openChannels: [], closingChannels: [waiting] });
    const whileClosing = [...opened, result.snapshot].reduce<PublishedState>(evolvePublished, initialPublishedState());
    expect(whileClosing.channels).toEqual({ [point(1)]: 'closing' });
    // The close confirmed while the gateway was away again: a force close lnd still resolves has no short channel id.
    const later = reconcile(NODE, whileClosing, current({ closedChannels: [{ ...closed(1, 'LOCAL_FORCE_CLOSE'), chanId: '0', resolved: false }] }), T0 + 120_000);
    expect(later.missed.map((e) => [e.type, e.data])).toEqual([['ChannelClosed', expect.objectContaining({ channelPoint: point(1), chanId: '1001', closeType: 'LOCAL_FORCE_CLOSE' })]]);
    expect(later.unexplained).toEqual([]);
    // Still closing at a later connect: nothing announced, nothing reported as vanished.
    expect(reconcile(NODE, whileClosing, current({ closingChannels: [waiting] }), T0 + 90_000)).toMatchObject({ missed: [], unexplained: [] });
  });

  it('leaves the snapshot of a node without closing channels as it was (no closingChannels field)', () => {
    expect(reconcile(NODE, initialPublishedState(), current({ openChannels: [open(1)] }), T0).snapshot.data).not.toHaveProperty('closingChannels');
  });

  it('lists a channel read both live and closing (it moved on between the queries) once, as live', () => {
    const waiting = { channelPoint: point(1), peer: peer(1), capacitySat: 1_000_000, closingTxid: null };
    const snapshot = reconcile(NODE, initialPublishedState(), current({ openChannels: [open(1)], closingChannels: [waiting] }), T0).snapshot;
    expect(snapshot.data).not.toHaveProperty('closingChannels');
  });

  it('gives a force close still resolving, reported without short channel id, the id its channel was announced with', () => {
    const result = given([channelOpenedEvent(NODE, open(2), T0)])
      .when(current({ closedChannels: [{ ...closed(2, 'REMOTE_FORCE_CLOSE'), chanId: '0', resolved: false }] }))
      .then([['ChannelClosed', point(2)]]);
    expect(result.missed[0]).toMatchObject({ data: { chanId: '1002' } });
    // A channel announced by a snapshot only (the gateway restarted) keeps its id too.
    const bySnapshot = reconcile(NODE, initialPublishedState(), current({ openChannels: [open(3)] }), T0);
    const state = [...bySnapshot.missed, bySnapshot.snapshot].reduce<PublishedState>(evolvePublished, initialPublishedState());
    const closedLater = reconcile(NODE, evolvePublished(initialPublishedState(), bySnapshot.snapshot), current({ closedChannels: [{ ...closed(3, 'LOCAL_FORCE_CLOSE'), chanId: '0', resolved: false }] }), T0);
    expect(state.chanIds).toEqual({ [point(3)]: '1003' });
    expect(closedLater.missed[0]).toMatchObject({ type: 'ChannelClosed', data: { chanId: '1003' } });
  });

  it('does not re-announce a closed channel that is still in the closed list', () => {
    given([channelOpenedEvent(NODE, open(1), T0), ...translateNotification(NODE, { type: 'channelClosed', atMs: T0, channel: closed(1) })])
      .when(current({ closedChannels: [closed(1)] }))
      .then([]);
  });
});

describe('evolvePublished', () => {
  it('tracks announced channels, online peers and balance, and a snapshot replaces them', () => {
    const events = [
      ...translateNotification(NODE, { type: 'channelPendingOpen', atMs: T0, channel: pending(1) }),
      ...translateNotification(NODE, { type: 'channelOpened', atMs: T0, channel: open(2) }),
      ...translateNotification(NODE, { type: 'peerOnline', atMs: T0, peer: peer(2) }),
      ...translateNotification(NODE, { type: 'peerOnline', atMs: T0 + 1, peer: peer(1) }),
      ...translateNotification(NODE, { type: 'peerOffline', atMs: T0 + 2, peer: peer(2) }),
      ...translateNotification(NODE, { type: 'balanceChanged', atMs: T0, balance: BALANCE }),
      ...translateNotification(NODE, { type: 'channelClosed', atMs: T0, channel: closed(2) }),
    ];
    const state = events.reduce<PublishedState>(evolvePublished, initialPublishedState());
    expect(state).toEqual({ channels: { [point(1)]: 'pending' }, chanIds: {}, onlinePeers: [peer(1)], balance: BALANCE, unresolved: [] });

    const late = evolvePublished(evolvePublished(state, channelOpenedEvent(NODE, open(1), T0)), events[0]!);
    expect(late.channels[point(1)]).toBe('open');

    const snapshot = reconcile(NODE, state, current({ openChannels: [open(5)], onlinePeers: [peer(5)] }), T0).snapshot;
    expect(evolvePublished(state, snapshot)).toEqual({ channels: { [point(5)]: 'open' }, chanIds: { [point(5)]: '1005' }, onlinePeers: [peer(5)], balance: BALANCE, unresolved: [] });
  });

  it('owes a ChannelResolved for each local force close until it is published; a snapshot does not clear the debt', () => {
    const forceClosed = [...translateNotification(NODE, { type: 'channelClosed', atMs: T0, channel: closed(1, 'LOCAL_FORCE_CLOSE') }), ...translateNotification(NODE, { type: 'channelClosed', atMs: T0, channel: closed(2, 'COOPERATIVE_CLOSE') })];
    const owed = forceClosed.reduce<PublishedState>(evolvePublished, initialPublishedState());
    expect(owed.unresolved).toEqual([point(1)]);
    const snapshot = reconcile(NODE, owed, current(), T0).snapshot;
    expect(evolvePublished(owed, snapshot).unresolved).toEqual([point(1)]);
    const resolved = translateNotification(NODE, { type: 'channelFullyResolved', atMs: T0, channelPoint: point(1) });
    expect(resolved.reduce<PublishedState>(evolvePublished, owed).unresolved).toEqual([]);
  });
});
