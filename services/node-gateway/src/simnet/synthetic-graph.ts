import { createHash } from 'node:crypto';
import type { DescribedGraph, GraphEdge, GraphNode } from '../node/lightning-node.js';
import { createRng, intBelow, intBetween, seedOf } from './prng.js';

/** SyntheticGraphOptions shapes a small made-up graph for tests and demos without the real one. */
export interface SyntheticGraphOptions {
  /** nodes is the number of nodes. */
  readonly nodes: number;
  /** channelsPerNode is how many channels each node opens to random others (so degree averages twice that). */
  readonly channelsPerNode: number;
  readonly seed: number;
}

/** syntheticPubkey is a deterministic valid-looking compressed pubkey for node `i` of a seed. */
export function syntheticPubkey(seed: number, i: number): string {
  const digest = createHash('sha256').update(`synthetic:${seed}:${i}`).digest('hex');
  return `${i % 2 === 0 ? '02' : '03'}${digest}`;
}

/**
 * syntheticGraph builds a DescribeGraph-shaped graph with random channels between generated
 * pubkeys: every node announces an address, capacities lie between 100k and 10M sat, and
 * node1_pub < node2_pub as in BOLT 7.
 */
export function syntheticGraph(options: SyntheticGraphOptions): DescribedGraph {
  const rng = createRng(seedOf('synthetic-graph', options.seed));
  const nodes: GraphNode[] = [];
  for (let i = 0; i < options.nodes; i++) {
    nodes.push({ pub_key: syntheticPubkey(options.seed, i), alias: `synthetic-${i}`, addresses: [{ network: 'tcp', addr: `10.${(i >> 8) & 255}.${i & 255}.1:9735` }] });
  }
  const edges: GraphEdge[] = [];
  let block = 800_000;
  for (let i = 0; i < options.nodes && options.nodes > 1; i++) {
    for (let c = 0; c < options.channelsPerNode; c++) {
      let j = intBelow(rng, options.nodes - 1);
      if (j >= i) j++;
      const a = nodes[i]?.pub_key ?? '';
      const b = nodes[j]?.pub_key ?? '';
      block++;
      edges.push({
        channel_id: ((BigInt(block) << 40n) | (1n << 16n)).toString(),
        chan_point: null,
        node1_pub: a < b ? a : b,
        node2_pub: a < b ? b : a,
        capacity: String(intBetween(rng, 100, 10_000) * 1_000),
      });
    }
  }
  return { nodes, edges };
}
