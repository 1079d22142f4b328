import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from '@nats-io/nats-core';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { Topology } from '@lnfleet/contracts';
import { encodeGraphSnapshot, graphSnapshotEvent } from '../gateway/graph-snapshot.js';
import type { NodeSession, SessionLogger } from './node-session.js';
import type { Publisher } from './publish-until-stored.js';

/** GraphPublisherOptions tune the refresh. */
export interface GraphPublisherOptions {
  /** intervalMs is the time between snapshots. Default one hour. */
  readonly intervalMs?: number;
  /** retryMs is the wait after a failed attempt. Default 30 s. */
  readonly retryMs?: number;
  /** pollMs is how often to look for a connected node before the first snapshot. Default 250 ms. */
  readonly pollMs?: number;
}

/**
 * GraphPublisher stores the public channel graph, as one connected node sees it, in the JetStream
 * object store under a name derived from its content, and announces each version with a
 * GraphSnapshotPublished event; it refreshes on a schedule. The graph is large and shared by the
 * fleet, so it is never published as one message per gossip update, and an unchanged graph is
 * not stored again.
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
  ) {}

  /** publishedCount is how many snapshots this publisher announced. */
  get publishedCount(): number {
    return this.published;
  }

  /** start begins the schedule: a first snapshot as soon as a node is connected, then every interval. */
  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  /** publishOnce takes one snapshot from a connected node; false when no node is connected. */
  async publishOnce(): Promise<boolean> {
    const session = this.sessions().find((s) => s.status === 'connected' && s.nodeId !== undefined);
    const nodeId = session?.nodeId;
    if (session === undefined || nodeId === undefined) return false;
    const takenAt = this.now();
    const snapshot = encodeGraphSnapshot(await session.node.describeGraph());
    const bucket = this.topology.graphSnapshotBucket();
    this.store ??= await new Objm(this.connection).create(bucket, { description: 'Public channel graph snapshots (lnd DescribeGraph JSON, gzipped), named by content.' });
    const existing = await this.store.info(snapshot.objectName);
    if (existing === null || existing.deleted) {
      await this.store.putBlob({ name: snapshot.objectName, description: `graph ${snapshot.version}: ${snapshot.nodeCount} nodes, ${snapshot.channelCount} channels` }, snapshot.bytes);
    }
    await this.publisher.publish(graphSnapshotEvent(nodeId, snapshot, bucket, takenAt));
    this.published++;
    return true;
  }

  /** stopped is a method so that the loop re-reads it after every await. */
  private stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    const interval = this.options.intervalMs ?? 3_600_000;
    while (!this.stopped()) {
      let wait: number;
      try {
        wait = (await this.publishOnce()) ? interval : (this.options.pollMs ?? 250);
      } catch (error) {
        if (this.stopped()) break;
        this.logger.warn(`graph snapshot failed, retrying: ${error instanceof Error ? error.message : String(error)}`);
        wait = this.options.retryMs ?? 30_000;
      }
      await sleep(wait, undefined, { signal }).catch(() => undefined);
    }
  }
}
