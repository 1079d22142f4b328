import { claims, contestedNodes, disagreeing, type ReplicaClaim } from './ownership.js';
import { replicaOf } from './sharding.js';

const ids = Array.from({ length: 40 }, (_, i) => `node-${i}`);
const claim = (holder: string, index: number, replicas: number, since: number): ReplicaClaim => ({ holder, index, replicas, since, host: holder });

describe('ownership across replicas', () => {
  it('finds no contest among replicas started with the same count', () => {
    const peers = [claim('a', 0, 3, 1), claim('b', 1, 3, 2), claim('c', 2, 3, 3)];
    for (const me of peers) {
      const mine = ids.filter((id) => claims(me, id));
      expect(contestedNodes(me, peers, mine).size).toBe(0);
      expect(disagreeing(me, peers)).toEqual([]);
    }
  });

  it('makes the newer of two disagreeing replicas yield exactly the nodes both claim, and the older yield none', () => {
    const old = claim('old', 0, 2, 5);
    const young = claim('young', 2, 3, 9);
    const youngShare = ids.filter((id) => claims(young, id));
    const contested = contestedNodes(young, [old, young], youngShare);
    expect([...contested.keys()].sort()).toEqual(youngShare.filter((id) => replicaOf(id, 2) === 0).sort());
    expect([...contested.values()].every((owner) => owner.holder === 'old')).toBe(true);
    expect(contested.size).toBeGreaterThan(0);
    expect(contestedNodes(old, [old, young], ids.filter((id) => claims(old, id))).size).toBe(0);
    expect(disagreeing(young, [old, young])).toEqual([old]);
  });

  it('leaves every node to exactly one replica among any set of live claims', () => {
    const live = [claim('a', 0, 2, 1), claim('b', 1, 2, 2), claim('c', 0, 3, 3), claim('d', 2, 3, 4), claim('e', 1, 4, 5)];
    for (const id of ids) {
      const servers = live.filter((me) => claims(me, id) && !contestedNodes(me, live, [id]).has(id));
      expect(servers.length).toBeLessThanOrEqual(1);
    }
  });
});
