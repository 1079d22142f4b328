import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { deterministicId } from '@lnfleet/contracts';
import { syntheticGraph } from '../simnet/synthetic-graph.js';
import { NODE, T0 } from './fixtures.fixture.js';
import { encodeGraphSnapshot, graphSnapshotEvent } from './graph-snapshot.js';

describe('graph snapshots', () => {
  const graph = syntheticGraph({ nodes: 50, channelsPerNode: 2, seed: 1 });

  it('encodes the graph as gzipped DescribeGraph JSON whose version is the digest of the bytes', () => {
    const snapshot = encodeGraphSnapshot(graph);
    expect(JSON.parse(gunzipSync(snapshot.bytes).toString('utf8'))).toEqual(graph);
    expect(snapshot.version).toBe(`sha256:${createHash('sha256').update(snapshot.bytes).digest('hex')}`);
    expect(snapshot).toMatchObject({ nodeCount: 50, channelCount: 100 });
    expect(snapshot.objectName).toBe(`describegraph-${snapshot.version.slice(7)}.json.gz`);
  });

  it('gives an unchanged graph the same version and a changed one a new version', () => {
    expect(encodeGraphSnapshot(structuredClone(graph)).version).toBe(encodeGraphSnapshot(graph).version);
    expect(encodeGraphSnapshot({ ...graph, edges: graph.edges.slice(1) }).version).not.toBe(encodeGraphSnapshot(graph).version);
  });

  it('names the snapshot in a GraphSnapshotPublished event identified by node and version', () => {
    const snapshot = encodeGraphSnapshot(graph);
    expect(graphSnapshotEvent(NODE, snapshot, 'LNFLEET_GRAPH', T0)).toMatchObject({
      type: 'GraphSnapshotPublished',
      id: deterministicId('GraphSnapshotPublished', NODE, snapshot.version),
      nodeId: NODE,
      data: { version: snapshot.version, bucket: 'LNFLEET_GRAPH', objectName: snapshot.objectName, nodeCount: 50, channelCount: 100, sizeBytes: snapshot.bytes.length, takenAt: new Date(T0).toISOString() },
    });
  });
});
