import { z } from 'zod';
import { durationMs, parseEnv, positiveInt, type Env } from '@lnfleet/config';
import type { FitnessThresholds } from './fitness/index.js';
import { DEFAULT_FITNESS_THRESHOLDS } from './fitness/index.js';

/** CHANFITNESS_CONFIG is the injection token of the service's ChanfitnessConfig. */
export const CHANFITNESS_CONFIG = 'CHANFITNESS_CONFIG';

/** CHANFITNESS_HTTP_PORT is the service's default HTTP port (HTTP_PORT overrides it). */
export const CHANFITNESS_HTTP_PORT = 8_083;

/** ChanfitnessConfig is the chanfitness service's own configuration. */
export interface ChanfitnessConfig {
  /** thresholds decide when a peer is unfit and PeerFitnessChanged is published. */
  readonly thresholds: FitnessThresholds;
  /**
   * consumer is the durable consumer name on the events stream. A new name (with a new
   * DATABASE_SCHEMA) rebuilds the projection from the start of the stream beside the live one.
   */
  readonly consumer: string;
  /**
   * concurrency is how many events one replica handles at once. Events in flight are written in
   * one database round trip (group commit), so higher values absorb faster, up to batchSize.
   */
  readonly concurrency: number;
  /** batchSize is the most events written in one database statement. */
  readonly batchSize: number;
  /** cacheNodes is how many nodes' folded states a replica keeps in memory (least recently used go). */
  readonly cacheNodes: number;
  /**
   * rejudgeMs is how often every tracked peer is judged again (0: never). Without it a peer that
   * goes offline and stays silent is judged only at its next event or the node's next snapshot.
   */
  readonly rejudgeMs: number;
  /** warmNodes is how many nodes' states are folded into the cache at start-up, most recently active first (0: none). */
  readonly warmNodes: number;
  /** warmWaitMs is how long readiness waits for the start-up warm-up at most. */
  readonly warmWaitMs: number;
}

const ratio = z.coerce.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');
const nonNegativeInt = z.coerce.number().int('must be a whole number').min(0, 'must not be negative');

/** ChanfitnessEnv lists the variables, their defaults and limits. */
export const ChanfitnessEnv = z.object({
  CHANFITNESS_MAX_FLAP_COUNT: nonNegativeInt.default(DEFAULT_FITNESS_THRESHOLDS.maxFlapCount),
  CHANFITNESS_MIN_UPTIME_RATIO: ratio.default(DEFAULT_FITNESS_THRESHOLDS.minUptimeRatio),
  CHANFITNESS_UPTIME_WINDOW_MS: durationMs.default(DEFAULT_FITNESS_THRESHOLDS.uptimeWindowMs),
  CHANFITNESS_MIN_OBSERVED_MS: nonNegativeInt.default(DEFAULT_FITNESS_THRESHOLDS.minObservedMs),
  CHANFITNESS_CONSUMER: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ -')
    .default('chanfitness'),
  CHANFITNESS_CONCURRENCY: positiveInt.max(4_096, 'at most 4096').default(2_048),
  CHANFITNESS_BATCH_SIZE: positiveInt.max(10_000, 'at most 10000').default(1_024),
  CHANFITNESS_CACHE_NODES: positiveInt.default(10_000),
  CHANFITNESS_REJUDGE_MS: nonNegativeInt.default(300_000),
  CHANFITNESS_WARM_NODES: nonNegativeInt.default(10_000),
  CHANFITNESS_WARM_WAIT_MS: nonNegativeInt.default(60_000),
});

/**
 * loadChanfitnessConfig reads the CHANFITNESS_* variables, throwing a ConfigError that names the
 * variable when one is invalid.
 */
export function loadChanfitnessConfig(env: Env): ChanfitnessConfig {
  const parsed = parseEnv(ChanfitnessEnv, env);
  return {
    thresholds: {
      maxFlapCount: parsed.CHANFITNESS_MAX_FLAP_COUNT,
      minUptimeRatio: parsed.CHANFITNESS_MIN_UPTIME_RATIO,
      uptimeWindowMs: parsed.CHANFITNESS_UPTIME_WINDOW_MS,
      minObservedMs: parsed.CHANFITNESS_MIN_OBSERVED_MS,
    },
    consumer: parsed.CHANFITNESS_CONSUMER,
    concurrency: parsed.CHANFITNESS_CONCURRENCY,
    batchSize: parsed.CHANFITNESS_BATCH_SIZE,
    cacheNodes: parsed.CHANFITNESS_CACHE_NODES,
    rejudgeMs: parsed.CHANFITNESS_REJUDGE_MS,
    warmNodes: parsed.CHANFITNESS_WARM_NODES,
    warmWaitMs: parsed.CHANFITNESS_WARM_WAIT_MS,
  };
}
