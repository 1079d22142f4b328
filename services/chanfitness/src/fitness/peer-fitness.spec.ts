import { PeerNotFoundError } from './errors.js';
import { foldLog, loggedEvent } from './event-log.js';
import { channelPoint, offline, online, opened, pubkey } from './events.fixture.js';
import type { FitnessEvent, NodeFitness } from './node-fitness.js';
import {
  assessPeer,
  compareFitness,
  DEFAULT_FITNESS_THRESHOLDS,
  fitnessChange,
  normalizeReasons,
  rankPeers,
  sameReasons,
  type FitnessThresholds,
} from './peer-fitness.js';
import { DAY, HOUR, MINUTE } from './time.js';

const t0 = Date.UTC(2026, 0, 1);
const node = pubkey(1, '03');
const steady = pubkey(2);
const flappy = pubkey(3);
const absent = pubkey(4);
const stranger = pubkey(5);

const thresholds: FitnessThresholds = { maxFlapCount: 4, minUptimeRatio: 0.9, uptimeWindowMs: DAY, minObservedMs: HOUR };

function state(events: readonly FitnessEvent[]): NodeFitness {
  return foldLog(events.map((event, i) => loggedEvent(event, i + 1)));
}

/** flaps returns `count` alternating offline/online events of `peer`, a minute apart from `start`. */
function flaps(peer: string, start: number, count: number): FitnessEvent[] {
  return Array.from({ length: count }, (_, i) => (i % 2 === 0 ? offline(node, peer, start + i * MINUTE) : online(node, peer, start + i * MINUTE)));
}

const base: FitnessEvent[] = [
  online(node, steady, t0),
  online(node, flappy, t0),
  opened(node, steady, channelPoint(1), t0),
  opened(node, steady, channelPoint(2), t0),
  opened(node, flappy, channelPoint(3), t0),
  opened(node, absent, channelPoint(4), t0),
];

describe('assessPeer', () => {
  it('finds a peer that was always online fit, with its numbers', () => {
    const assessment = assessPeer(state(base), steady, t0 + 2 * HOUR, thresholds);
    expect(assessment).toMatchObject({ peer: steady, fit: true, reasons: [], flapCount: 0, storedFlapCount: 0, lastFlap: null, openChannels: 2 });
    expect(assessment.uptime).toMatchObject({ observed: 2 * HOUR, online: 2 * HOUR, ratio: 1 });
  });

  it('calls a peer FLAPPING once its flap count passes the maximum, not at it', () => {
    // 4 flaps end online, so uptime stays above 90% and only the flap threshold is in play.
    const atMax = state([...base, ...flaps(flappy, t0 + HOUR, 4)]);
    expect(assessPeer(atMax, flappy, t0 + 2 * HOUR, thresholds)).toMatchObject({ fit: true, flapCount: 4 });
    const over = state([...base, ...flaps(flappy, t0 + HOUR, 6)]);
    expect(assessPeer(over, flappy, t0 + 2 * HOUR, thresholds)).toMatchObject({ fit: false, reasons: ['FLAPPING'], flapCount: 6 });
  });

  it('forgives a flappy peer as its flap count cools down', () => {
    const over = state([...base, ...flaps(flappy, t0 + HOUR, 6)]);
    // 6 × 0.95^(elapsed / 8h): 7 cool-down periods (56 h) after the last flap it is floor(4.19) = 4.
    const later = t0 + HOUR + 5 * MINUTE + 7 * 8 * HOUR;
    const assessment = assessPeer(over, flappy, later, thresholds);
    expect(assessment.flapCount).toBe(4);
    expect(assessment.storedFlapCount).toBe(6);
    expect(assessment.fit).toBe(true);
  });

  it('judges uptime only after minObservedMs of the window was observed', () => {
    const s = state(base);
    expect(assessPeer(s, absent, t0 + 59 * MINUTE, thresholds)).toMatchObject({ fit: true, reasons: [] });
    expect(assessPeer(s, absent, t0 + HOUR, thresholds)).toMatchObject({ fit: false, reasons: ['LOW_UPTIME'] });
    expect(assessPeer(s, absent, t0 + HOUR, thresholds).uptime.ratio).toBe(0);
  });

  it('measures uptime over the trailing window only', () => {
    // Offline for the first 3 hours, then online for a day: the last 24 h are 100% online.
    const s = state([...base, online(node, absent, t0 + 3 * HOUR)]);
    expect(assessPeer(s, absent, t0 + 4 * HOUR, thresholds).reasons).toEqual(['LOW_UPTIME']);
    expect(assessPeer(s, absent, t0 + 3 * HOUR + DAY, thresholds)).toMatchObject({ fit: true, uptime: { ratio: 1 } });
  });

  it('reports both reasons in a fixed order', () => {
    const s = state([...base, ...flaps(flappy, t0 + HOUR, 7)]);
    expect(assessPeer(s, flappy, t0 + 20 * HOUR, thresholds).reasons).toEqual(['FLAPPING', 'LOW_UPTIME']);
  });

  it('throws PeerNotFoundError for a peer without a log', () => {
    const s = state([...base, online(node, stranger, t0)]);
    expect(() => assessPeer(s, stranger, t0, thresholds)).toThrow(PeerNotFoundError);
  });

  it('has documented defaults', () => {
    expect(DEFAULT_FITNESS_THRESHOLDS).toEqual({ maxFlapCount: 20, minUptimeRatio: 0.9, uptimeWindowMs: DAY, minObservedMs: HOUR });
  });
});

