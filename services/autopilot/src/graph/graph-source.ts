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
import { type ChannelGraph } from './channel-graph.js';
import { GraphLoadError, parseDescribeGraph, parseDescribeGraphInWorker } from './parse-graph.js';
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
  /** loaded returns the newest graph view available now, without waiting; undefined while there is none. */
  loaded(): GraphView | undefined;
  /** close releases what the source holds open (watches); optional. */
  close?(): Promise<void>;
}

export { GraphLoadError } from './parse-graph.js';

/** CentralityOptions says how to load a new graph version and compute its centrality. */
export interface CentralityOptions {
  /**
   * workers is the number of centrality worker threads; with workers > 0 a graph file or
   * snapshot is also parsed in a worker thread. 0 does everything on the calling thread (small
   * graphs, tests under jest, which cannot start workers from `.ts` sources).
   */
  readonly workers: number;
  /** workerUrl overrides the compiled centrality worker module (see parallel-centrality.ts). */
  readonly workerUrl?: URL;
  /** parseWorkerUrl overrides the compiled graph parse worker module (see parse-graph.ts). */
  readonly parseWorkerUrl?: URL;
}

/** loadGraph parses describegraph JSON bytes, in a worker thread when `options.workers` > 0. */
export function loadGraph(bytes: Uint8Array, gzipped: boolean, origin: string, options: CentralityOptions): Promise<ChannelGraph> {
  return options.workers > 0 ? parseDescribeGraphInWorker(bytes, gzipped, origin, options.parseWorkerUrl) : Promise.resolve(parseDescribeGraph(bytes, gzipped, origin));
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
  private ready?: GraphView;

  constructor(
    private readonly graph: ChannelGraph,
    private readonly version: string,
    private readonly options: CentralityOptions = { workers: 0 },
  ) {}

  current(): Promise<GraphView> {
    this.view ??= computeView(this.graph, this.version, this.options).then((view) => (this.ready = view));
    return this.view;
  }

  loaded(): GraphView | undefined {
    return this.ready;
  }
}

/**
 * FileGraphSource loads lnd `describegraph` JSON (gzipped when the name ends in .gz) once, names
 * the version after the file's SHA-256, and computes centrality for it. A failed load is not
 * cached: the next `current()` tries again (the caller's message is retried meanwhile).
 */
export class FileGraphSource implements GraphSource {
  private view?: Promise<GraphView>;
  private ready?: GraphView;

  constructor(
    readonly path: string,
    private readonly options: CentralityOptions,
  ) {}

  current(): Promise<GraphView> {
    if (this.view === undefined) {
      const loading = this.load().then((view) => (this.ready = view));
      this.view = loading;
      loading.catch(() => {
        if (this.view === loading) this.view = undefined;
      });
    }
    return this.view;
  }

  loaded(): GraphView | undefined {
    return this.ready;
  }

  private async load(): Promise<GraphView> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.path);
    } catch (cause) {
      throw new GraphLoadError(`cannot load the channel graph from ${this.path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    const version = `sha256:${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}`;
    const graph = await loadGraph(bytes, this.path.endsWith('.gz'), `from ${this.path}`, this.options);
    return computeView(graph, version, this.options);
  }
}
