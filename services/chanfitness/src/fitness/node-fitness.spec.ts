import {
  ChannelClosed,
  ChannelOpened,
  NodeStateSnapshot,
  PeerOffline,
  PeerOnline,
  type ChannelPoint,
  type EnvelopeHeader,
  type MessageByType,
  type Pubkey,
} from '@lnfleet/contracts';
import { ChannelNotFoundError, InvalidWindowError, PeerNotFoundError, isChannelNotFound, isPeerNotFound } from './errors.js';
import {
  channelLifetimeAndUptime,
  evolve,
  initialNodeFitness,
  isFitnessEvent,
  lifetimeWindow,
  ownNodeOutage,
  ownOutagesUntil,
  peerFlapCount,
  peerUptimeRatio,
  trackedChannels,
  trailingWindow,
  type FitnessEvent,
  type NodeFitness,
} from './node-fitness.js';
import { DAY, HOUR, MINUTE, SECOND } from './time.js';

/** testNow is lnd's test clock: unix 1592465134. */
const testNow = 1_592_465_134_000;
const nodeId = `03${'0'.repeat(64)}`;
const peer1 = `02${'1'.repeat(64)}`;
const peer2 = `02${'2'.repeat(64)}`;
const peer3 = `02${'3'.repeat(64)}`;
const chan1 = `${'c'.repeat(64)}:1`;
const chan2 = `${'c'.repeat(64)}:2`;
const chan3 = `${'c'.repeat(64)}:3`;

// Fixtures: real envelopes, validated against the contract schemas so the tests feed what the
// gateway would publish.
let sequence = 0;
function header(at: number): Omit<EnvelopeHeader, 'type' | 'schemaVersion'> {
  sequence += 1;
  const id = `test-${sequence}`;
  return { id, nodeId, occurredAt: new Date(at).toISOString(), causationId: null, correlationId: id };
}

function openChannelState(peer: Pubkey, channelPoint: ChannelPoint): MessageByType<'ChannelOpened'>['data'] {
  return {
    channelPoint,
    peer,
    peerAddresses: [],
    capacitySat: 1_000_000,
    localBalanceSat: 1_000_000,
    initiator: 'LOCAL',
    private: false,
    commitmentType: 'ANCHORS',
    chanId: '1',
    remoteBalanceSat: 0,
    active: true,
  };
}

const channelOpened = (peer: Pubkey, channelPoint: ChannelPoint) => (at: number) =>
  ChannelOpened.envelope.parse({
    ...header(at),
    type: 'ChannelOpened',
    schemaVersion: 1,
    data: openChannelState(peer, channelPoint),
  });

const channelClosed = (peer: Pubkey, channelPoint: ChannelPoint) => (at: number) =>
  ChannelClosed.envelope.parse({
    ...header(at),
    type: 'ChannelClosed',
    schemaVersion: 1,
    data: {
      channelPoint,
      chanId: '1',
      peer,
      capacitySat: 1_000_000,
      closeType: 'COOPERATIVE_CLOSE',
      closingTxid: 'd'.repeat(64),
      closeHeight: 800_000,
      settledBalanceSat: 999_000,
      openInitiator: 'LOCAL',
      closeInitiator: 'LOCAL',
    },
  });

const peerOnline = (peer: Pubkey) => (at: number) =>
  PeerOnline.envelope.parse({ ...header(at), type: 'PeerOnline', schemaVersion: 1, data: { peer } });

const peerOffline = (peer: Pubkey) => (at: number) =>
  PeerOffline.envelope.parse({ ...header(at), type: 'PeerOffline', schemaVersion: 1, data: { peer } });

const snapshot = (channels: readonly [Pubkey, ChannelPoint][], online: readonly Pubkey[]) => (at: number) =>
  NodeStateSnapshot.envelope.parse({
    ...header(at),
    type: 'NodeStateSnapshot',
    schemaVersion: 1,
    data: {
      alias: 'test',
      blockHeight: 800_000,
      syncedToChain: true,
      openChannels: channels.map(([peer, channelPoint]) => openChannelState(peer, channelPoint)),
      pendingChannels: [],
      onlinePeers: [...online],
      balance: { confirmedSat: 0, unconfirmedSat: 0, lockedSat: 0, channelLocalSat: 0, channelRemoteSat: 0 },
    },
  });

