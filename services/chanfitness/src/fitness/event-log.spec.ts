import { channelPoint, closed, offline, online, opened, pubkey, snapshot } from './events.fixture.js';
import { compareLogPosition, foldLog, loggedEvent, orderedLog, type LoggedEvent } from './event-log.js';
import { channelLifetimeAndUptime, evolve, evolveAll, initialNodeFitness, peerFlapCount, type FitnessEvent, type NodeFitness } from './node-fitness.js';
import { HOUR, MINUTE } from './time.js';
import { shuffled } from '../shuffle.fixture.js';

const t0 = Date.UTC(2026, 0, 1);
const node = pubkey(1, '03');
const alice = pubkey(2);
const bob = pubkey(3);
const chanA = channelPoint(1);
const chanB = channelPoint(2);

/** history is a small node history in the order it happened, each event with its stream sequence. */
function history(): LoggedEvent[] {
  const events: FitnessEvent[] = [
    online(node, alice, t0),
    opened(node, alice, chanA, t0 + MINUTE),
    opened(node, bob, chanB, t0 + 2 * MINUTE),
    offline(node, alice, t0 + HOUR),
    online(node, bob, t0 + HOUR),
    online(node, alice, t0 + 2 * HOUR),
    offline(node, bob, t0 + 3 * HOUR),
    snapshot(node, [[alice, chanA], [bob, chanB]], [alice, bob], t0 + 4 * HOUR),
    closed(node, bob, chanB, t0 + 5 * HOUR),
  ];
  return events.map((event, i) => loggedEvent(event, i + 1));
}

/** replay is the reference: evolve over the events in the order given, no sorting, no de-duplication. */
function replay(events: readonly LoggedEvent[]): NodeFitness {
  return events.reduce((state, e) => evolve(state, e.event, e.at), initialNodeFitness());
}

describe('event log order', () => {
  it('orders by time, then by stream sequence', () => {
    expect(compareLogPosition({ at: 1, sequence: 9 }, { at: 2, sequence: 1 })).toBeLessThan(0);
    expect(compareLogPosition({ at: 2, sequence: 1 }, { at: 2, sequence: 3 })).toBeLessThan(0);
    expect(compareLogPosition({ at: 2, sequence: 3 }, { at: 2, sequence: 3 })).toBe(0);
    expect(compareLogPosition({ at: 3, sequence: 1 }, { at: 2, sequence: 3 })).toBeGreaterThan(0);
  });

  it('places an event at its occurredAt', () => {
    const event = online(node, alice, t0 + 1234);
    expect(loggedEvent(event, 7)).toEqual({ event, at: t0 + 1234, sequence: 7 });
  });

  it('keeps each message id once, at its lowest sequence', () => {
    const first = loggedEvent(online(node, alice, t0), 5);
    const republished = { ...first, sequence: 50 };
    const redelivered = { ...first };
    expect(orderedLog([republished, first, redelivered])).toEqual([first]);
  });
});

describe('foldLog', () => {
  it('equals an ordered replay of the history', () => {
    const events = history();
    expect(foldLog(events)).toEqual(replay(events));
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('gives the same state for delivery order #%i with duplicates', (seed) => {
    const events = history();
    const delivered = shuffled([...events, ...shuffled(events, seed + 100).slice(0, 4)], seed);
    expect(foldLog(delivered)).toEqual(replay(events));
  });

  it('puts a late event in its place in the past', () => {
    const events = history();
    const late = events[3]!; // alice offline at +1h, delivered after everything else
    const delivered = [...events.filter((e) => e !== late), late];
    const state = foldLog(delivered);
    expect(state).toEqual(replay(events));
    expect(channelLifetimeAndUptime(state, alice, chanA, t0 + 2 * HOUR)).toEqual({
      lifetime: 2 * HOUR - MINUTE,
      uptime: HOUR - MINUTE,
      ownOutage: 0,
    });
  });

  it('counts a redelivered presence event once (evolve alone would count it as a flap)', () => {
    const events = history();
    const withCopy = [...events, { ...events[5]! }];
    expect(peerFlapCount(foldLog(withCopy), alice)).toEqual(peerFlapCount(replay(events), alice));
    expect(peerFlapCount(replay(withCopy), alice).flapCount).toBe(peerFlapCount(replay(events), alice).flapCount + 1);
  });

  it('continues from an earlier fold when the new events all come later', () => {
    const events = history();
    const head = foldLog(events.slice(0, 5));
    expect(foldLog(events.slice(5), head)).toEqual(replay(events));
  });

  it('applies store options to a fresh fold', () => {
    expect(foldLog([], { massDisconnect: null }).options.massDisconnect).toBeNull();
  });
});

describe('evolveAll', () => {
  /** randomHistory builds a node history of opens, closes, flaps and snapshots from a seed. */
  function randomHistory(seed: number, length: number): LoggedEvent[] {
    let s = seed;
    const next = (n: number): number => {
      s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
      return s % n;
    };
    const peers = [alice, bob, pubkey(4), pubkey(5)];
    const events: FitnessEvent[] = [];
    for (let i = 0; i < length; i++) {
      const peer = peers[next(peers.length)]!;
      const at = t0 + i * 30_000;
      const kind = next(10);
      if (kind < 2) events.push(opened(node, peer, channelPoint(next(6)), at));
      else if (kind < 3) events.push(closed(node, peer, channelPoint(next(6)), at));
      else if (kind < 6) events.push(online(node, peer, at));
      else if (kind < 9) events.push(offline(node, peer, at));
      else events.push(snapshot(node, [[peer, channelPoint(next(6))]], peers.filter(() => next(2) === 0), at));
    }
    return events.map((event, i) => loggedEvent(event, i + 1));
  }

  it.each([1, 2, 3, 4, 5, 6])('equals one evolve after the other (random history #%i)', (seed) => {
    const events = randomHistory(seed, 300);
    expect(evolveAll(initialNodeFitness(), events)).toEqual(replay(events));
  });

  it('never changes its input state', () => {
    const events = randomHistory(9, 200);
    const start = replay(events.slice(0, 100));
    const before = structuredClone(start);
    const after = evolveAll(start, events.slice(100));
    expect(start).toEqual(before);
    expect(after).not.toEqual(before);
  });

  it('returns the same state when nothing changes', () => {
    const state = replay(history());
    expect(evolveAll(state, [])).toBe(state);
    expect(evolveAll(state, [loggedEvent(closed(node, alice, channelPoint(99), t0), 1)])).toBe(state);
  });
});
