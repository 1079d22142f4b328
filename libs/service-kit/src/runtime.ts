import { Global, Module, type DynamicModule, type INestMicroservice, type LogLevel, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { DataSource } from 'typeorm';
import { loadDatabaseConfig, loadNatsConfig, redactUrl, type Env } from '@lnfleet/config';
import { Topology } from '@lnfleet/contracts';
import {
  connectNats,
  ensureStreams,
  JetStreamPublisher,
  JetStreamServer,
  RethrowingRpcExceptionFilter,
  type ConsumerBinding,
} from '@lnfleet/messaging';
import { openDatabase, type DatabaseOptions } from './database.js';

/** ServiceContext is what every service gets injected: its name, topology, publisher and database. */
export class ServiceContext {
  constructor(
    readonly name: string,
    readonly topology: Topology,
    readonly connection: NatsConnection,
    readonly publisher: JetStreamPublisher,
    readonly dataSource: DataSource,
  ) {}
}

/** ServiceDefinition describes one service to bootstrapService. */
export interface ServiceDefinition {
  /** name is the service's name: its durable consumer prefix and default database schema. */
  readonly name: string;
  /** module holds the service's controllers and providers. */
  readonly module: Type;
  readonly database: Omit<DatabaseOptions, 'schema'> & { readonly schema?: string };
  /** bindings lists the durable consumers the service reads (none for a skeleton). */
  readonly bindings: (topology: Topology) => readonly ConsumerBinding[];
}

/** RunningService is a started service; stop() shuts it down in order. */
export interface RunningService {
  readonly app: INestMicroservice;
  readonly context: ServiceContext;
  readonly server: JetStreamServer;
  stop(): Promise<void>;
}

/**
 * bootstrapService validates configuration, connects to NATS and PostgreSQL, provisions the
 * streams and starts the service's consumers. It fails fast, naming what is wrong (a config
 * variable, an unreachable server); a partial start is undone before the error propagates.
 */
export async function bootstrapService(
  definition: ServiceDefinition,
  env: Env = process.env,
  options: { readonly logger?: false | LogLevel[] } = {},
): Promise<RunningService> {
  const natsConfig = loadNatsConfig(env);
  const databaseConfig = loadDatabaseConfig(env);
  const topology = new Topology({
    ...(natsConfig.namespace !== undefined ? { namespace: natsConfig.namespace } : {}),
    replicas: natsConfig.streamReplicas,
  });

  const connection = await connectNats(natsConfig, `lnfleet-${definition.name}`);
  let dataSource: DataSource | undefined;
  try {
    await ensureStreams(await jetstreamManager(connection), Object.values(topology.streams()));
    dataSource = await openDatabase(databaseConfig, { schema: definition.name.replaceAll('-', '_'), ...definition.database });
    const context = new ServiceContext(definition.name, topology, connection, new JetStreamPublisher(jetstream(connection), topology), dataSource);
    const server = new JetStreamServer({
      service: definition.name,
      topology,
      connection,
      bindings: definition.bindings(topology),
      provisionStreams: false,
    });
    const app = await NestFactory.createMicroservice<MicroserviceOptions>(rootModule(context, definition.module), {
      strategy: server,
      logger: options.logger ?? ['log', 'warn', 'error'],
    });
    app.useGlobalFilters(new RethrowingRpcExceptionFilter());
    await app.listen();
    const openedDataSource = dataSource;
    return {
      app,
      context,
      server,
      async stop() {
        await app.close();
        await connection.drain();
        await openedDataSource.destroy();
      },
    };
  } catch (error) {
    await dataSource?.destroy().catch(() => undefined);
    await connection.close().catch(() => undefined);
    throw error;
  }
}

/** describeConnections is the one-line "connected" report a service prints when ready. */
export function describeConnections(service: RunningService, env: Env = process.env): string {
  const { context } = service;
  const nats = context.connection.getServer();
  const schema = (context.dataSource.options as { schema?: string }).schema ?? 'public';
  const streams = Object.values(context.topology.streams())
    .map((s) => s.name)
    .join(', ');
  return `${context.name} ready: NATS ${nats} (JetStream streams ${streams}); PostgreSQL ${redactUrl(loadDatabaseConfig(env).url)} schema ${schema}`;
}

/** runService is a service's main(): start, report, and stop cleanly on SIGINT/SIGTERM. */
export async function runService(definition: ServiceDefinition): Promise<void> {
  let service: RunningService;
  try {
    service = await bootstrapService(definition);
  } catch (error) {
    process.stderr.write(`${definition.name} failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  process.stdout.write(`${describeConnections(service)}\n`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${definition.name} stopping (${signal})\n`);
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${definition.name} stopped with an error: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => {
    stop('SIGINT');
  });
  process.once('SIGTERM', () => {
    stop('SIGTERM');
  });
}

function rootModule(context: ServiceContext, serviceModule: Type): DynamicModule {
  @Global()
  @Module({})
  class RuntimeModule {}
  return {
    module: RuntimeModule,
    global: true,
    providers: [
      { provide: ServiceContext, useValue: context },
      { provide: JetStreamPublisher, useValue: context.publisher },
      { provide: Topology, useValue: context.topology },
    ],
    exports: [ServiceContext, JetStreamPublisher, Topology],
    imports: [serviceModule],
  };
}
