/**
 * Where the autopilot gets the public channel graph from, and the graph's centrality with it.
 *
 * A {@link GraphView} is one version of the graph with its normalized betweenness centrality,
 * computed once per version (never per decision). Today the graph comes from an lnd
 * `describegraph` JSON file ({@link FileGraphSource}); the node-gateway will publish graph
 * snapshots later, and a source reading those will implement the same interface.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { ChannelGraph, type DescribeGraphJson } from './channel-graph.js';
import { betweennessCentrality, normalizeBetweenness } from '../heuristics/betweenness-centrality.js';
import { betweennessCentralityParallel } from '../heuristics/parallel-centrality.js';

/** GraphView is one version of the channel graph and its normalized betweenness centrality. */
export interface GraphView {
  /** version identifies the graph's content; decisions record it. */
  readonly version: string;
  readonly graph: ChannelGraph;
  /** centrality is the normalized betweenness of every node, indexed like the graph. */
  readonly centrality: Float64Array;
}

/** GraphSource supplies the current graph; `current` resolves once the first version is ready. */
export interface GraphSource {
  /** current returns the newest graph view; it rejects when no graph could be loaded. */
  current(): Promise<GraphView>;
  /** close releases what the source holds open (watches); optional. */
  close?(): Promise<void>;
}

/** CentralityOptions says how to compute centrality for a new graph version. */
export interface CentralityOptions {
  /** workers is the number of worker threads; 0 computes on the calling thread (small graphs, tests). */
  readonly workers: number;
  /** workerUrl overrides the compiled worker module (see parallel-centrality.ts). */
  readonly workerUrl?: URL;
}

/** computeView computes a graph's normalized centrality, off the event loop when workers > 0. */
export async function computeView(graph: ChannelGraph, version: string, options: CentralityOptions): Promise<GraphView> {
  const raw =
    options.workers > 0
      ? await betweennessCentralityParallel(graph, options.workers, options.workerUrl === undefined ? {} : { workerUrl: options.workerUrl })
      : betweennessCentrality(graph);
  return { version, graph, centrality: normalizeBetweenness(raw) };
}

/** StaticGraphSource serves one graph built in code (tests, simulations); centrality computed once. */
export class StaticGraphSource implements GraphSource {
  private view?: Promise<GraphView>;

  constructor(
    private readonly graph: ChannelGraph,
    private readonly version: string,
    private readonly options: CentralityOptions = { workers: 0 },
  ) {}

  current(): Promise<GraphView> {
    this.view ??= computeView(this.graph, this.version, this.options);
    return this.view;
  }
}

/** GraphLoadError says the graph file could not be read or parsed. */
export class GraphLoadError extends Error {
  override readonly name = 'GraphLoadError';
  readonly code = 'GRAPH_LOAD_FAILED';
}

/**
 * FileGraphSource loads lnd `describegraph` JSON (gzipped when the name ends in .gz) once, names
 * the version after the file's SHA-256, and computes centrality for it. A failed load is not
 * cached: the next `current()` tries again (the caller's message is retried meanwhile).
 */
export class FileGraphSource implements GraphSource {
  private view?: Promise<GraphView>;

  constructor(
    readonly path: string,
    private readonly options: CentralityOptions,
  ) {}

  current(): Promise<GraphView> {
    if (this.view === undefined) {
      const loading = this.load();
      this.view = loading;
      loading.catch(() => {
        if (this.view === loading) this.view = undefined;
      });
    }
    return this.view;
  }

  private async load(): Promise<GraphView> {
    let json: DescribeGraphJson;
    let version: string;
    try {
      const bytes = await readFile(this.path);
      version = `sha256:${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}`;
      const text = (this.path.endsWith('.gz') ? await promisify(gunzip)(bytes) : bytes).toString('utf8');
      json = JSON.parse(text) as DescribeGraphJson;
    } catch (cause) {
      throw new GraphLoadError(`cannot load the channel graph from ${this.path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    if (!Array.isArray(json.nodes) || !Array.isArray(json.edges)) {
      throw new GraphLoadError(`${this.path} is not lnd describegraph JSON (needs "nodes" and "edges" lists)`);
    }
    return computeView(ChannelGraph.fromDescribeGraph(json), version, this.options);
  }
}
