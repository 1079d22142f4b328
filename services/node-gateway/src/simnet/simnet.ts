import { createRng, sampleIndices, seedOf } from './prng.js';
import { SimClock } from './sim-clock.js';
import type { SimGraph } from './sim-graph.js';
import { SimNode } from './sim-node.js';
import { resolveSimnetConfig, SimnetConfigError, type SimnetConfig } from './simnet-config.js';

/**
 * Simnet is a simulated fleet inside a real (or synthetic) public graph: `fleetSize` graph nodes,
 * picked by the seed among those with channels, each a SimNode with a wallet, some of its real
 * channels and their peers, all driven by one SimClock. The same graph, seed and configuration
 * always give the same run, whatever the wall clock does.
 */
export class Simnet {
  readonly clock: SimClock;
  readonly config: SimnetConfig;
  readonly nodes: readonly SimNode[];
  private readonly byPubkey: ReadonlyMap<string, SimNode>;

  private constructor(
    readonly graph: SimGraph,
    config: SimnetConfig,
    clock: SimClock,
  ) {
    this.config = config;
    this.clock = clock;
    const candidates: number[] = [];
    for (let i = 0; i < graph.nodeCount; i++) if (graph.degree(i) > 0) candidates.push(i);
    if (config.fleetSize > candidates.length) {
      throw new SimnetConfigError('fleetSize', `the graph has only ${candidates.length} nodes with channels, ${config.fleetSize} were asked for`);
    }
    const picks = sampleIndices(createRng(seedOf(config.seed, 'fleet')), candidates.length, config.fleetSize);
    const context = { clock, graph, config };
    this.nodes = picks.map((pick, fleetIndex) => {
      const graphIndex = candidates[pick] ?? -1;
      return new SimNode(context, { graphIndex, rng: createRng(seedOf(config.seed, 'node', fleetIndex)) });
    });
    this.byPubkey = new Map(this.nodes.map((node) => [node.pubkey, node]));
  }

  /** create builds a fleet; overrides change the defaults (see SimnetConfig). */
  static create(graph: SimGraph, overrides: Partial<SimnetConfig> = {}): Simnet {
    const config = resolveSimnetConfig(overrides);
    return new Simnet(graph, config, new SimClock(config.startMs));
  }

  /** node returns the fleet node with a pubkey, if it is one. */
  node(pubkey: string): SimNode | undefined {
    return this.byPubkey.get(pubkey);
  }

  /** at returns the fleet node at an index (in pick order). */
  at(index: number): SimNode {
    const node = this.nodes[index];
    if (node === undefined) throw new RangeError(`the fleet has ${this.nodes.length} nodes, not #${index}`);
    return node;
  }

  /** advance moves simulated time forward, running everything that falls due (see SimClock.advance). */
  advance(ms: number): number {
    return this.clock.advance(ms);
  }
}
