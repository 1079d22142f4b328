import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import { ServiceContext } from '@lnfleet/service-kit';
import { Clock } from '../clock.js';
import { CHANFITNESS_CONFIG, type ChanfitnessConfig } from '../config.js';
import { FitnessEventStore } from '../projection/event-store.js';
import { FitnessProjection, type NodeState } from '../projection/fitness-projection.js';
import { FitnessSignals } from './fitness-signals.js';

/** SWEEP_CHUNK is how many nodes one sweep step judges (one statuses read per step). */
const SWEEP_CHUNK = 100;

/**
 * FitnessSweep judges every tracked peer again every CHANFITNESS_REJUDGE_MS, so a peer that went
 * offline and stays silent is reported LOW_UPTIME without waiting for its next event.
 *
 * A sweep judges a node at the sweep's time rounded down to the period, or at the node's newest
 * event if that is later: every replica sweeping in the same period judges at the same instant
 * and publishes the same ids, which JetStream keeps once. While the consumer is far behind (a
 * rebuild replaying the stream) there is no sweep: the states are not current.
 */
@Injectable()
export class FitnessSweep implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('chanfitness-sweep');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    @Inject(CHANFITNESS_CONFIG) private readonly config: ChanfitnessConfig,
    private readonly context: ServiceContext,
    private readonly store: FitnessEventStore,
    private readonly projection: FitnessProjection,
    private readonly signals: FitnessSignals,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.rejudgeMs === 0) return;
    this.timer = setInterval(() => {
      this.sweep().catch((error: unknown) => {
        this.logger.warn(`sweep failed, next one in ${this.config.rejudgeMs} ms: ${error instanceof Error ? error.message : String(error)}`);
      });
    }, this.config.rejudgeMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** sweep judges every tracked peer now and returns how many verdicts changed (0 while a sweep runs or the consumer lags). */
  sweep(): Promise<number> {
    if (this.running !== undefined) return Promise.resolve(0);
    this.running = this.sweepOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async sweepOnce(): Promise<number> {
    if (!(await this.caughtUp())) return 0;
    const period = Math.max(1, this.config.rejudgeMs);
    const at = Math.floor(this.clock.now() / period) * period;
    const nodeIds = await this.store.nodeIds();
    let changed = 0;
    for (let i = 0; i < nodeIds.length; i += SWEEP_CHUNK) {
      const byTime = new Map<number, NodeState[]>();
      for (const nodeId of nodeIds.slice(i, i + SWEEP_CHUNK)) {
        const node = await this.projection.nodeState(nodeId, Number.MAX_SAFE_INTEGER);
        const judgedAt = Math.max(at, node.version.lastOccurredMs);
        byTime.set(judgedAt, [...(byTime.get(judgedAt) ?? []), node]);
      }
      for (const [judgedAt, nodes] of byTime) changed += await this.signals.rejudge(nodes, judgedAt);
    }
    return changed;
  }

  /** caughtUp says whether the events consumer has at most a few batches waiting. */
  private async caughtUp(): Promise<boolean> {
    const jsm = await jetstreamManager(this.context.connection);
    const info = await jsm.consumers.info(this.context.topology.streamName('events'), this.config.consumer);
    return info.num_pending <= 4 * this.config.batchSize;
  }
}
