import type { CloseType } from '@lnfleet/contracts';
import { NodeMismatchError } from '../errors.js';
import {
  channelPhases,
  evolve,
  initialChannelSet,
  isChannelSetEvent,
  phaseOf,
  snapshotOf,
  unlistedBySnapshot,
  type ChannelPhase,
  type ChannelSet,
  type ChannelRecord,
  type ChannelSetEvent,
  type EvolveResult,
} from './channel-set.js';
import {
  NODE,
  OTHER_NODE,
  backupUpdated,
  channelPoint,
  closed,
  openData,
  opened,
  pending,
  pendingData,
  resolved,
  snapshot,
} from './events.fixture.js';

const A = channelPoint(0xa1);
const B = channelPoint(0xb2);
const C = channelPoint(0xc3);
const D = channelPoint(0xd4);

/** Steps are events with their stream sequences. */
type Step = readonly [ChannelSetEvent, number];

/** given applies steps to a fresh state and returns the last result. */
function given(steps: readonly Step[], start: ChannelSet = initialChannelSet(NODE)): EvolveResult {
  let result: EvolveResult = { state: start, changed: false };
  for (const [event, sequence] of steps) result = evolve(result.state, event, sequence);
  return result;
}

function phase(state: ChannelSet, point: string): ChannelPhase | undefined {
  const record = state.records.get(point);
  return record === undefined ? undefined : phaseOf(record);
}

function record(state: ChannelSet, point: string): ChannelRecord {
  const found = state.records.get(point);
  if (found === undefined) throw new Error(`no record of ${point}`);
  return found;
}

function backedUp(state: ChannelSet): string[] {
  return snapshotOf(state).channels.map((channel) => channel.channelPoint);
}

describe("channel set: lnd's backup rules", () => {
  it('puts a pending channel in the set, without a short channel id', () => {
    const { state, changed } = given([[pending(A), 1]]);
    expect(changed).toBe(true);
    expect(state.version).toBe(1);
    expect(phase(state, A)).toBe('PENDING_OPEN');
    expect(snapshotOf(state).channels).toEqual([
      {
        channelPoint: A,
        peer: pendingData(A).peer,
        peerAddresses: ['198.51.100.1:9735'],
        capacitySat: 2_000_000,
        initiator: 'LOCAL',
        commitmentType: 'ANCHORS',
        shortChannelId: null,
      },
    ]);
  });

  it('keeps a channel that opens, and the open (a new short channel id) is a new version', () => {
    const { state, changed } = given([
      [pending(A), 1],
      [opened(A), 2],
    ]);
    expect(changed).toBe(true);
    expect(state.version).toBe(2);
    expect(phase(state, A)).toBe('OPEN');
    expect(snapshotOf(state).channels[0]?.shortChannelId).toBe('871234567890123');
  });

  it.each<CloseType>(['COOPERATIVE_CLOSE', 'REMOTE_FORCE_CLOSE', 'BREACH_CLOSE', 'FUNDING_CANCELED', 'ABANDONED'])(
    'removes a channel closed by %s',
    (closeType) => {
      const { state, changed } = given([
        [opened(A), 1],
        [opened(B), 2],
        [closed(A, closeType), 3],
      ]);
      expect(changed).toBe(true);
      expect(state.version).toBe(3);
      expect(phase(state, A)).toBe('CLOSED');
      expect(backedUp(state)).toEqual([B]);
    },
  );

  it('keeps a local force close until it is fully resolved', () => {
    // Given an open channel, when we force close it, then nothing changes for the backup.
    const afterClose = given([
      [opened(A), 1],
      [closed(A, 'LOCAL_FORCE_CLOSE'), 2],
    ]);
    expect(afterClose.changed).toBe(false);
    expect(afterClose.state.version).toBe(1);
    expect(phase(afterClose.state, A)).toBe('AWAITING_RESOLUTION');
    expect(backedUp(afterClose.state)).toEqual([A]);

    // When its outputs are all swept, then it leaves the set.
    const afterResolved = given([[resolved(A), 3]], afterClose.state);
    expect(afterResolved.changed).toBe(true);
    expect(afterResolved.state.version).toBe(2);
    expect(phase(afterResolved.state, A)).toBe('RESOLVED');
    expect(backedUp(afterResolved.state)).toEqual([]);
  });

  it('treats ChannelResolved as final even for a channel it never saw closed', () => {
    const { state, changed } = given([
      [opened(A), 1],
      [resolved(A), 2],
    ]);
    expect(changed).toBe(true);
    expect(backedUp(state)).toEqual([]);
  });

  it('records the stream sequence that last changed each channel', () => {
    const { state } = given([
      [pending(A), 4],
      [opened(B), 5],
      [opened(A), 9],
      [opened(A), 7], // an older copy arriving late changes nothing
    ]);
    expect(state.records.get(A)?.lastSequence).toBe(9);
    expect(state.records.get(B)?.lastSequence).toBe(5);
  });
});

