/**
 * The simulated fleet inside the real public graph (../shared/data, or $LNFLEET_GRAPH). The graph
 * is not part of the repository; when it is absent these tests are skipped with a message.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NodeNotificationType } from '../node/lightning-node.js';
import { loadGraphFile, type SimGraph } from './sim-graph.js';
import { Simnet } from './simnet.js';

const GRAPH_PATH = process.env.LNFLEET_GRAPH ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../../../shared/data/ln-graph-2025-10-25.json.gz');
const present = existsSync(GRAPH_PATH);
if (!present) {
  console.warn(`SKIPPED simnet real-graph tests: ${GRAPH_PATH} not found (set LNFLEET_GRAPH to the describegraph .json.gz)`);
}
const describeWithGraph = present ? describe : describe.skip;
const HOUR = 3_600_000;

describeWithGraph('Simnet on the real graph (2025-10-25)', () => {
  let graph: SimGraph;

  beforeAll(async () => {
    graph = await loadGraphFile(GRAPH_PATH);
  });

  it('loads all 12,827 nodes and 49,570 channels', () => {
    expect(graph.nodeCount).toBe(12_827);
    expect(graph.describe.edges).toHaveLength(49_570);
  });

  it('builds 1,000 fleet nodes sharing one graph and runs a simulated day of opens, flaps and payments', async () => {
    const net = Simnet.create(graph, { fleetSize: 1_000, seed: 2025, openDelayMs: HOUR, openFailureProbability: 0.1 });
    expect(new Set(net.nodes.map((n) => n.pubkey)).size).toBe(1_000);
    const counts = new Map<NodeNotificationType, number>();
    for (const node of net.nodes) {
      expect(graph.indexOf(node.pubkey)).toBeDefined();
      node.subscribe((n) => counts.set(n.type, (counts.get(n.type) ?? 0) + 1));
    }
    // Every node tries to open to a well-connected real node it has no channel with.
    const opened: Array<{ node: (typeof net.nodes)[number]; channelPoint: string }> = [];
    const failures = new Map<string, number>();
    for (const [i, node] of net.nodes.entries()) {
      const peers = new Set(node.openChannelStates().map((c) => c.peer));
      let target = (i * 37) % graph.nodeCount;
      while (graph.degree(target) < 20 || graph.node(target).addresses.length === 0 || peers.has(graph.node(target).pub_key) || graph.node(target).pub_key === node.pubkey) {
        target = (target + 1) % graph.nodeCount;
      }
      const result = await node.openChannel({ peer: graph.node(target).pub_key, peerAddresses: [], localFundingSat: 1_000_000, pushSat: 0, targetConf: 3, minConfs: 1, private: false });
      if (result.ok) opened.push({ node, channelPoint: result.channelPoint });
      else failures.set(result.kind, (failures.get(result.kind) ?? 0) + 1);
    }
    expect(failures.get('PEER_UNREACHABLE') ?? 0).toBe(0);
    expect(opened.length).toBeGreaterThan(800);
    expect(failures.get('REJECTED_BY_PEER') ?? 0).toBeGreaterThan(0);

    const ran = net.advance(24 * HOUR);
    expect(ran).toBeGreaterThan(10_000);
    for (const { node, channelPoint } of opened) {
      expect(node.openChannelStates().map((c) => c.channelPoint)).toContain(channelPoint);
    }
    expect(counts.get('channelOpened')).toBe(opened.length);
    expect(counts.get('peerOffline') ?? 0).toBeGreaterThan(100);
    expect(counts.get('balanceChanged') ?? 0).toBeGreaterThan(10_000);
    // Per-node state stays small: only the node's own channels and peers, never graph copies.
    for (const node of net.nodes) {
      expect(node.openChannelStates().length).toBeLessThanOrEqual(net.config.initialChannels + 1);
      expect((await node.describeGraph()) === graph.describe).toBe(true);
    }
    expect(net.clock.now()).toBe(net.config.startMs + 24 * HOUR);
  });
});