describe('rankPeers', () => {
  it('ranks fit before unfit, then by uptime, flaps and channels', () => {
    const s = state([...base, ...flaps(flappy, t0 + HOUR, 4)]);
    const ranked = rankPeers(s, t0 + 2 * HOUR, thresholds);
    // steady: 100%, 2 channels; flappy: ~98% (offline 2 min of 2 h), 4 flaps; absent: 0% and unfit.
    expect(ranked.map((a) => a.peer)).toEqual([steady, flappy, absent]);
    expect(ranked.map((a) => a.fit)).toEqual([true, true, false]);
  });

  it('breaks ties by flap count, open channels, then public key', () => {
    const a = assessPeer(state(base), steady, t0 + 2 * HOUR, thresholds);
    expect(compareFitness(a, { ...a, flapCount: 1 })).toBeLessThan(0);
    expect(compareFitness(a, { ...a, openChannels: 1 })).toBeLessThan(0);
    expect(compareFitness(a, { ...a, peer: pubkey(9) })).toBeLessThan(0);
    expect(compareFitness(a, { ...a })).toBe(0);
    expect(compareFitness({ ...a, uptime: { ...a.uptime, ratio: null } }, { ...a, uptime: { ...a.uptime, ratio: 0 } })).toBeGreaterThan(0);
  });

  it('returns nothing for a store without tracked peers', () => {
    expect(rankPeers(state([online(node, stranger, t0)]), t0, thresholds)).toEqual([]);
  });
});

describe('reasons', () => {
  it('compares verdicts by their reasons', () => {
    expect(sameReasons([], [])).toBe(true);
    expect(sameReasons(['FLAPPING'], ['FLAPPING'])).toBe(true);
    expect(sameReasons(['FLAPPING'], ['LOW_UPTIME'])).toBe(false);
    expect(sameReasons(['FLAPPING'], ['FLAPPING', 'LOW_UPTIME'])).toBe(false);
  });

  it('normalizes stored reasons: known ones once, in order', () => {
    expect(normalizeReasons(['LOW_UPTIME', 'bogus', 'FLAPPING', 'LOW_UPTIME'])).toEqual(['FLAPPING', 'LOW_UPTIME']);
  });
});

describe('fitnessChange', () => {
  const s = state([...base, ...flaps(flappy, t0 + HOUR, 6)]);
  const unfit = assessPeer(s, flappy, t0 + 2 * HOUR, thresholds);
  const fit = assessPeer(s, steady, t0 + 2 * HOUR, thresholds);

  it('says nothing while the same thresholds are crossed', () => {
    expect(fitnessChange(['FLAPPING'], unfit, thresholds)).toBeNull();
    expect(fitnessChange([], fit, thresholds)).toBeNull();
  });

  it('reports a peer turning unfit, with the numbers and thresholds behind it', () => {
    expect(fitnessChange([], unfit, thresholds)).toEqual({
      peer: flappy,
      fit: false,
      reasons: ['FLAPPING'],
      previousReasons: [],
      flapCount: 6,
      maxFlapCount: 4,
      uptimeRatio: unfit.uptime.ratio,
      minUptimeRatio: 0.9,
      uptimeWindowMs: DAY,
      openChannels: 1,
    });
  });

  it('reports a peer recovering, and a change of reason', () => {
    expect(fitnessChange(['LOW_UPTIME'], fit, thresholds)).toMatchObject({ fit: true, reasons: [], previousReasons: ['LOW_UPTIME'] });
    expect(fitnessChange(['LOW_UPTIME'], unfit, thresholds)).toMatchObject({ fit: false, reasons: ['FLAPPING'], previousReasons: ['LOW_UPTIME'] });
  });
});