describe('channel set: order tolerance', () => {
  it('records a close of a channel never seen, so a late ChannelOpened does not resurrect it', () => {
    const afterClose = given([[closed(A, 'COOPERATIVE_CLOSE'), 5]]);
    expect(afterClose.changed).toBe(false);
    expect(phase(afterClose.state, A)).toBe('CLOSED');

    const late = given(
      [
        [pending(A), 3],
        [opened(A), 4],
      ],
      afterClose.state,
    );
    expect(late.changed).toBe(false);
    expect(phase(late.state, A)).toBe('CLOSED');
    expect(backedUp(late.state)).toEqual([]);
  });

  it('backs up a local force close of a channel never seen, and fills in its details when the open arrives late', () => {
    const afterClose = given([[closed(A, 'LOCAL_FORCE_CLOSE'), 5]]);
    expect(afterClose.changed).toBe(true);
    expect(snapshotOf(afterClose.state).channels).toEqual([
      {
        channelPoint: A,
        peer: openData(A).peer,
        peerAddresses: [],
        capacitySat: 2_000_000,
        initiator: 'LOCAL',
        commitmentType: 'UNKNOWN_COMMITMENT_TYPE',
        shortChannelId: '871234567890123',
      },
    ]);

    const late = given([[opened(A), 4]], afterClose.state);
    expect(late.changed).toBe(true);
    expect(phase(late.state, A)).toBe('AWAITING_RESOLUTION');
    expect(snapshotOf(late.state).channels[0]).toMatchObject({ peerAddresses: ['198.51.100.1:9735'], commitmentType: 'ANCHORS' });
  });

  it('ignores a local force close that arrives after the resolution', () => {
    const { state, changed } = given([
      [opened(A), 1],
      [resolved(A), 3],
      [closed(A, 'LOCAL_FORCE_CLOSE'), 2],
    ]);
    expect(changed).toBe(false);
    expect(phase(state, A)).toBe('RESOLVED');
  });

  it('keeps an open channel open when its pending event arrives late, with the open details', () => {
    const { state, changed } = given([
      [opened(A), 2],
      [pending(A, { peerAddresses: ['203.0.113.9:9735'] }), 1],
    ]);
    expect(changed).toBe(false);
    expect(phase(state, A)).toBe('OPEN');
    expect(snapshotOf(state).channels[0]?.peerAddresses).toEqual(['198.51.100.1:9735']);
  });

  it('reaches the same set from any order of the same events', () => {
    const steps: Step[] = [
      [pending(A), 1],
      [opened(A), 2],
      [pending(B), 3],
      [closed(B, 'LOCAL_FORCE_CLOSE'), 4],
      [opened(C), 5],
      [closed(C, 'COOPERATIVE_CLOSE'), 6],
      [snapshot({ open: [openData(A, { peerAddresses: ['[2001:db8::7]:9735'] }), openData(D)] }), 7],
    ];
    const expected = given(steps).state;
    expect(backedUp(expected)).toEqual([A, B, D]);
    expect(snapshotOf(expected).channels[0]?.peerAddresses).toEqual(['[2001:db8::7]:9735']);
    let orders = 0;
    for (const order of permutations(steps)) {
      const { state } = given(order);
      expect(snapshotOf(state)).toEqual(snapshotOf(expected));
      expect(channelPhases(state)).toEqual(channelPhases(expected));
      orders += 1;
    }
    expect(orders).toBe(5040);
  });
});

