import { InvalidWindowError } from './errors.js';
import {
  DEFAULT_MASS_DISCONNECT_POLICY,
  NO_OUTAGES,
  massDisconnectStart,
  outageEnded,
  outageStarted,
  outagesUntil,
  recordOutage,
} from './own-outage.js';
import { setPresence, type PresenceMap } from './peer-presence.js';
import { HOUR, MINUTE, SECOND } from './time.js';

const testNow = 1_592_465_134_000;
const peerA = `02${'a'.repeat(64)}`;
const peerB = `02${'b'.repeat(64)}`;
const peerC = `02${'c'.repeat(64)}`;

describe('own outages', () => {
  it('records closed outages sorted and merged', () => {
    let outages = recordOutage(NO_OUTAGES, testNow - HOUR, testNow);
    outages = recordOutage(outages, testNow - 3 * HOUR, testNow - 2 * HOUR);
    outages = recordOutage(outages, testNow - 90 * MINUTE, testNow - 30 * MINUTE);
    expect(outages.closed).toEqual([
      { start: testNow - 3 * HOUR, end: testNow - 2 * HOUR },
      { start: testNow - 90 * MINUTE, end: testNow },
    ]);
  });

  it('rejects an outage that ends before it starts, and ignores an empty one', () => {
    expect(() => recordOutage(NO_OUTAGES, testNow, testNow - 1)).toThrow(InvalidWindowError);
    expect(recordOutage(NO_OUTAGES, testNow, testNow)).toBe(NO_OUTAGES);
  });

  it('runs an open outage until now, and closes it', () => {
    const open = outageStarted(NO_OUTAGES, testNow - HOUR);
    expect(outageStarted(open, testNow)).toBe(open);
    expect(outagesUntil(open, testNow)).toEqual([{ start: testNow - HOUR, end: testNow }]);
    const closed = outageEnded(open, testNow - 30 * MINUTE);
    expect(closed).toEqual({ closed: [{ start: testNow - HOUR, end: testNow - 30 * MINUTE }], openSince: null });
    expect(outageEnded(closed, testNow)).toBe(closed);
  });
});

describe('massDisconnectStart', () => {
  const policy = DEFAULT_MASS_DISCONNECT_POLICY;

  function dropped(...offsets: number[]): PresenceMap {
    const peers = [peerA, peerB, peerC];
    let presence: PresenceMap = new Map();
    peers.forEach((peer) => (presence = setPresence(presence, peer, true, testNow - 10 * HOUR)));
    offsets.forEach((offset, i) => (presence = setPresence(presence, peers[i] ?? peerA, false, testNow + offset)));
    return presence;
  }

  it('finds our outage when all peers dropped within the window, starting at the first drop', () => {
    expect(massDisconnectStart(dropped(-90 * SECOND, -10 * SECOND, 0), testNow, policy)).toBe(testNow - 90 * SECOND);
  });

  it('blames nobody but the peers when their drops are spread out', () => {
    expect(massDisconnectStart(dropped(-10 * MINUTE, -10 * SECOND, 0), testNow, policy)).toBeNull();
  });

  it('needs every peer gone', () => {
    expect(massDisconnectStart(dropped(-10 * SECOND, 0), testNow, { windowMs: MINUTE, minPeers: 2 })).toBeNull();
  });

  it('needs at least minPeers peers', () => {
    expect(massDisconnectStart(dropped(-10 * SECOND, 0, 0), testNow, { windowMs: MINUTE, minPeers: 4 })).toBeNull();
  });
});
