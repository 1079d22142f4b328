/**
 * A compact, immutable, in-memory view of the public channel graph for the autopilot heuristics.
 *
 * Nodes get dense integer indices (0..nodeCount-1) in the order they are first seen; adjacency is
 * stored in compressed sparse row (CSR) form in `Int32Array`s, so graph algorithms run over flat
 * typed arrays instead of per-node objects. The graph is undirected and keeps one adjacency entry
 * per channel on each side: two parallel channels between the same pair appear twice, as they do
 * in lnd's autopilot graph. Channel policies are not used by any heuristic and are not kept.
 */

/** NodeAddress is one network address a node announces, as in lnd's describegraph JSON. */
export interface NodeAddress {
  readonly network: string;
  readonly addr: string;
}

/** DescribeGraphNode is the part of a describegraph node this graph reads. */
export interface DescribeGraphNode {
  readonly pub_key: string;
  readonly alias?: string;
  readonly addresses?: readonly NodeAddress[] | null;
}

/** DescribeGraphEdge is the part of a describegraph edge this graph reads. */
export interface DescribeGraphEdge {
  readonly channel_id: string;
  readonly node1_pub: string;
  readonly node2_pub: string;
  /** Capacity in satoshis; lnd's JSON encodes 64-bit integers as strings. */
  readonly capacity: string | number;
}

/** DescribeGraphJson is the shape of lnd's `lncli describegraph` answer (extra fields are ignored). */
export interface DescribeGraphJson {
  readonly nodes: readonly DescribeGraphNode[];
  readonly edges: readonly DescribeGraphEdge[];
}

/** CsrAdjacency is the minimal adjacency structure the centrality kernel needs. */
export interface CsrAdjacency {
  /** nodeCount is the number of nodes; node indices run from 0 to nodeCount-1. */
  readonly nodeCount: number;
  /** offsets has nodeCount+1 entries: node v's neighbours are neighbours[offsets[v] .. offsets[v+1]). */
  readonly offsets: Int32Array;
  /** neighbours holds the node index at the other end of each adjacency entry. */
  readonly neighbours: Int32Array;
}

/** GraphNodeInput describes one node when building a graph directly (tests, simulations). */
export interface GraphNodeInput {
  readonly pubKey: string;
  readonly alias?: string;
  readonly addresses?: readonly NodeAddress[];
}

/** GraphChannelInput describes one channel when building a graph directly. */
export interface GraphChannelInput {
  readonly channelId: string;
  readonly node1: string;
  readonly node2: string;
  readonly capacitySat: number;
}

const NO_ADDRESSES: readonly NodeAddress[] = Object.freeze([]);

/**
 * GraphParts are a graph's node and channel lists as plain arrays: what a worker thread that
 * parsed a describegraph JSON hands to the main thread (structured clone, typed arrays moved).
 */
export interface GraphParts {
  readonly pubKeys: string[];
  readonly aliases: string[];
  readonly addresses: (readonly NodeAddress[])[];
  readonly channelIds: string[];
  readonly channelNode1: Int32Array;
  readonly channelNode2: Int32Array;
  readonly capacities: Float64Array;
}

/**
 * ChannelGraph is an immutable snapshot of the channel graph with integer node indices and CSR
 * adjacency. Build it with {@link ChannelGraph.fromDescribeGraph} or {@link ChannelGraph.fromChannels}.
 *
 * Building rules: a channel whose endpoints are not in the node list adds those nodes (without
 * addresses); a repeated channel id is ignored after its first occurrence; a channel from a node
 * to itself is ignored (it cannot exist on Lightning and would only distort the heuristics);
 * a repeated node keeps its first entry.
 */