/** Step is one event and the offset from testNow at which it happened. */
type Step = readonly [offset: number, event: (at: number) => FitnessEvent];

/** given replays events in order, each at Date.parse(occurredAt) as the shell would pass it. */
function given(steps: readonly Step[], state: NodeFitness = initialNodeFitness()): NodeFitness {
  return steps.reduce((current, [offset, make]) => {
    const event = make(testNow + offset);
    return evolve(current, event, Date.parse(event.occurredAt));
  }, state);
}

describe('node fitness: lnd store scenarios', () => {
  // lnd's TestMonitorChannelEvents: how many channels the peer has after a series of events.
  it.each<{ name: string; steps: Step[]; channels: number }>([
    { name: 'peer comes online after channel open', steps: [[0, channelOpened(peer1, chan1)], [0, peerOnline(peer1)]], channels: 1 },
    {
      name: 'duplicate channel open events',
      steps: [[0, channelOpened(peer1, chan1)], [0, channelOpened(peer1, chan1)], [0, peerOnline(peer1)]],
      channels: 1,
    },
    { name: 'peer online before channel created', steps: [[0, peerOnline(peer1)], [0, channelOpened(peer1, chan1)]], channels: 1 },
    {
      name: 'multiple channels for peer',
      steps: [[0, peerOnline(peer1)], [0, channelOpened(peer1, chan1)], [0, peerOffline(peer1)], [0, channelOpened(peer1, chan2)]],
      channels: 2,
    },
    {
      name: 'multiple channels for peer, one closed',
      steps: [
        [0, peerOnline(peer1)],
        [0, channelOpened(peer1, chan1)],
        [0, peerOffline(peer1)],
        [0, channelOpened(peer1, chan2)],
        [0, channelClosed(peer1, chan1)],
        [0, peerOnline(peer1)],
      ],
      channels: 1,
    },
  ])('$name -> $channels channel(s)', ({ steps, channels }) => {
    expect(trackedChannels(given(steps), peer1)).toHaveLength(channels);
  });

  it('counts a duplicate open once and returns the same state for it', () => {
    const once = given([[0, channelOpened(peer1, chan1)]]);
    const twice = evolve(once, channelOpened(peer1, chan1)(testNow + HOUR), testNow + HOUR);
    expect(twice).toBe(once);
    expect(trackedChannels(twice, peer1)).toEqual([chan1]);
    expect(channelLifetimeAndUptime(twice, peer1, chan1, testNow + HOUR).lifetime).toBe(HOUR);
  });

  it('answers peer-not-found for a channel not opened yet, ignoring the untracked peer event', () => {
    // Given an online event for a peer we have no channel with, when we ask about its channel,
    // then the peer is not found and it has no flaps.
    const state = given([[0, peerOnline(peer1)]]);
    expect(() => channelLifetimeAndUptime(state, peer1, chan1, testNow)).toThrow(PeerNotFoundError);
    expect(peerFlapCount(state, peer1)).toEqual({ flapCount: 0, lastFlap: null });
  });

  it('reports an offline peer: 1h lifetime / 0 uptime, then 2h / 1h after it comes online', () => {
    // Given a channel opened while its peer is offline.
    let state = given([[0, channelOpened(peer1, chan1)]]);
    // Then an hour later it has lived an hour without uptime.
    expect(channelLifetimeAndUptime(state, peer1, chan1, testNow + HOUR)).toEqual({ lifetime: HOUR, uptime: 0, ownOutage: 0 });
    // When the peer comes online, then after another hour it has 1h uptime out of 2h.
    state = given([[HOUR, peerOnline(peer1)]], state);
    expect(channelLifetimeAndUptime(state, peer1, chan1, testNow + 2 * HOUR)).toEqual({
      lifetime: 2 * HOUR,
      uptime: HOUR,
      ownOutage: 0,
    });
  });

  it('reports a peer connected at the open as online (lnd GetChanInfo: 1h/1h, offline, then 2h/1h)', () => {
    let state = given([[0, peerOnline(peer1)], [0, channelOpened(peer1, chan1)]]);
    expect(channelLifetimeAndUptime(state, peer1, chan1, testNow + HOUR)).toEqual({ lifetime: HOUR, uptime: HOUR, ownOutage: 0 });
    state = given([[HOUR, peerOffline(peer1)]], state);
    expect(channelLifetimeAndUptime(state, peer1, chan1, testNow + HOUR)).toEqual({ lifetime: HOUR, uptime: HOUR, ownOutage: 0 });
    expect(channelLifetimeAndUptime(state, peer1, chan1, testNow + 2 * HOUR)).toEqual({
      lifetime: 2 * HOUR,
      uptime: HOUR,
      ownOutage: 0,
    });
  });
});

