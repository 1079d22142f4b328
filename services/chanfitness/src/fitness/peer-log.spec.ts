import { ChannelAlreadyTrackedError, ChannelNotFoundError, InvalidWindowError } from './errors.js';
import {
  addChannel,
  channelUptime,
  loggedEvents,
  monitoredSince,
  newPeerLog,
  offlineEvent,
  onlineEvent,
  peerUptime,
  removeChannel,
  type PeerLog,
} from './peer-log.js';
import { HOUR, MINUTE, SECOND } from './time.js';

const testNow = 1_592_465_134_000;
const chan1 = `${'a'.repeat(64)}:1`;
const chan2 = `${'a'.repeat(64)}:2`;

/** deepFreeze makes any mutation of a peer log throw, proving the functions return new values. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** withChannel returns a log that tracks chan1 from `at`, with the peer online or offline. */
function withChannel(online: boolean, at: number, flapCount = 0): PeerLog {
  return addChannel(newPeerLog({ online, flapCount }), chan1, at);
}

describe('peer log: lnd scenario', () => {
  it('counts flaps, tracks channels and measures their uptime', () => {
    // Given a new peer log, when the peer goes offline, then that is one flap.
    let log = offlineEvent(newPeerLog(), testNow);
    expect(log.flapCount).toBe(1);
    expect(log.lastFlap).toBe(testNow);

    // When the peer comes online an hour later, then it has flapped twice.
    let now = testNow + HOUR;
    log = onlineEvent(log, now);
    expect(log.flapCount).toBe(2);
    expect(log.online).toBe(true);

    // When a channel is added, then that records the peer's online state but is not a flap.
    log = addChannel(log, chan1, now);
    expect(log.flapCount).toBe(2);
    expect(loggedEvents(log)).toEqual([{ at: now, online: true }]);

    // An hour later the channel has been open and online for an hour.
    now += HOUR;
    expect(channelUptime(log, chan1, now)).toEqual({ lifetime: HOUR, uptime: HOUR, ownOutage: 0 });

    // When the peer goes offline, then it has flapped three times.
    log = offlineEvent(log, now);
    expect(log.flapCount).toBe(3);

    // When a second channel is added and two hours pass, then channel 1 has lived 3h with 1h uptime.
    log = addChannel(log, chan2, now);
    now += 2 * HOUR;
    expect(channelUptime(log, chan1, now)).toEqual({ lifetime: 3 * HOUR, uptime: HOUR, ownOutage: 0 });

    // When channel 1 is removed, then channel 2 has lived 2h, all of it with the peer offline.
    log = removeChannel(log, chan1);
    expect(channelUptime(log, chan2, now)).toEqual({ lifetime: 2 * HOUR, uptime: 0, ownOutage: 0 });

    // When the last channel is removed, then the log is empty but the flap count stays.
    log = removeChannel(log, chan2);
    expect(log.events).toEqual([]);
    expect(log.staged).toBeNull();
    expect(log.channels).toEqual([]);
    expect(log.flapCount).toBe(3);
    expect(log.lastFlap).toBe(testNow + 2 * HOUR);
  });
});

describe('peer log: rate limiting', () => {
  it('stages the first event without committing it', () => {
    const log = withChannel(true, testNow);
    expect(log.events).toEqual([]);
    expect(log.staged).toEqual({ at: testNow, online: true });
  });

  it('commits the staged event when the next one comes after the rate limit', () => {
    const log = offlineEvent(withChannel(true, testNow), testNow + 2 * SECOND);
    expect(log.events).toEqual([{ at: testNow, online: true }]);
    expect(log.staged).toEqual({ at: testNow + 2 * SECOND, online: false });
  });

  it('replaces the staged event when the next one comes within the rate limit', () => {
    const log = offlineEvent(withChannel(true, testNow), testNow + 500);
    expect(log.events).toEqual([]);
    expect(log.staged).toEqual({ at: testNow + 500, online: false });
  });

  it('needs exactly more than the rate limit: an event at staged + limit still replaces', () => {
    const log = offlineEvent(withChannel(true, testNow), testNow + SECOND);
    expect(log.events).toEqual([]);
  });

  it('uses the rate limit of the flap count after the new flap', () => {
    // 999 flaps + this one = 1000: the 1h tier, so events 30 minutes apart replace each other.
    let log = withChannel(true, testNow, 999);
    log = offlineEvent(log, testNow + 30 * MINUTE);
    log = onlineEvent(log, testNow + 60 * MINUTE);
    expect(log.events).toEqual([]);
    expect(log.staged).toEqual({ at: testNow + 60 * MINUTE, online: true });
    log = offlineEvent(log, testNow + 121 * MINUTE);
    expect(log.events).toEqual([{ at: testNow + 60 * MINUTE, online: true }]);
  });

  it('counts flaps but logs nothing for a peer without channels', () => {
    const log = onlineEvent(offlineEvent(newPeerLog(), testNow), testNow + HOUR);
    expect(log.flapCount).toBe(2);
    expect(loggedEvents(log)).toEqual([]);
  });

  it('counts a repeated event of the same kind as a flap, like lnd', () => {
    const log = onlineEvent(onlineEvent(newPeerLog(), testNow), testNow + HOUR);
    expect(log.flapCount).toBe(2);
  });
});

