import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { ReadinessCheck, ReadinessState } from '@lnfleet/service-kit';
import { CHANFITNESS_CONFIG, type ChanfitnessConfig } from '../config.js';
import { FitnessEventStore } from './event-store.js';
import { FitnessProjection } from './fitness-projection.js';

/** WARM_CHUNK is how many nodes' logs one warm-up statement reads. */
const WARM_CHUNK = 32;

/**
 * CacheWarmup folds the logs of the most recently active nodes (CHANFITNESS_WARM_NODES, at most
 * the cache's size) into the projection's cache after start-up, so the first query for a node
 * after a restart is as fast as later ones instead of reading and folding its whole log.
 *
 * It runs in the background: the consumer and the queries start at once (a query for a node not
 * warmed yet reads its log itself). Readiness waits for it, but at most CHANFITNESS_WARM_WAIT_MS:
 * a slow or failed warm-up only costs speed, never availability.
 */
@Injectable()
export class CacheWarmup implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('chanfitness-warmup');
  private readonly startedMs = performance.now();
  private state: 'running' | 'done' | 'failed' | 'off' = 'running';
  private warmed = 0;
  private planned = 0;
  private stopping = false;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(CHANFITNESS_CONFIG) private readonly config: ChanfitnessConfig,
    private readonly store: FitnessEventStore,
    private readonly projection: FitnessProjection,
  ) {}

  onApplicationBootstrap(): void {
    if (Math.min(this.config.warmNodes, this.config.cacheNodes) === 0) {
      this.state = 'off';
      return;
    }
    this.running = this.warm().then(
      () => {
        this.state = 'done';
        if (this.planned > 0) this.logger.log(`cache warmed: ${this.warmed} of ${this.planned} nodes in ${Math.round(performance.now() - this.startedMs)} ms`);
      },
      (error: unknown) => {
        this.state = 'failed';
        this.logger.warn(`cache warm-up stopped after ${this.warmed} nodes (first queries of the others read their logs): ${error instanceof Error ? error.message : String(error)}`);
      },
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  /** done resolves when the warm-up has finished, failed or been stopped. */
  async done(): Promise<void> {
    await this.running;
  }

  /** readiness is the warm-up as a readiness condition: met once it ended or CHANFITNESS_WARM_WAIT_MS passed. */
  readiness(): ReadinessState {
    if (this.state === 'off') return { ready: true, detail: 'cache warm-up off (CHANFITNESS_WARM_NODES=0)' };
    const progress = `${this.warmed} of ${this.planned} nodes`;
    if (this.state === 'done') return { ready: true, detail: `cache warmed (${progress})` };
    if (this.state === 'failed') return { ready: true, detail: `cache warm-up failed after ${progress}; first queries read their logs` };
    const waited = performance.now() - this.startedMs;
    if (waited >= this.config.warmWaitMs) return { ready: true, detail: `cache warm-up still running after ${Math.round(waited)} ms (${progress}); not waiting for it` };
    return { ready: false, detail: `warming the cache: ${progress}` };
  }

  private async warm(): Promise<void> {
    const nodeIds = await this.store.recentNodeIds(Math.min(this.config.warmNodes, this.config.cacheNodes));
    this.planned = nodeIds.length;
    for (let i = 0; i < nodeIds.length && !this.stopping; i += WARM_CHUNK) {
      this.warmed += await this.projection.warm(nodeIds.slice(i, i + WARM_CHUNK));
    }
  }
}

/** cacheWarmupReadiness names the warm-up's readiness condition for the health controller. */
export function cacheWarmupReadiness(warmup: CacheWarmup): ReadinessCheck {
  return { name: 'cache', check: () => warmup.readiness() };
}
