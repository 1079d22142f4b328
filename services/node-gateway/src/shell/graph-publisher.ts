import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from '@nats-io/nats-core';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { Topology } from '@lnfleet/contracts';
import { encodeGraphSnapshot, graphSnapshotEvent } from '../gateway/graph-snapshot.js';
import type { LeaseKeeper } from './kv-lease.js';
import type { NodeSession, SessionLogger } from './node-session.js';
import type { Publisher } from './publish-until-stored.js';

/** GraphPublisherOptions tune the refresh. */
export interface GraphPublisherOptions {
  /** intervalMs is the time between snapshots. Default one hour. */
  readonly intervalMs?: number;
  /** retryMs is the wait after a failed attempt. Default 30 s. */
  readonly retryMs?: number;
  /** pollMs is how often to look for a connected node before the first snapshot, and for the lease while another replica holds it. Default 250 ms. */
  readonly pollMs?: number;
  /** streamReplicas is the object store's stream replicas (LNFLEET_STREAM_REPLICAS). Default 1. */
  readonly streamReplicas?: number;
}

/**
 * GraphPublisher stores the public channel graph, as one connected node sees it, in the JetStream
 * object store under a name derived from its content, and announces each version with a
 * GraphSnapshotPublished event; it refreshes on a schedule. The graph is large and shared by the
 * fleet, so it is never published as one message per gossip update, and an unchanged graph is
 * not stored again. With a lease, only the replica holding it publishes (one publisher per
 * fleet); the others wait and take over when the holder stops renewing.
 */
export class GraphPublisher {
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private store: ObjectStore | undefined;
  private published = 0;

  constructor(
    private readonly connection: NatsConnection,
    private readonly topology: Topology,
    private readonly publisher: Publisher,
    private readonly sessions: () => readonly NodeSession[],
    private readonly now: () => number,
    private readonly logger: SessionLogger,
    private readonly options: GraphPublisherOptions = {},
    /** lease, when set, must be held to publish (several replicas, one publisher). */
    private readonly lease?: LeaseKeeper,
  ) {}

  /** isPublisher says whether this replica may publish now (holds the lease, or needs none). */
  get isPublisher(): boolean {
    return this.mayPublish();
  }

  /** mayPublish is isPublisher as a method, so that checks after an await read it again. */
  private mayPublish(): boolean {
    return this.lease === undefined || this.lease.held;
  }

  /** publishedCount is how many snapshots this publisher announced. */
  get publishedCount(): number {
    return this.published;
  }

  /** start begins the schedule: a first snapshot as soon as a node is connected, then every interval. */
  start(): void {
    this.lease?.start();
    this.loop ??= this.run();
  }

  /** stop ends the schedule and releases the lease, so that another replica takes over at once. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    await this.lease?.stop();
  }

  /** publishOnce takes one snapshot from a connected node; false when no node is connected or another replica is the publisher. */
  async publishOnce(): Promise<boolean> {
    if (!this.mayPublish()) return false;
    const session = this.sessions().find((s) => s.status === 'connected' && s.nodeId !== undefined);
    const nodeId = session?.nodeId;
    if (session === undefined || nodeId === undefined) return false;
    const takenAt = this.now();
    const snapshot = encodeGraphSnapshot(await session.node.describeGraph());
    const bucket = this.topology.graphSnapshotBucket();
    this.store ??= await new Objm(this.connection).create(bucket, {
      description: 'Public channel graph snapshots (lnd DescribeGraph JSON, gzipped), named by content.',
      replicas: this.options.streamReplicas ?? 1,
    });
    // DescribeGraph can take minutes: check again that this replica is still the publisher.
    if (!this.mayPublish()) return false;
    const existing = await this.store.info(snapshot.objectName);
    if (existing === null || existing.deleted) {
      await this.store.putBlob({ name: snapshot.objectName, description: `graph ${snapshot.version}: ${snapshot.nodeCount} nodes, ${snapshot.channelCount} channels` }, snapshot.bytes);
    }
    if (!this.mayPublish()) return false;
    await this.publisher.publish(graphSnapshotEvent(nodeId, snapshot, bucket, takenAt));
    this.published++;
    return true;
  }

  /**
   * sleepWhilePublisher waits `ms` until the next snapshot, but wakes when this replica loses the
   * lease, so that it publishes at once if it takes the lease again later.
   */
  private async sleepWhilePublisher(ms: number, signal: AbortSignal): Promise<void> {
    const until = performance.now() + ms;
    const step = this.options.pollMs ?? 250;
    while (!signal.aborted && this.mayPublish() && performance.now() < until) {
      await sleep(Math.min(step, until - performance.now()), undefined, { signal }).catch(() => undefined);
    }
  }

  /** stopped is a method so that the loop re-reads it after every await. */
  private stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    const interval = this.options.intervalMs ?? 3_600_000;
    while (!this.stopped()) {
      try {
        if (await this.publishOnce()) {
          await this.sleepWhilePublisher(interval, signal);
          continue;
        }
        // No node connected yet, or another replica is the publisher: look again soon.
        await sleep(this.options.pollMs ?? 250, undefined, { signal }).catch(() => undefined);
      } catch (error) {
        if (this.stopped()) break;
        this.logger.warn(`graph snapshot failed, retrying: ${error instanceof Error ? error.message : String(error)}`);
        await sleep(this.options.retryMs ?? 30_000, undefined, { signal }).catch(() => undefined);
      }
    }
  }
}