describe('peer log: flap count cool-down', () => {
  it('cools the count down before adding a flap', () => {
    // 10 flaps, the last one 24h ago: 10 × 0.95^3 = 8.57 -> 8, plus this flap = 9.
    const log = onlineEvent(newPeerLog({ flapCount: 10, lastFlap: testNow - 24 * HOUR }), testNow);
    expect(log.flapCount).toBe(9);
    expect(log.lastFlap).toBe(testNow);
  });

  it('does not cool down within 8 hours', () => {
    const log = onlineEvent(newPeerLog({ flapCount: 10, lastFlap: testNow - 4 * HOUR }), testNow);
    expect(log.flapCount).toBe(11);
  });
});

describe('peer log: channels', () => {
  it('rejects a duplicate channel', () => {
    expect(() => addChannel(withChannel(true, testNow), chan1, testNow + HOUR)).toThrow(ChannelAlreadyTrackedError);
  });

  it('rejects removing or measuring an unknown channel', () => {
    const log = withChannel(true, testNow);
    expect(() => removeChannel(log, chan2)).toThrow(ChannelNotFoundError);
    expect(() => channelUptime(log, chan2, testNow)).toThrow(ChannelNotFoundError);
  });

  it('records no extra event for a channel added to a log that has events', () => {
    let log = offlineEvent(withChannel(true, testNow), testNow + HOUR);
    log = addChannel(log, chan2, testNow + 2 * HOUR);
    expect(loggedEvents(log)).toEqual([
      { at: testNow, online: true },
      { at: testNow + HOUR, online: false },
    ]);
  });

  it('records the current state for the first channel of an offline peer', () => {
    const log = withChannel(false, testNow);
    expect(loggedEvents(log)).toEqual([{ at: testNow, online: false }]);
    expect(channelUptime(log, chan1, testNow + HOUR)).toEqual({ lifetime: HOUR, uptime: 0, ownOutage: 0 });
  });

  it('starts a fresh log when a channel is added after the last one was removed', () => {
    let log = offlineEvent(withChannel(true, testNow), testNow + HOUR);
    log = removeChannel(log, chan1);
    log = addChannel(log, chan2, testNow + 2 * HOUR);
    expect(monitoredSince(log)).toBe(testNow + 2 * HOUR);
    expect(loggedEvents(log)).toEqual([{ at: testNow + 2 * HOUR, online: false }]);
  });

  it('rejects measuring at a time before the channel was opened', () => {
    expect(() => channelUptime(withChannel(true, testNow), chan1, testNow - HOUR)).toThrow(InvalidWindowError);
  });
});

describe('peer log: immutability and ordering', () => {
  it('never changes its input', () => {
    const before = deepFreeze(withChannel(true, testNow));
    const snapshot = structuredClone(before);
    const after = removeChannel(addChannel(offlineEvent(before, testNow + HOUR), chan2, testNow + HOUR), chan1);
    expect(before).toEqual(snapshot);
    expect(after).not.toBe(before);
  });

  it('moves a late timestamp up to the newest one in the log', () => {
    const log = onlineEvent(offlineEvent(withChannel(true, testNow), testNow + HOUR), testNow + 30 * MINUTE);
    // The online event is taken as happening at +1h, within the rate limit of the offline one it replaces.
    expect(loggedEvents(log)).toEqual([
      { at: testNow, online: true },
      { at: testNow + HOUR, online: true },
    ]);
    expect(log.lastFlap).toBe(testNow + HOUR);
  });
});

describe('peer log: uptime in a window', () => {
  it('measures within any window and leaves excluded time out', () => {
    let log = withChannel(true, testNow - 10 * HOUR);
    log = offlineEvent(log, testNow - 4 * HOUR);
    log = onlineEvent(log, testNow - 2 * HOUR);
    // Online -10h..-4h and -2h..now. The last 6h: online 2h + 2h of 6h.
    expect(peerUptime(log, { start: testNow - 6 * HOUR, end: testNow }, testNow)).toEqual({
      observed: 6 * HOUR,
      online: 4 * HOUR,
      excluded: 0,
    });
    // With our own node down -5h..-3h: 4h observed, of which 1h (-6h..-5h) + 2h online.
    const outage = { start: testNow - 5 * HOUR, end: testNow - 3 * HOUR };
    expect(peerUptime(log, { start: testNow - 6 * HOUR, end: testNow }, testNow, [outage])).toEqual({
      observed: 4 * HOUR,
      online: 3 * HOUR,
      excluded: 2 * HOUR,
    });
  });

  it('excludes own outages from a channel lifetime and uptime', () => {
    const log = withChannel(true, testNow - 4 * HOUR);
    const outage = { start: testNow - 3 * HOUR, end: testNow - 2 * HOUR };
    expect(channelUptime(log, chan1, testNow, [outage])).toEqual({ lifetime: 3 * HOUR, uptime: 3 * HOUR, ownOutage: HOUR });
  });
});
