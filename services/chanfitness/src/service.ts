import { Module, type Type } from '@nestjs/common';
import { READINESS_CHECKS, ServiceContext, ServiceHealthController, type ReadinessCheck, type ServiceDefinition } from '@lnfleet/service-kit';
import { FitnessQueries } from './api/fitness-queries.js';
import { FitnessHttpController } from './api/http.controller.js';
import { QueryResponder } from './api/query-responder.js';
import { Clock, SystemClock } from './clock.js';
import { CHANFITNESS_CONFIG, CHANFITNESS_HTTP_PORT, loadChanfitnessConfig, type ChanfitnessConfig } from './config.js';
import { FitnessEventStore } from './projection/event-store.js';
import { FitnessEventHandlers } from './projection/fitness-handlers.js';
import { FitnessProjection } from './projection/fitness-projection.js';
import { CacheWarmup, cacheWarmupReadiness } from './projection/cache-warmup.js';
import { CHANFITNESS_MIGRATIONS } from './projection/migrations/index.js';
import { FitnessSignals } from './signals/fitness-signals.js';
import { FitnessSweep } from './signals/fitness-sweep.js';

/** ChanfitnessOptions replace parts of the service for tests and tools. */
export interface ChanfitnessOptions {
  /** clock answers queries that name no instant; the system clock by default. */
  readonly clock?: Clock;
}

/**
 * chanfitnessModule builds the service's Nest module: the projection fed by the node-event
 * handlers, the fitness signals it publishes, and the queries over HTTP and NATS.
 */
export function chanfitnessModule(options: ChanfitnessOptions = {}): Type {
  @Module({
    controllers: [FitnessEventHandlers, FitnessHttpController, ServiceHealthController],
    providers: [
      { provide: CHANFITNESS_CONFIG, useFactory: (context: ServiceContext) => loadChanfitnessConfig(context.env), inject: [ServiceContext] },
      { provide: Clock, useValue: options.clock ?? new SystemClock() },
      { provide: FitnessEventStore, useFactory: (context: ServiceContext) => new FitnessEventStore(context.dataSource), inject: [ServiceContext] },
      {
        provide: FitnessSignals,
        useFactory: (store: FitnessEventStore, context: ServiceContext, config: ChanfitnessConfig) =>
          new FitnessSignals(store, context.publisher, config.thresholds),
        inject: [FitnessEventStore, ServiceContext, CHANFITNESS_CONFIG],
      },
      {
        provide: FitnessProjection,
        useFactory: (store: FitnessEventStore, signals: FitnessSignals, config: ChanfitnessConfig) =>
          new FitnessProjection(store, {
            batchSize: config.batchSize,
            // Enough batches in flight to cover what the consumer hands over at once.
            batchesInFlight: Math.max(2, Math.ceil(config.concurrency / config.batchSize)),
            cacheNodes: config.cacheNodes,
            listener: signals,
          }),
        inject: [FitnessEventStore, FitnessSignals, CHANFITNESS_CONFIG],
      },
      {
        provide: FitnessQueries,
        useFactory: (projection: FitnessProjection, clock: Clock, config: ChanfitnessConfig) => new FitnessQueries(projection, clock, config.thresholds),
        inject: [FitnessProjection, Clock, CHANFITNESS_CONFIG],
      },
      QueryResponder,
      FitnessSweep,
      CacheWarmup,
      // Ready once the start-up warm-up has ended, or CHANFITNESS_WARM_WAIT_MS has passed.
      { provide: READINESS_CHECKS, useFactory: (warmup: CacheWarmup): ReadinessCheck[] => [cacheWarmupReadiness(warmup)], inject: [CacheWarmup] },
    ],
  })
  class ChanfitnessModule {}
  return ChanfitnessModule;
}

/**
 * createChanfitnessService defines the chanfitness service: lnd's channel event store as a fleet
 * service. It reads node events through one durable consumer (CHANFITNESS_CONSUMER, shared by
 * its replicas), keeps its projection in its own schema, publishes PeerFitnessChanged, and
 * answers queries over HTTP (HTTP_PORT, default 8083) and NATS request/reply.
 */
export function createChanfitnessService(options: ChanfitnessOptions = {}): ServiceDefinition {
  return {
    name: 'chanfitness',
    module: chanfitnessModule(options),
    database: { migrations: CHANFITNESS_MIGRATIONS },
    bindings: (topology, env) => {
      const config = loadChanfitnessConfig(env);
      return [
        {
          stream: topology.streamName('events'),
          durable: config.consumer,
          filterSubject: topology.allNodeEvents(),
          concurrency: config.concurrency,
          batchSize: config.batchSize,
          maxAckPending: Math.max(1_000, 2 * config.concurrency),
        },
      ];
    },
    http: { defaultPort: CHANFITNESS_HTTP_PORT },
  };
}

/** chanfitnessService is the service as main.ts runs it. */
export const chanfitnessService: ServiceDefinition = createChanfitnessService();