describe('node fitness: channels and flaps', () => {
  it('does not count recording the state at the open as a flap, but counts later presence events', () => {
    let state = given([[0, peerOnline(peer1)], [0, channelOpened(peer1, chan1)]]);
    expect(peerFlapCount(state, peer1)).toEqual({ flapCount: 0, lastFlap: null });
    state = given([[HOUR, peerOffline(peer1)], [2 * HOUR, peerOnline(peer1)]], state);
    expect(peerFlapCount(state, peer1)).toEqual({ flapCount: 2, lastFlap: testNow + 2 * HOUR });
  });

  it('ignores a close for an unknown peer or channel, returning the same state', () => {
    const state = given([[0, channelOpened(peer1, chan1)]]);
    expect(evolve(state, channelClosed(peer2, chan2)(testNow), testNow)).toBe(state);
    expect(evolve(state, channelClosed(peer1, chan2)(testNow), testNow)).toBe(state);
  });

  it('keeps tracking a peer after its last channel closed: flaps stay, channels are gone', () => {
    const state = given([
      [0, channelOpened(peer1, chan1)],
      [HOUR, peerOnline(peer1)],
      [2 * HOUR, channelClosed(peer1, chan1)],
      [3 * HOUR, peerOffline(peer1)],
    ]);
    expect(peerFlapCount(state, peer1)).toEqual({ flapCount: 2, lastFlap: testNow + 3 * HOUR });
    expect(() => channelLifetimeAndUptime(state, peer1, chan1, testNow + 3 * HOUR)).toThrow(ChannelNotFoundError);
    expect(peerUptimeRatio(state, peer1, lifetimeWindow(testNow + 3 * HOUR), testNow + 3 * HOUR).ratio).toBeNull();
  });

  it('throws typed errors that predicates recognise', () => {
    const state = given([[0, channelOpened(peer1, chan1)]]);
    const errorOf = (query: () => unknown): unknown => {
      try {
        query();
      } catch (err) {
        return err;
      }
      return undefined;
    };
    const peerErr = errorOf(() => channelLifetimeAndUptime(state, peer2, chan1, testNow));
    const chanErr = errorOf(() => channelLifetimeAndUptime(state, peer1, chan2, testNow));
    expect(isPeerNotFound(peerErr)).toBe(true);
    expect(isChannelNotFound(chanErr)).toBe(true);
    expect(peerErr).toMatchObject({ code: 'PEER_NOT_FOUND', peer: peer2, name: 'PeerNotFoundError' });
    expect(chanErr).toMatchObject({ code: 'CHANNEL_NOT_FOUND', channelPoint: chan2, name: 'ChannelNotFoundError' });
  });

  it('never changes the state it is given', () => {
    const before = given([[0, peerOnline(peer1)], [0, channelOpened(peer1, chan1)]]);
    const copy = structuredClone(before);
    given([[HOUR, peerOffline(peer1)], [HOUR, channelOpened(peer1, chan2)], [HOUR, channelClosed(peer1, chan1)]], before);
    expect(before).toEqual(copy);
  });
});