describe('channel set: idempotency', () => {
  it('returns the same state, unchanged, for every redelivered event', () => {
    const steps: Step[] = [
      [snapshot({ open: [openData(A)], pending: [pendingData(B)] }), 1],
      [opened(B), 2],
      [pending(C), 3],
      [closed(C, 'FUNDING_CANCELED'), 4],
      [closed(A, 'LOCAL_FORCE_CLOSE'), 5],
      [resolved(A), 6],
    ];
    let state = initialChannelSet(NODE);
    for (const [event, sequence] of steps) {
      state = evolve(state, event, sequence).state;
      const again = evolve(state, event, sequence);
      expect(again.changed).toBe(false);
      expect(again.state).toBe(state);
    }
    // A full replay over the final state makes no new version either.
    const replay = given(steps, state);
    expect(replay.state.version).toBe(state.version);
  });

  it('numbers versions the same way on a replay from the start', () => {
    const steps: Step[] = [
      [pending(A), 1],
      [opened(A), 2],
      [opened(B), 3],
      [closed(A, 'COOPERATIVE_CLOSE'), 4],
    ];
    expect(given(steps).state.version).toBe(4);
    expect(given(steps).state).toEqual(given(steps).state);
  });
});

describe('channel set: snapshots', () => {
  it('takes its initial state from the first snapshot', () => {
    const { state, changed } = given([[snapshot({ open: [openData(A), openData(B)], pending: [pendingData(C)] }), 10]]);
    expect(changed).toBe(true);
    expect(state.version).toBe(1);
    expect(channelPhases(state)).toEqual([
      { channelPoint: A, phase: 'OPEN' },
      { channelPoint: B, phase: 'OPEN' },
      { channelPoint: C, phase: 'PENDING_OPEN' },
    ]);
  });

  it('makes a first, empty version for a node without channels, and no more for the same state', () => {
    const first = given([[snapshot({}, 'first'), 1]]);
    expect(first.changed).toBe(true);
    expect(first.state.version).toBe(1);
    expect(backedUp(first.state)).toEqual([]);

    const second = given([[snapshot({}, 'second'), 2]], first.state);
    expect(second.changed).toBe(false);
    expect(second.state.version).toBe(1);
  });

  it('makes no new version for a snapshot that confirms the set, in any listing order', () => {
    const start = given([
      [opened(A, { peerAddresses: ['198.51.100.1:9735', '203.0.113.5:9735'] }), 1],
      [opened(B), 2],
    ]).state;
    const confirm = snapshot({
      open: [openData(B), openData(A, { peerAddresses: ['203.0.113.5:9735', '198.51.100.1:9735', '203.0.113.5:9735'] })],
    });
    const { state, changed } = evolve(start, confirm, 3);
    expect(changed).toBe(false);
    expect(state.version).toBe(2);
  });

  it("refreshes a peer's addresses, which is a new version", () => {
    const start = given([[opened(A), 1]]).state;
    const { state, changed } = evolve(start, snapshot({ open: [openData(A, { peerAddresses: ['peer.example.com:9735'] })] }), 2);
    expect(changed).toBe(true);
    expect(snapshotOf(state).channels[0]?.peerAddresses).toEqual(['peer.example.com:9735']);
  });

  it('adds channels we missed and keeps the ones it no longer lists until their close arrives', () => {
    const start = given([
      [opened(A), 1],
      [pending(B), 2],
    ]).state;
    const { state, changed } = evolve(start, snapshot({ open: [openData(C)] }), 3);
    expect(changed).toBe(true);
    expect(channelPhases(state)).toEqual([
      { channelPoint: A, phase: 'OPEN' },
      { channelPoint: B, phase: 'PENDING_OPEN' },
      { channelPoint: C, phase: 'OPEN' },
    ]);
    expect(backedUp(state)).toEqual([A, B, C]);
    expect([A, B, C].map((point) => unlistedBySnapshot(record(state, point)))).toEqual([true, true, false]);
  });

  it('keeps an unlisted channel through its local force close, and lets it go on any other close', () => {
    const away = given([
      [opened(A, { peerAddresses: ['198.51.100.44:9735'] }), 1],
      [opened(B), 2],
      [snapshot({}), 3],
    ]).state;
    // An unconfirmed local force close is in neither of the snapshot's lists: the channel must stay.
    expect(backedUp(away)).toEqual([A, B]);

    const forceClosed = evolve(away, closed(A, 'LOCAL_FORCE_CLOSE'), 4);
    expect(forceClosed.changed).toBe(false);
    const { state, changed } = evolve(forceClosed.state, closed(B, 'COOPERATIVE_CLOSE'), 5);
    expect(changed).toBe(true);
    expect(channelPhases(state)).toEqual([
      { channelPoint: A, phase: 'AWAITING_RESOLUTION' },
      { channelPoint: B, phase: 'CLOSED' },
    ]);
    expect(unlistedBySnapshot(record(state, A))).toBe(false);
    // The details kept from before the snapshot go into the backup, not the close's partial ones.
    expect(snapshotOf(state).channels[0]).toMatchObject({ peerAddresses: ['198.51.100.44:9735'], commitmentType: 'ANCHORS' });
    expect(backedUp(evolve(state, resolved(A), 6).state)).toEqual([]);
  });

  it('keeps a channel that a stale snapshot (older than its open) does not list', () => {
    const start = given([[opened(A), 8]]).state;
    const { state, changed } = evolve(start, snapshot({}), 5);
    expect(changed).toBe(false);
    expect(phase(state, A)).toBe('OPEN');
  });

  it('adds a channel from an event older than a snapshot that did not list it, as in stream order', () => {
    const start = given([[snapshot({ open: [openData(A)] }), 10]]).state;
    const { state, changed } = evolve(start, opened(B), 7);
    expect(changed).toBe(true);
    expect(phase(state, B)).toBe('OPEN');
    expect(unlistedBySnapshot(record(state, B))).toBe(true);
    // Stream order (open, then the snapshot) gives the same set.
    const inOrder = given([
      [opened(B), 7],
      [snapshot({ open: [openData(A)] }), 10],
    ]).state;
    expect(snapshotOf(inOrder)).toEqual(snapshotOf(state));
  });

  it('never reopens a closed channel that a snapshot still lists', () => {
    const start = given([
      [opened(A), 1],
      [closed(A, 'COOPERATIVE_CLOSE'), 2],
    ]).state;
    const { state, changed } = evolve(start, snapshot({ open: [openData(A)] }), 3);
    expect(changed).toBe(false);
    expect(phase(state, A)).toBe('CLOSED');
  });

  it('counts a channel listed both pending and open as open', () => {
    const { state } = given([[snapshot({ open: [openData(A)], pending: [pendingData(A)] }), 1]]);
    expect(phase(state, A)).toBe('OPEN');
  });
});

describe('channel set: input checks', () => {
  it('rejects an event about another node', () => {
    expect(() => evolve(initialChannelSet(NODE), opened(A, {}, OTHER_NODE), 1)).toThrow(NodeMismatchError);
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects the stream sequence %p', (sequence) => {
    expect(() => evolve(initialChannelSet(NODE), opened(A), sequence)).toThrow(RangeError);
  });

  it('tells channel set events from other messages', () => {
    expect(isChannelSetEvent(opened(A))).toBe(true);
    expect(isChannelSetEvent(backupUpdated(new Uint8Array(48), [A]))).toBe(false);
  });

  it('never changes its input', () => {
    const start = given([[opened(A), 1]]).state;
    const copy = structuredClone(start);
    evolve(start, closed(A, 'COOPERATIVE_CLOSE'), 2);
    evolve(start, snapshot({ open: [openData(B)] }), 3);
    expect(start).toEqual(copy);
  });
});

function* permutations<T>(items: readonly T[]): Generator<T[]> {
  if (items.length <= 1) {
    yield [...items];
    return;
  }
  for (let i = 0; i < items.length; i += 1) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const tail of permutations(rest)) yield [items[i] as T, ...tail];
  }
}
