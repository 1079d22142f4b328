import { Controller, Get, Param } from '@nestjs/common';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { ServiceContext } from '@lnfleet/service-kit';
import { consumerSettings } from '../config.js';
import { BackupEngine } from '../engine/backup-engine.js';
import { BackupQueries, type BackupsAnswer, type LatestAnswer } from './backup-queries.js';

/**
 * StatusAnswer is `GET /status`. `events`, `versions` and `files` are this process's counts since
 * `startedAt` (another replica, or an earlier process, counts apart). The backup reads six node
 * event types (snapshots, channel opens, closes and resolutions, own backups); the others (peer
 * flaps, balances, ...) its consumer acknowledges without handing them over, so they are in
 * `consumer` (the durable's stream-wide figures, all replicas) and not in `events`.
 */
export interface StatusAnswer {
  readonly startedAt: string;
  readonly events: {
    /** handled: events of the types it reads that this process finished (each redelivery counts again). */
    readonly handled: number;
    /** changedProjection: of those, the ones that changed a node's projection (channel set or own-backup mark). */
    readonly changedProjection: number;
    /** unchanged: of those, the ones that changed nothing: redelivered, repeated or stale. */
    readonly unchanged: number;
    /** putBack: deliveries handed back because an earlier event of their node had to be applied first. */
    readonly putBack: number;
  };
  readonly versions: { readonly channelSetStored: number; readonly ownStored: number; readonly pruned: number };
  readonly files: { readonly channelSetWritten: number; readonly ownWritten: number; readonly archivesPruned: number };
  /** consumer: the durable on the events stream, every event type, all replicas; null fields when NATS did not answer. */
  readonly consumer: {
    readonly name: string;
    readonly stream: string;
    /** acknowledgedThrough: the stream sequence up to which every event was acknowledged (the ack floor). */
    readonly acknowledgedThrough: number | null;
    /** pending: events not yet delivered. */
    readonly pending: number | null;
    /** awaitingAck: events delivered and not yet acknowledged. */
    readonly awaitingAck: number | null;
  };
}

/**
 * BackupHttpController serves (HTTP_PORT, default 8084):
 *
 * - `GET /nodes/:nodeId/backups`: every stored version of the node's channel-set and own backups
 * - `GET /nodes/:nodeId/backups/latest`: the newest versions and the channels they hold
 * - `GET /status`: what this process did, and how far the consumer is (StatusAnswer)
 *
 * (The probes, `/health` and `/health/ready`, are BackupHealthController's.) A malformed node id answers 400, a node never seen 404, both as `{ error: { code, message } }`.
 */
@Controller()
export class BackupHttpController {
  private readonly startedAt = new Date().toISOString();
  private jsm: Promise<JetStreamManager> | undefined;

  constructor(
    private readonly queries: BackupQueries,
    private readonly engine: BackupEngine,
    private readonly context: ServiceContext,
  ) {}

  @Get('nodes/:nodeId/backups')
  backups(@Param('nodeId') nodeId: string): Promise<BackupsAnswer> {
    return this.queries.backups(nodeId);
  }

  @Get('nodes/:nodeId/backups/latest')
  latest(@Param('nodeId') nodeId: string): Promise<LatestAnswer> {
    return this.queries.latest(nodeId);
  }

  @Get('status')
  async status(): Promise<StatusAnswer> {
    const counters = this.engine.stats();
    const name = consumerSettings(this.context.env).consumer;
    const stream = this.context.topology.streamName('events');
    this.jsm ??= jetstreamManager(this.context.connection);
    const info = await this.jsm.then((jsm) => jsm.consumers.info(stream, name)).catch(() => null);
    return {
      startedAt: this.startedAt,
      events: {
        handled: counters.applied + counters.duplicates,
        changedProjection: counters.applied,
        unchanged: counters.duplicates,
        putBack: counters.outOfTurn,
      },
      versions: { channelSetStored: counters.channelSetVersions, ownStored: counters.ownVersions, pruned: counters.pruned },
      files: { channelSetWritten: counters.channelSetFilesWritten, ownWritten: counters.ownFilesWritten, archivesPruned: counters.archivesPruned },
      consumer: {
        name,
        stream,
        acknowledgedThrough: info?.ack_floor.stream_seq ?? null,
        pending: info?.num_pending ?? null,
        awaitingAck: info?.num_ack_pending ?? null,
      },
    };
  }
}