describe('node fitness: snapshots', () => {
  it('tracks the channels present and treats the listed peers as online, without flaps', () => {
    const state = given([[0, snapshot([[peer1, chan1], [peer2, chan2]], [peer1, peer3])]]);
    expect(trackedChannels(state, peer1)).toEqual([chan1]);
    expect(trackedChannels(state, peer2)).toEqual([chan2]);
    expect(trackedChannels(state, peer3)).toEqual([]);
    expect(channelLifetimeAndUptime(state, peer1, chan1, testNow + HOUR)).toEqual({ lifetime: HOUR, uptime: HOUR, ownOutage: 0 });
    expect(channelLifetimeAndUptime(state, peer2, chan2, testNow + HOUR)).toEqual({ lifetime: HOUR, uptime: 0, ownOutage: 0 });
    expect(peerFlapCount(state, peer1).flapCount).toBe(0);
    expect(() => peerUptimeRatio(state, peer3, lifetimeWindow(testNow), testNow)).toThrow(PeerNotFoundError);
  });

  it('remembers the presence of an untracked peer for a channel opened later', () => {
    const state = given([
      [0, snapshot([], [peer3])],
      [HOUR, channelOpened(peer3, chan3)],
    ]);
    expect(channelLifetimeAndUptime(state, peer3, chan3, testNow + 2 * HOUR)).toEqual({ lifetime: HOUR, uptime: HOUR, ownOutage: 0 });
  });

  it('reconciles: changed peers flap at the snapshot, missing channels are removed, known ones kept', () => {
    const state = given([
      [0, snapshot([[peer1, chan1], [peer2, chan2]], [peer1])],
      [2 * HOUR, snapshot([[peer1, chan1], [peer1, chan3]], [peer2])],
    ]);
    // chan2 was closed while we were away; chan3 is new; chan1 keeps its original open time.
    expect(trackedChannels(state, peer1)).toEqual([chan1, chan3]);
    expect(trackedChannels(state, peer2)).toEqual([]);
    // peer1 went offline at the second snapshot: one flap, online for the first 2h only.
    expect(peerFlapCount(state, peer1)).toEqual({ flapCount: 1, lastFlap: testNow + 2 * HOUR });
    expect(channelLifetimeAndUptime(state, peer1, chan1, testNow + 3 * HOUR)).toEqual({
      lifetime: 3 * HOUR,
      uptime: 2 * HOUR,
      ownOutage: 0,
    });
    expect(channelLifetimeAndUptime(state, peer1, chan3, testNow + 3 * HOUR)).toEqual({ lifetime: HOUR, uptime: 0, ownOutage: 0 });
    // peer2 came online: a flap, although it no longer has channels.
    expect(peerFlapCount(state, peer2)).toEqual({ flapCount: 1, lastFlap: testNow + 2 * HOUR });
  });

  it('changes nothing for peers whose state did not change', () => {
    const state = given([
      [0, snapshot([[peer1, chan1]], [peer1])],
      [HOUR, snapshot([[peer1, chan1]], [peer1])],
    ]);
    expect(peerFlapCount(state, peer1).flapCount).toBe(0);
    expect(channelLifetimeAndUptime(state, peer1, chan1, testNow + 2 * HOUR).uptime).toBe(2 * HOUR);
  });
});

