import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { DescribedGraph, GraphEdge, GraphNode } from '../node/lightning-node.js';

/**
 * SimGraph is the public channel graph the simulated fleet lives in, loaded once and shared by
 * every simulated node (a thousand nodes hold indices into it, not copies of it).
 */
export class SimGraph {
  /** describe is the graph in lnd's DescribeGraph shape, returned as is by every sim node. */
  readonly describe: DescribedGraph;
  private readonly indexByPubkey: Map<string, number>;
  /** edgeOffsets/edgeIndices list each node's edges (CSR): node i's are edgeIndices[offsets[i]..offsets[i+1]). */
  private readonly edgeOffsets: Int32Array;
  private readonly edgeIndices: Int32Array;

  constructor(describe: DescribedGraph) {
    this.describe = describe;
    this.indexByPubkey = new Map(describe.nodes.map((node, i) => [node.pub_key, i]));
    const counts = new Int32Array(describe.nodes.length + 1);
    const ends: Array<[number, number] | undefined> = describe.edges.map((edge) => {
      const a = this.indexByPubkey.get(edge.node1_pub);
      const b = this.indexByPubkey.get(edge.node2_pub);
      if (a === undefined || b === undefined || a === b) return undefined;
      counts[a + 1] = (counts[a + 1] ?? 0) + 1;
      counts[b + 1] = (counts[b + 1] ?? 0) + 1;
      return [a, b];
    });
    for (let i = 1; i < counts.length; i++) counts[i] = (counts[i] ?? 0) + (counts[i - 1] ?? 0);
    this.edgeOffsets = counts;
    this.edgeIndices = new Int32Array(counts[counts.length - 1] ?? 0);
    const fill = counts.slice(0, -1);
    ends.forEach((pair, edgeIndex) => {
      if (pair === undefined) return;
      for (const node of pair) {
        const at = fill[node] ?? 0;
        this.edgeIndices[at] = edgeIndex;
        fill[node] = at + 1;
      }
    });
  }

  /** nodeCount is the number of nodes in the graph. */
  get nodeCount(): number {
    return this.describe.nodes.length;
  }

  /** node returns the graph node at an index. */
  node(index: number): GraphNode {
    const node = this.describe.nodes[index];
    if (node === undefined) throw new RangeError(`no graph node #${index}`);
    return node;
  }

  /** indexOf returns a pubkey's node index, or undefined when the graph does not know it. */
  indexOf(pubkey: string): number | undefined {
    return this.indexByPubkey.get(pubkey);
  }

  /** degree is the number of channels of the node at an index. */
  degree(index: number): number {
    return (this.edgeOffsets[index + 1] ?? 0) - (this.edgeOffsets[index] ?? 0);
  }

  /** edgesOf lists the channels of the node at an index. */
  edgesOf(index: number): GraphEdge[] {
    const edges: GraphEdge[] = [];
    for (let i = this.edgeOffsets[index] ?? 0; i < (this.edgeOffsets[index + 1] ?? 0); i++) {
      const edge = this.describe.edges[this.edgeIndices[i] ?? -1];
      if (edge !== undefined) edges.push(edge);
    }
    return edges;
  }

  /** addressesOf returns the `host:port` addresses a pubkey announces (empty when unknown). */
  addressesOf(pubkey: string): string[] {
    const index = this.indexOf(pubkey);
    if (index === undefined) return [];
    return this.node(index).addresses.map((address) => address.addr);
  }
}

/** GraphFileError says the graph file is missing or not in lnd's DescribeGraph JSON shape. */
export class GraphFileError extends Error {
  override readonly name = 'GraphFileError';
}

/**
 * loadGraphFile reads a DescribeGraph JSON file (gzipped when the name ends in .gz), streaming
 * the decompression, and checks its shape before the simulation relies on it.
 */
export async function loadGraphFile(path: string): Promise<SimGraph> {
  const chunks: Buffer[] = [];
  try {
    const input = createReadStream(path);
    const stream = path.endsWith('.gz') ? input.pipe(createGunzip()) : input;
    input.on('error', (error) => stream.destroy(error));
    for await (const chunk of stream) chunks.push(chunk as Buffer);
  } catch (cause) {
    throw new GraphFileError(`cannot read the channel graph at ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (cause) {
    throw new GraphFileError(`the channel graph at ${path} is not JSON: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  return new SimGraph(checkDescribedGraph(parsed, path));
}

/** checkDescribedGraph verifies the fields simnet reads, naming the first bad one. */
export function checkDescribedGraph(value: unknown, source: string): DescribedGraph {
  const fail = (what: string): never => {
    throw new GraphFileError(`the channel graph at ${source} is not lnd DescribeGraph JSON: ${what}`);
  };
  if (typeof value !== 'object' || value === null) return fail('not an object');
  const { nodes, edges } = value as { nodes?: unknown; edges?: unknown };
  if (!Array.isArray(nodes)) return fail('"nodes" is not an array');
  if (!Array.isArray(edges)) return fail('"edges" is not an array');
  nodes.forEach((node: unknown, i) => {
    const n = node as Partial<GraphNode> | null;
    if (typeof n?.pub_key !== 'string' || !/^0[23][0-9a-f]{64}$/.test(n.pub_key)) fail(`nodes[${i}].pub_key is not a pubkey`);
    if (!Array.isArray(n?.addresses)) fail(`nodes[${i}].addresses is not an array`);
  });
  edges.forEach((edge: unknown, i) => {
    const e = edge as Partial<GraphEdge> | null;
    if (typeof e?.channel_id !== 'string' || !/^[0-9]{1,20}$/.test(e.channel_id)) fail(`edges[${i}].channel_id is not a decimal string`);
    if (typeof e?.node1_pub !== 'string' || typeof e.node2_pub !== 'string') fail(`edges[${i}] lacks node1_pub/node2_pub`);
    if (typeof e?.capacity !== 'string' || !/^[0-9]+$/.test(e.capacity)) fail(`edges[${i}].capacity is not a decimal string`);
  });
  return value as DescribedGraph;
}