export class ChannelGraph implements CsrAdjacency {
  /** nodeCount is the number of nodes in the graph. */
  readonly nodeCount: number;
  /** channelCount is the number of distinct channels (parallel channels counted separately). */
  readonly channelCount: number;
  /** pubKeys maps a node index to its hex public key. */
  readonly pubKeys: readonly string[];
  /** aliases maps a node index to its alias ('' when unknown). */
  readonly aliases: readonly string[];
  /** addresses maps a node index to the addresses it announces (empty when unreachable). */
  readonly addresses: readonly (readonly NodeAddress[])[];
  /** channelIds maps a channel index to its short channel id (decimal string). */
  readonly channelIds: readonly string[];
  /** channelNode1 and channelNode2 hold each channel's endpoint node indices. */
  readonly channelNode1: Int32Array;
  /** channelNode2 holds each channel's second endpoint node index. */
  readonly channelNode2: Int32Array;
  /** capacities holds each channel's capacity in satoshis. */
  readonly capacities: Float64Array;
  /** offsets is the CSR row index: node v's entries are offsets[v] .. offsets[v+1]-1. */
  readonly offsets: Int32Array;
  /** neighbours holds, per adjacency entry, the node at the other end of the channel. */
  readonly neighbours: Int32Array;
  /** entryChannels holds, per adjacency entry, the channel index it comes from. */
  readonly entryChannels: Int32Array;

  private readonly indexByPubKey: ReadonlyMap<string, number>;

  private constructor(
    pubKeys: string[],
    aliases: string[],
    addresses: (readonly NodeAddress[])[],
    indexByPubKey: Map<string, number>,
    channelIds: string[],
    channelNode1: Int32Array,
    channelNode2: Int32Array,
    capacities: Float64Array,
  ) {
    this.nodeCount = pubKeys.length;
    this.channelCount = channelIds.length;
    this.pubKeys = pubKeys;
    this.aliases = aliases;
    this.addresses = addresses;
    this.indexByPubKey = indexByPubKey;
    this.channelIds = channelIds;
    this.channelNode1 = channelNode1;
    this.channelNode2 = channelNode2;
    this.capacities = capacities;

    const n = this.nodeCount;
    const m = this.channelCount;
    const degrees = new Int32Array(n);
    for (let c = 0; c < m; c++) {
      const a = channelNode1[c] ?? 0;
      const b = channelNode2[c] ?? 0;
      degrees[a] = (degrees[a] ?? 0) + 1;
      degrees[b] = (degrees[b] ?? 0) + 1;
    }
    const offsets = new Int32Array(n + 1);
    for (let v = 0; v < n; v++) {
      offsets[v + 1] = (offsets[v] ?? 0) + (degrees[v] ?? 0);
    }
    const cursor = offsets.slice(0, n);
    const neighbours = new Int32Array(2 * m);
    const entryChannels = new Int32Array(2 * m);
    for (let c = 0; c < m; c++) {
      const a = channelNode1[c] ?? 0;
      const b = channelNode2[c] ?? 0;
      const ea = cursor[a] ?? 0;
      cursor[a] = ea + 1;
      neighbours[ea] = b;
      entryChannels[ea] = c;
      const eb = cursor[b] ?? 0;
      cursor[b] = eb + 1;
      neighbours[eb] = a;
      entryChannels[eb] = c;
    }
    this.offsets = offsets;
    this.neighbours = neighbours;
    this.entryChannels = entryChannels;
  }

  /** toParts returns the graph's lists (shared, not copied) to rebuild it elsewhere with {@link ChannelGraph.fromParts}. */
  toParts(): GraphParts {
    return {
      pubKeys: [...this.pubKeys],
      aliases: [...this.aliases],
      addresses: [...this.addresses],
      channelIds: [...this.channelIds],
      channelNode1: this.channelNode1,
      channelNode2: this.channelNode2,
      capacities: this.capacities,
    };
  }

  /**
   * fromParts rebuilds a graph from {@link ChannelGraph.toParts}: the lists are taken as they are
   * (already de-duplicated and indexed), only the key index and the adjacency are built.
   */
  static fromParts(parts: GraphParts): ChannelGraph {
    const { pubKeys, channelNode1, channelNode2 } = parts;
    const channels = parts.channelIds.length;
    if (parts.aliases.length !== pubKeys.length || parts.addresses.length !== pubKeys.length) throw new RangeError('graph parts: node lists differ in length');
    if (channelNode1.length !== channels || channelNode2.length !== channels || parts.capacities.length !== channels) {
      throw new RangeError('graph parts: channel lists differ in length');
    }
    const indexByPubKey = new Map<string, number>();
    pubKeys.forEach((pubKey, index) => indexByPubKey.set(pubKey, index));
    if (indexByPubKey.size !== pubKeys.length) throw new RangeError('graph parts: repeated public key');
    for (let c = 0; c < channels; c++) {
      const a = channelNode1[c] ?? -1;
      const b = channelNode2[c] ?? -1;
      if (a < 0 || b < 0 || a >= pubKeys.length || b >= pubKeys.length) throw new RangeError(`graph parts: channel ${c} has an end outside the node list`);
    }
    return new ChannelGraph(pubKeys, parts.aliases, parts.addresses, indexByPubKey, parts.channelIds, channelNode1, channelNode2, parts.capacities);
  }