describe('node fitness: uptime over any window', () => {
  // peer1: channel opened 10 days ago with the peer online; offline from -3d to -1d, and from -6h to -2h.
  const now = testNow;
  const state = given([
    [-10 * DAY, peerOnline(peer1)],
    [-10 * DAY, channelOpened(peer1, chan1)],
    [-3 * DAY, peerOffline(peer1)],
    [-1 * DAY, peerOnline(peer1)],
    [-6 * HOUR, peerOffline(peer1)],
    [-2 * HOUR, peerOnline(peer1)],
  ]);

  it.each([
    { name: 'the last 24 hours', window: trailingWindow(now, DAY), observed: DAY, online: 20 * HOUR },
    { name: 'the last 7 days', window: trailingWindow(now, 7 * DAY), observed: 7 * DAY, online: 5 * DAY - 4 * HOUR },
    { name: 'its lifetime', window: lifetimeWindow(now), observed: 10 * DAY, online: 8 * DAY - 4 * HOUR },
    {
      name: 'a past window',
      window: { start: now - 4 * DAY, end: now - 2 * DAY },
      observed: 2 * DAY,
      online: DAY,
    },
  ])('measures $name', ({ window, observed, online }) => {
    const result = peerUptimeRatio(state, peer1, window, now);
    expect(result).toEqual({ monitored: expect.any(Object) as unknown, observed, online, ownOutage: 0, ratio: online / observed });
  });

  it('counts only what we monitored: not before the log starts, not after now', () => {
    const result = peerUptimeRatio(state, peer1, { start: now - 30 * DAY, end: now + DAY }, now);
    expect(result.monitored).toEqual({ start: now - 10 * DAY, end: now });
  });

  it('has no ratio for a window before monitoring began', () => {
    expect(peerUptimeRatio(state, peer1, { start: now - 30 * DAY, end: now - 20 * DAY }, now)).toEqual({
      monitored: null,
      observed: 0,
      online: 0,
      ownOutage: 0,
      ratio: null,
    });
  });

  it('rejects a window that ends before it starts, and unknown peers', () => {
    expect(() => peerUptimeRatio(state, peer1, { start: now, end: now - HOUR }, now)).toThrow(InvalidWindowError);
    expect(() => peerUptimeRatio(state, peer2, trailingWindow(now, DAY), now)).toThrow(PeerNotFoundError);
  });
});

