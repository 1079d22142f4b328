import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { checkDescribedGraph, GraphFileError, loadGraphFile, SimGraph } from './sim-graph.js';
import { syntheticGraph } from './synthetic-graph.js';

const A = `02${'a'.repeat(64)}`;
const B = `03${'b'.repeat(64)}`;
const C = `02${'c'.repeat(64)}`;

describe('SimGraph', () => {
  const graph = new SimGraph({
    nodes: [
      { pub_key: A, alias: 'a', addresses: [{ network: 'tcp', addr: '1.2.3.4:9735' }] },
      { pub_key: B, alias: 'b', addresses: [] },
      { pub_key: C, alias: 'c', addresses: [] },
    ],
    edges: [
      { channel_id: '1', chan_point: null, node1_pub: A, node2_pub: B, capacity: '100' },
      { channel_id: '2', chan_point: null, node1_pub: A, node2_pub: B, capacity: '200' },
      { channel_id: '3', chan_point: null, node1_pub: B, node2_pub: `02${'d'.repeat(64)}`, capacity: '300' },
    ],
  });

  it('indexes nodes and lists each node channels, skipping channels to unknown nodes', () => {
    expect(graph.indexOf(B)).toBe(1);
    expect(graph.indexOf(`02${'f'.repeat(64)}`)).toBeUndefined();
    expect(graph.edgesOf(0).map((e) => e.channel_id)).toEqual(['1', '2']);
    expect(graph.edgesOf(1).map((e) => e.channel_id)).toEqual(['1', '2']);
    expect([0, 1, 2].map((i) => graph.degree(i))).toEqual([2, 2, 0]);
    expect(graph.addressesOf(A)).toEqual(['1.2.3.4:9735']);
    expect(graph.addressesOf(C)).toEqual([]);
  });
});

describe('loadGraphFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'simgraph-'));

  it('reads gzipped and plain DescribeGraph JSON', async () => {
    const json = syntheticGraph({ nodes: 20, channelsPerNode: 2, seed: 1 });
    writeFileSync(join(dir, 'g.json.gz'), gzipSync(JSON.stringify(json)));
    writeFileSync(join(dir, 'g.json'), JSON.stringify(json));
    expect((await loadGraphFile(join(dir, 'g.json.gz'))).nodeCount).toBe(20);
    expect((await loadGraphFile(join(dir, 'g.json'))).describe.edges).toHaveLength(40);
  });

  it('names the problem: a missing file, bad JSON, a bad field', async () => {
    await expect(loadGraphFile(join(dir, 'missing.json.gz'))).rejects.toThrow(GraphFileError);
    writeFileSync(join(dir, 'bad.json'), '{"nodes": [');
    await expect(loadGraphFile(join(dir, 'bad.json'))).rejects.toThrow(/not JSON/);
    expect(() => checkDescribedGraph({ nodes: [{ pub_key: 'x', addresses: [] }], edges: [] }, 'test')).toThrow(/nodes\[0\]\.pub_key/);
    expect(() => checkDescribedGraph({ nodes: [], edges: [{ channel_id: '1', node1_pub: A, node2_pub: B, capacity: 5 }] }, 'test')).toThrow(/edges\[0\]\.capacity/);
    expect(() => checkDescribedGraph({ nodes: [] }, 'test')).toThrow(/"edges"/);
  });
});