  /** fromDescribeGraph builds a graph from lnd's describegraph JSON (`lncli describegraph`). */
  static fromDescribeGraph(json: DescribeGraphJson): ChannelGraph {
    return ChannelGraph.fromChannels(
      json.nodes.map((node) => ({
        pubKey: node.pub_key,
        alias: node.alias ?? '',
        addresses: node.addresses ?? NO_ADDRESSES,
      })),
      json.edges.map((edge) => ({
        channelId: edge.channel_id,
        node1: edge.node1_pub,
        node2: edge.node2_pub,
        capacitySat: Number(edge.capacity),
      })),
    );
  }

  /** fromChannels builds a graph from plain node and channel lists. */
  static fromChannels(nodes: readonly GraphNodeInput[], channels: readonly GraphChannelInput[]): ChannelGraph {
    const pubKeys: string[] = [];
    const aliases: string[] = [];
    const addresses: (readonly NodeAddress[])[] = [];
    const indexByPubKey = new Map<string, number>();
    const addNode = (pubKey: string, alias: string, addrs: readonly NodeAddress[]): number => {
      const known = indexByPubKey.get(pubKey);
      if (known !== undefined) return known;
      const index = pubKeys.length;
      indexByPubKey.set(pubKey, index);
      pubKeys.push(pubKey);
      aliases.push(alias);
      addresses.push(addrs.length === 0 ? NO_ADDRESSES : Object.freeze(addrs.map((a) => ({ network: a.network, addr: a.addr }))));
      return index;
    };
    for (const node of nodes) addNode(node.pubKey, node.alias ?? '', node.addresses ?? NO_ADDRESSES);

    const seenChannels = new Set<string>();
    const channelIds: string[] = [];
    const ends1: number[] = [];
    const ends2: number[] = [];
    const caps: number[] = [];
    for (const channel of channels) {
      if (channel.node1 === channel.node2 || seenChannels.has(channel.channelId)) continue;
      if (!Number.isFinite(channel.capacitySat) || channel.capacitySat < 0) {
        throw new RangeError(`channel ${channel.channelId} has an invalid capacity ${String(channel.capacitySat)}`);
      }
      seenChannels.add(channel.channelId);
      channelIds.push(channel.channelId);
      ends1.push(addNode(channel.node1, '', NO_ADDRESSES));
      ends2.push(addNode(channel.node2, '', NO_ADDRESSES));
      caps.push(channel.capacitySat);
    }
    return new ChannelGraph(
      pubKeys,
      aliases,
      addresses,
      indexByPubKey,
      channelIds,
      Int32Array.from(ends1),
      Int32Array.from(ends2),
      Float64Array.from(caps),
    );
  }

  /** indexOf returns the node index of a public key, or undefined when the node is not in the graph. */
  indexOf(pubKey: string): number | undefined {
    return this.indexByPubKey.get(pubKey);
  }

  /** has tells whether a node is in the graph. */
  has(pubKey: string): boolean {
    return this.indexByPubKey.has(pubKey);
  }

  /** degree returns the number of adjacency entries (channels, parallel ones counted) of a node. */
  degree(index: number): number {
    return (this.offsets[index + 1] ?? 0) - (this.offsets[index] ?? 0);
  }

  /** neighbourIndices returns a view of a node's adjacency entries (one per channel). */
  neighbourIndices(index: number): Int32Array {
    return this.neighbours.subarray(this.offsets[index] ?? 0, this.offsets[index + 1] ?? 0);
  }
}
