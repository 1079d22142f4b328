import { isOnline, onlinePeers, setPresence, type PresenceMap } from './peer-presence.js';
import { HOUR } from './time.js';

const testNow = 1_592_465_134_000;
const peerA = `02${'a'.repeat(64)}`;
const peerB = `02${'b'.repeat(64)}`;

describe('peer presence', () => {
  it('moves `since` only when the state changes and treats unknown peers as offline', () => {
    let presence: PresenceMap = new Map();
    expect(setPresence(presence, peerA, false, testNow)).toBe(presence);
    presence = setPresence(presence, peerA, true, testNow);
    expect(setPresence(presence, peerA, true, testNow + HOUR)).toBe(presence);
    expect(presence.get(peerA)).toEqual({ online: true, since: testNow });
    expect(isOnline(presence, peerA)).toBe(true);
    expect(isOnline(presence, peerB)).toBe(false);
    expect(onlinePeers(presence)).toEqual([peerA]);
  });
});