describe('node fitness: our own outages are not held against peers', () => {
  it('excludes a reported outage from lifetime, uptime and ratios', () => {
    // Given a peer online since the open 10h ago, which we lost from -6h to -4h because our node was down.
    let state = given([
      [-10 * HOUR, peerOnline(peer1)],
      [-10 * HOUR, channelOpened(peer1, chan1)],
      [-6 * HOUR, peerOffline(peer1)],
      [-4 * HOUR, peerOnline(peer1)],
    ]);
    expect(channelLifetimeAndUptime(state, peer1, chan1, testNow)).toEqual({ lifetime: 10 * HOUR, uptime: 8 * HOUR, ownOutage: 0 });
    // When the shell reports the outage, then the peer is 100% up over the time we could see it.
    state = ownNodeOutage(state, testNow - 6 * HOUR, testNow - 4 * HOUR);
    expect(channelLifetimeAndUptime(state, peer1, chan1, testNow)).toEqual({ lifetime: 8 * HOUR, uptime: 8 * HOUR, ownOutage: 2 * HOUR });
    expect(peerUptimeRatio(state, peer1, trailingWindow(testNow, DAY), testNow)).toMatchObject({
      observed: 8 * HOUR,
      online: 8 * HOUR,
      ownOutage: 2 * HOUR,
      ratio: 1,
    });
  });

  it('rejects a reported outage that ends before it starts', () => {
    expect(() => ownNodeOutage(initialNodeFitness(), testNow, testNow - HOUR)).toThrow(InvalidWindowError);
  });

  /** threePeers: channels with three peers, all online from -10h. */
  const threePeers: Step[] = [peer1, peer2, peer3].flatMap((peer, i): Step[] => [
    [-10 * HOUR, peerOnline(peer)],
    [-10 * HOUR, channelOpened(peer, [chan1, chan2, chan3][i] ?? chan1)],
  ]);

  it('infers an outage when the node loses all its peers at once, until one is back', () => {
    // When all three peers drop within a minute at -6h, and come back at -4h.
    const state = given([
      ...threePeers,
      [-6 * HOUR, peerOffline(peer1)],
      [-6 * HOUR + 20 * SECOND, peerOffline(peer2)],
      [-6 * HOUR + 50 * SECOND, peerOffline(peer3)],
      [-4 * HOUR, peerOnline(peer2)],
      [-4 * HOUR + 5 * SECOND, peerOnline(peer1)],
    ]);
    // Then the outage runs from the first drop to the first return.
    expect(ownOutagesUntil(state, testNow)).toEqual([{ start: testNow - 6 * HOUR, end: testNow - 4 * HOUR }]);
    // And peer2 and peer1 are not blamed for it; peer3, still offline since -6h, is blamed from -4h on.
    expect(channelLifetimeAndUptime(state, peer2, chan2, testNow)).toEqual({ lifetime: 8 * HOUR, uptime: 8 * HOUR, ownOutage: 2 * HOUR });
    expect(channelLifetimeAndUptime(state, peer1, chan1, testNow).uptime).toBe(8 * HOUR - 5 * SECOND);
    expect(channelLifetimeAndUptime(state, peer3, chan3, testNow)).toEqual({ lifetime: 8 * HOUR, uptime: 4 * HOUR, ownOutage: 2 * HOUR });
  });

  it('keeps an inferred outage open until now while no peer is back', () => {
    const state = given([
      ...threePeers,
      [-HOUR, peerOffline(peer1)],
      [-HOUR, peerOffline(peer2)],
      [-HOUR, peerOffline(peer3)],
    ]);
    expect(ownOutagesUntil(state, testNow)).toEqual([{ start: testNow - HOUR, end: testNow }]);
    expect(peerUptimeRatio(state, peer1, trailingWindow(testNow, 2 * HOUR), testNow)).toMatchObject({ observed: HOUR, ratio: 1 });
  });

  it('blames the peers when they drop one by one', () => {
    const state = given([
      ...threePeers,
      [-6 * HOUR, peerOffline(peer1)],
      [-5 * HOUR, peerOffline(peer2)],
      [-4 * HOUR, peerOffline(peer3)],
    ]);
    expect(ownOutagesUntil(state, testNow)).toEqual([]);
    expect(channelLifetimeAndUptime(state, peer3, chan3, testNow).uptime).toBe(6 * HOUR);
  });

  it('does not infer outages when the policy is off', () => {
    const steps: Step[] = [...threePeers, [-HOUR, peerOffline(peer1)], [-HOUR, peerOffline(peer2)], [-HOUR, peerOffline(peer3)]];
    expect(ownOutagesUntil(given(steps, initialNodeFitness({ massDisconnect: null })), testNow)).toEqual([]);
  });

  it('infers an outage from a snapshot without peers, closed by the next one with peers', () => {
    const state = given([
      [-10 * HOUR, snapshot([[peer1, chan1], [peer2, chan2], [peer3, chan3]], [peer1, peer2, peer3])],
      [-3 * HOUR, snapshot([[peer1, chan1], [peer2, chan2], [peer3, chan3]], [])],
      [-2 * HOUR, snapshot([[peer1, chan1], [peer2, chan2], [peer3, chan3]], [peer1, peer2, peer3])],
    ]);
    expect(ownOutagesUntil(state, testNow)).toEqual([{ start: testNow - 3 * HOUR, end: testNow - 2 * HOUR }]);
    expect(channelLifetimeAndUptime(state, peer1, chan1, testNow)).toEqual({ lifetime: 9 * HOUR, uptime: 9 * HOUR, ownOutage: HOUR });
  });

  it('merges reported and inferred outages', () => {
    let state = given([...threePeers, [-HOUR, peerOffline(peer1)], [-HOUR, peerOffline(peer2)], [-HOUR, peerOffline(peer3)]]);
    state = ownNodeOutage(state, testNow - 2 * HOUR, testNow - 30 * MINUTE);
    state = given([[-10 * MINUTE, peerOnline(peer1)]], state);
    expect(ownOutagesUntil(state, testNow)).toEqual([{ start: testNow - 2 * HOUR, end: testNow - 10 * MINUTE }]);
  });
});

describe('isFitnessEvent', () => {
  it('accepts the events the store reacts to and nothing else', () => {
    expect(isFitnessEvent(peerOnline(peer1)(testNow))).toBe(true);
    expect(isFitnessEvent(snapshot([], [])(testNow))).toBe(true);
    const resolved = { ...header(testNow), type: 'ChannelResolved' as const, schemaVersion: 1, data: { channelPoint: chan1 } };
    expect(isFitnessEvent(resolved)).toBe(false);
  });
});
