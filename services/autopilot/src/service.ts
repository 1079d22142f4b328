import { Logger, Module, type Provider } from '@nestjs/common';
import type { Env } from '@lnfleet/config';
import { READINESS_CHECKS, ServiceContext, ServiceHealthController, type ReadinessCheck, type ServiceDefinition } from '@lnfleet/service-kit';
import { PolicyController } from './api/policy.controller.js';
import { AUTOPILOT_CLOCK, AUTOPILOT_CONFIG, AUTOPILOT_HOOKS, AutopilotEngine, GRAPH_SOURCE, type EngineHooks } from './decisions/autopilot-engine.js';
import { systemClock, type Clock } from './decisions/clock.js';
import { durablePrefix, eventConcurrency, EVENTS_PULL, loadAutopilotConfig, type AutopilotConfig } from './decisions/config.js';
import { AutopilotEventsController } from './decisions/events.controller.js';
import { FileGraphSource, type GraphSource } from './graph/graph-source.js';
import { SnapshotGraphSource } from './graph/snapshot-graph-source.js';
import { PROJECTION_ENTITIES } from './projection/entities.js';
import { AUTOPILOT_MIGRATIONS } from './projection/migrations/index.js';

/** AUTOPILOT_HTTP_PORT is the policy API's port when HTTP_PORT is unset. */
export const AUTOPILOT_HTTP_PORT = 8082;

/** AutopilotDependencies replaces parts of the shell, for tests and simulations. */
export interface AutopilotDependencies {
  /** clock defaults to the system clock. */
  readonly clock?: Clock;
  /**
   * graphSource replaces the graph from the environment (AUTOPILOT_GRAPH_FILE, then the gateway's
   * snapshots unless AUTOPILOT_GRAPH_SNAPSHOTS=false).
   */
  readonly graphSource?: GraphSource;
  /** hooks inject faults in tests; none by default. */
  readonly hooks?: EngineHooks;
}

/**
 * createAutopilotService defines the autopilot service: lnd's autopilot as a fleet service. It
 * reads node facts (durable `autopilot-events`), its own derived stream for policies and
 * decisions (durable `autopilot-derived`) and chanfitness's peer verdicts (`autopilot-fitness`), keeps its projection in its schema, decides per node
 * under an advisory lock, and serves the policy API over HTTP. To rebuild the projection, run it
 * with AUTOPILOT_MODE=replay, a fresh DATABASE_SCHEMA and a new AUTOPILOT_DURABLE_PREFIX.
 */
export function createAutopilotService(dependencies: AutopilotDependencies = {}): ServiceDefinition {
  const providers: Provider[] = [
    {
      provide: AUTOPILOT_CONFIG,
      inject: [ServiceContext],
      useFactory: (context: ServiceContext): AutopilotConfig => loadAutopilotConfig(context.env, dependencies.graphSource === undefined),
    },
    { provide: AUTOPILOT_CLOCK, useValue: dependencies.clock ?? systemClock },
    { provide: AUTOPILOT_HOOKS, useValue: dependencies.hooks ?? {} },
    {
      provide: GRAPH_SOURCE,
      inject: [AUTOPILOT_CONFIG, ServiceContext],
      // A graph given in code or by file is loaded before the consumers start: parsing a large
      // describegraph JSON blocks the event loop for a while, which in-flight pulls would take
      // for a dead server. Gateway snapshots then replace it as they come.
      useFactory: async (config: AutopilotConfig, context: ServiceContext): Promise<GraphSource> => {
        const initial =
          dependencies.graphSource ?? (config.graphFile === undefined ? undefined : new FileGraphSource(config.graphFile, { workers: config.centralityWorkers }));
        if (initial !== undefined) {
          const started = Date.now();
          const view = await initial.current();
          new Logger('AutopilotGraph').log(
            `channel graph ${view.version}: ${view.graph.nodeCount} nodes, ${view.graph.channelCount} channels, centrality ready in ${Date.now() - started} ms`,
          );
        }
        if (dependencies.graphSource !== undefined || !config.graphSnapshots) return initial as GraphSource;
        const snapshots = new SnapshotGraphSource(context.connection, context.topology.graphSnapshotBucket(), { workers: config.centralityWorkers }, initial);
        await snapshots.start();
        return snapshots;
      },
    },
    {
      // Ready once a channel graph is loaded: until then every decision stops at `no-graph`.
      provide: READINESS_CHECKS,
      inject: [GRAPH_SOURCE],
      useFactory: (graphs: GraphSource): ReadinessCheck[] => [
        {
          name: 'graph',
          check: () => {
            const view = graphs.loaded();
            return view === undefined
              ? { ready: false, detail: 'no channel graph loaded yet (waiting for a gateway graph snapshot; or set AUTOPILOT_GRAPH_FILE)' }
              : { ready: true, detail: `${view.version}: ${view.graph.nodeCount} nodes, ${view.graph.channelCount} channels` };
          },
        },
      ],
    },
    AutopilotEngine,
  ];

  /** AutopilotModule holds the autopilot's handlers, API and engine. */
  @Module({ controllers: [AutopilotEventsController, PolicyController, ServiceHealthController], providers })
  class AutopilotModule {}

  return {
    name: 'autopilot',
    module: AutopilotModule,
    database: { entities: PROJECTION_ENTITIES, migrations: AUTOPILOT_MIGRATIONS },
    http: { defaultPort: AUTOPILOT_HTTP_PORT },
    bindings: (topology, env: Env) => [
      {
        stream: topology.streamName('events'),
        durable: `${durablePrefix(env)}-events`,
        filterSubject: topology.allNodeEvents(),
        // Every message of a pull goes to the engine at once; it folds and decides them in batches.
        concurrency: eventConcurrency(env),
        batchSize: EVENTS_PULL,
        maxAckPending: Math.max(1_000, eventConcurrency(env)),
      },
      // The autopilot's own derived events: policies, and its decisions (whose opens it folds).
      { stream: topology.streamName('derived'), durable: `${durablePrefix(env)}-derived`, filterSubject: topology.derivedBy('autopilot'), batchSize: 64, concurrency: 64 },
      // chanfitness's verdicts on peers (PeerFitnessChanged); one filter per durable on NATS 2.9.
      { stream: topology.streamName('derived'), durable: `${durablePrefix(env)}-fitness`, filterSubject: topology.derivedBy('chanfitness'), batchSize: 64, concurrency: 64 },
    ],
  };
}

/** autopilotService is the autopilot as `npm start` runs it. */
export const autopilotService: ServiceDefinition = createAutopilotService();
