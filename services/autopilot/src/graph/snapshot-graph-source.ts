/**
 * SnapshotGraphSource follows the graph snapshots the node-gateway stores in the JetStream object
 * store (GraphSnapshotPublished names them): the newest snapshot becomes the current graph once
 * its centrality is computed. Until the first snapshot is loaded, a fallback source (the
 * describegraph file) answers, or `current()` waits.
 *
 * Why a bucket watch and not the GraphSnapshotPublished events: every replica needs every new
 * graph, while the service's durable consumer hands each event to one replica only. Each replica
 * watches the bucket itself (objects are named by content, so a re-published unchanged graph is
 * not a new object).
 */
import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { Objm, type ObjectInfo, type ObjectStore } from '@nats-io/obj';
import { computeView, GraphLoadError, loadGraph, type CentralityOptions, type GraphSource, type GraphView } from './graph-source.js';

/** SnapshotGraphSource serves the newest gateway graph snapshot (see the module comment). */
export class SnapshotGraphSource implements GraphSource {
  private readonly logger = new Logger('SnapshotGraphSource');
  private view?: GraphView;
  private loadedMtimeMs = Number.NEGATIVE_INFINITY;
  private store?: ObjectStore;
  private stopWatch?: () => void;
  private watching?: Promise<void>;
  private readonly waiters: ((view: GraphView) => void)[] = [];

  constructor(
    private readonly connection: NatsConnection,
    private readonly bucket: string,
    private readonly options: CentralityOptions,
    private readonly fallback?: GraphSource,
  ) {}

  /** start opens (or creates) the bucket and begins watching it; it does not wait for a graph. */
  async start(): Promise<void> {
    this.store = await new Objm(this.connection).create(this.bucket, {
      description: 'Public channel graph snapshots (lnd DescribeGraph JSON, gzipped), named by content.',
    });
    const watcher = await this.store.watch({ ignoreDeletes: true, includeHistory: true });
    this.stopWatch = () => {
      watcher.stop();
    };
    this.watching = (async () => {
      for await (const info of watcher) {
        // Initial values and updates alike: load the newest one seen so far, one at a time.
        if (info.deleted || Date.parse(info.mtime) <= this.loadedMtimeMs) continue;
        try {
          await this.load(info);
        } catch (error) {
          this.logger.error(`graph snapshot ${info.name} not loaded: ${String(error)}`);
        }
      }
    })();
  }

  /** current is the newest loaded snapshot, else the fallback's graph, else the first snapshot to come. */
  current(): Promise<GraphView> {
    if (this.view !== undefined) return Promise.resolve(this.view);
    if (this.fallback !== undefined) return this.fallback.current();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** loaded is the newest loaded snapshot, else the fallback's graph if loaded; undefined before any. */
  loaded(): GraphView | undefined {
    return this.view ?? this.fallback?.loaded();
  }

  /** close stops watching the bucket. */
  async close(): Promise<void> {
    this.stopWatch?.();
    await this.watching;
  }

  private async load(info: ObjectInfo): Promise<void> {
    const store = this.store;
    if (store === undefined) return;
    const started = Date.now();
    const bytes = await store.getBlob(info.name);
    if (bytes === null) throw new GraphLoadError(`snapshot ${info.name} vanished from ${this.bucket}`);
    const version = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    // Parsed off the event loop (workers > 0): the real graph's JSON takes about a second.
    const graph = await loadGraph(bytes, true, `snapshot ${info.name}`, this.options);
    const view = await computeView(graph, version, this.options);
    this.view = view;
    this.loadedMtimeMs = Date.parse(info.mtime);
    for (const resolve of this.waiters.splice(0)) resolve(view);
    this.logger.log(`graph snapshot ${version}: ${view.graph.nodeCount} nodes, ${view.graph.channelCount} channels, current after ${Date.now() - started} ms`);
  }
}
