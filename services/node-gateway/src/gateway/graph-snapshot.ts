import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { createMessage, deterministicId, GraphSnapshotPublished, type KnownMessage } from '@lnfleet/contracts';
import type { DescribedGraph } from '../node/lightning-node.js';
import { isoTime } from './translate.js';

/** GraphSnapshot is one encoded graph, ready to store: lnd DescribeGraph JSON, gzipped. */
export interface GraphSnapshot {
  readonly bytes: Uint8Array;
  /** version is `sha256:<hex>` of `bytes`: equal graphs give equal versions. */
  readonly version: string;
  /** objectName is where the snapshot lives in the bucket, derived from its version. */
  readonly objectName: string;
  readonly nodeCount: number;
  readonly channelCount: number;
}

/**
 * encodeGraphSnapshot serialises a graph as `{nodes, edges}` JSON in the order the node gave it
 * and gzips it. gzip without a timestamp is deterministic, so the version is a pure function of
 * the graph: re-publishing an unchanged graph stores nothing new.
 */
export function encodeGraphSnapshot(graph: DescribedGraph): GraphSnapshot {
  const json = JSON.stringify({ nodes: graph.nodes, edges: graph.edges });
  const bytes = gzipSync(json, { level: 6 });
  const digest = createHash('sha256').update(bytes).digest('hex');
  return { bytes, version: `sha256:${digest}`, objectName: `describegraph-${digest}.json.gz`, nodeCount: graph.nodes.length, channelCount: graph.edges.length };
}

/** graphSnapshotEvent names a stored snapshot; its id derives from the node and the version. */
export function graphSnapshotEvent(nodeId: string, snapshot: GraphSnapshot, bucket: string, takenAtMs: number): KnownMessage {
  return createMessage(GraphSnapshotPublished, {
    id: deterministicId('GraphSnapshotPublished', nodeId, snapshot.version),
    nodeId,
    occurredAt: isoTime(takenAtMs),
    causationId: null,
    data: {
      version: snapshot.version,
      bucket,
      objectName: snapshot.objectName,
      format: 'lnd-describegraph-json-gzip',
      nodeCount: snapshot.nodeCount,
      channelCount: snapshot.channelCount,
      sizeBytes: snapshot.bytes.length,
      takenAt: isoTime(takenAtMs),
    },
  });
}
