import { ordinalFromHostname, replicaOf } from './sharding.js';

const ids = Array.from({ length: 3_000 }, (_, i) => `node-${i}`);

describe('replicaOf', () => {
  it('gives every node exactly one replica, the same on every call', () => {
    for (const id of ids.slice(0, 100)) {
      const r = replicaOf(id, 3);
      expect(r).toBeGreaterThanOrEqual(0);
      expect(r).toBeLessThan(3);
      expect(replicaOf(id, 3)).toBe(r);
    }
    expect(ids.every((id) => replicaOf(id, 1) === 0)).toBe(true);
  });

  it('spreads nodes about evenly', () => {
    const counts = [0, 0, 0];
    for (const id of ids) counts[replicaOf(id, 3)]! += 1;
    for (const c of counts) expect(Math.abs(c - 1_000)).toBeLessThan(120);
  });

  it('moves only the nodes the new replica wins when one is added', () => {
    const moved = ids.filter((id) => replicaOf(id, 3) !== replicaOf(id, 4));
    expect(moved.every((id) => replicaOf(id, 4) === 3)).toBe(true);
    expect(moved.length).toBeGreaterThan(600);
    expect(moved.length).toBeLessThan(900);
  });

  it('rejects a replica count below one', () => {
    expect(() => replicaOf('x', 0)).toThrow(RangeError);
  });
});

describe('ordinalFromHostname', () => {
  it('reads the StatefulSet ordinal', () => {
    expect(ordinalFromHostname('node-gateway-2')).toBe(2);
    expect(ordinalFromHostname('node-gateway-10')).toBe(10);
    expect(ordinalFromHostname('laptop')).toBeUndefined();
  });
});
