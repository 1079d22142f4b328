import { Module, type Provider, type Type } from '@nestjs/common';
import { ServiceContext, type ServiceDefinition } from '@lnfleet/service-kit';
import { BackupQueries } from './api/backup-queries.js';
import { BackupEventsController } from './api/events.controller.js';
import { BackupHealthController } from './api/health.controller.js';
import { BackupHttpController } from './api/http.controller.js';
import type { Env } from '@lnfleet/config';
import { BACKUP_CONFIG, BACKUP_HTTP_PORT, consumerSettings, loadBackupConfig, type BackupConfig } from './config.js';
import { BACKUP_CLOCK, BACKUP_HOOKS, BackupEngine, systemClock, type Clock, type EngineHooks } from './engine/backup-engine.js';
import { BACKUP_MIGRATIONS } from './store/migrations/index.js';

/** BackupDependencies replaces parts of the shell, for tests. */
export interface BackupDependencies {
  /** clock stamps stored versions and drives retention; the system clock by default. */
  readonly clock?: Clock;
  /** hooks inject faults in tests; none by default. */
  readonly hooks?: EngineHooks;
}

/** backupModule builds the service's Nest module: the engine fed by the event handlers, and the HTTP API. */
export function backupModule(dependencies: BackupDependencies = {}): Type {
  const providers: Provider[] = [
    { provide: BACKUP_CONFIG, inject: [ServiceContext], useFactory: (context: ServiceContext) => configFor(context.env) },
    { provide: BACKUP_CLOCK, useValue: dependencies.clock ?? systemClock },
    { provide: BACKUP_HOOKS, useValue: dependencies.hooks ?? {} },
    { provide: BackupQueries, inject: [ServiceContext], useFactory: (context: ServiceContext) => new BackupQueries(context.dataSource) },
    BackupEngine,
  ];

  /** BackupModule holds the backup service's handlers, engine and API. */
  @Module({ controllers: [BackupEventsController, BackupHttpController, BackupHealthController], providers })
  class BackupModule {}
  return BackupModule;
}

/** Configs already validated, per environment: bindings check it first, the module reuses it. */
const configs = new WeakMap<Env, BackupConfig>();

function configFor(env: Env): BackupConfig {
  let config = configs.get(env);
  if (config === undefined) {
    config = loadBackupConfig(env);
    configs.set(env, config);
  }
  return config;
}

/**
 * createBackupService defines the backup service: lnd's channel-backup swapper as a fleet service.
 * It reads node facts through one durable consumer (BACKUP_CONSUMER, shared by its replicas),
 * keeps each node's channel set and every backup version in its schema, writes the files to
 * BACKUP_DIR, publishes BackupStored, and serves its API on HTTP_PORT (default 8084). To rebuild,
 * run it with a fresh DATABASE_SCHEMA and a new BACKUP_CONSUMER: it gives the same versions.
 */
export function createBackupService(dependencies: BackupDependencies = {}): ServiceDefinition {
  return {
    name: 'backup',
    module: backupModule(dependencies),
    database: { migrations: BACKUP_MIGRATIONS },
    http: { defaultPort: BACKUP_HTTP_PORT },
    bindings: (topology, env) => {
      // Validate everything before Nest starts, so a bad variable is one clear line, not a stack.
      configFor(env);
      const settings = consumerSettings(env);
      return [
        {
          stream: topology.streamName('events'),
          durable: settings.consumer,
          filterSubject: topology.allNodeEvents(),
          concurrency: settings.concurrency,
          ackWaitMs: settings.ackWaitMs,
          // Room for the events held by the batch being applied and the one filling meanwhile.
          maxAckPending: Math.max(1_000, 2 * settings.concurrency),
          batchSize: 256,
        },
      ];
    },
  };
}

/** backupService is the service as main.ts runs it. */
export const backupService: ServiceDefinition = createBackupService();
