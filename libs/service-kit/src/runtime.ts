import { Global, Module, type DynamicModule, type INestApplication, type INestMicroservice, type LoggerService, type LogLevel, type Type } from '@nestjs/common';
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
import { HybridExceptionFilter, loadHttpConfig, type HttpOptions } from './http.js';

/**
 * ServiceContext is what every service gets injected: its name, topology, publisher, database,
 * and the environment it was started with (to read its own settings with parseEnv).
 */
export class ServiceContext {
  constructor(
    readonly name: string,
    readonly topology: Topology,
    readonly connection: NatsConnection,
    readonly publisher: JetStreamPublisher,
    readonly dataSource: DataSource,
    readonly env: Env = {},
  ) {}
}

/** ServiceDefinition describes one service to bootstrapService. */
export interface ServiceDefinition {
  /** name is the service's name: its durable consumer prefix and default database schema. */
  readonly name: string;
  /** module holds the service's controllers and providers. */
  readonly module: Type;
  readonly database: Omit<DatabaseOptions, 'schema'> & { readonly schema?: string };
  /** bindings lists the durable consumers the service reads (none for a skeleton); env holds its settings. */
  readonly bindings: (topology: Topology, env: Env) => readonly ConsumerBinding[];
  /**
   * http, when set, also serves the module's HTTP controllers on HTTP_PORT (default
   * `http.defaultPort`) and HTTP_HOST, next to the JetStream consumers, in one Nest application.
   */
  readonly http?: HttpOptions;
}

/** HttpEndpoint is where a running service's HTTP API listens. */
export interface HttpEndpoint {
  readonly app: INestApplication;
  /** port is the bound port (the chosen one when HTTP_PORT was 0). */
  readonly port: number;
  /** url is a base URL for clients on this host, e.g. http://127.0.0.1:8080. */
  readonly url: string;
}

/** RunningService is a started service; stop() shuts it down in order. */
export interface RunningService {
  readonly app: INestMicroservice;
  readonly context: ServiceContext;
  readonly server: JetStreamServer;
  /** http is the HTTP API, present when the definition asked for one. */
  readonly http?: HttpEndpoint;
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
  /** logger: false silences the service, levels pick what the console shows, a LoggerService receives everything (tests read it). */
  options: { readonly logger?: false | LogLevel[] | LoggerService } = {},
): Promise<RunningService> {
  const natsConfig = loadNatsConfig(env);
  const databaseConfig = loadDatabaseConfig(env);
  const httpConfig = definition.http === undefined ? undefined : loadHttpConfig(env, definition.http.defaultPort);
  const topology = new Topology({
    ...(natsConfig.namespace !== undefined ? { namespace: natsConfig.namespace } : {}),
    replicas: natsConfig.streamReplicas,
  });

  const connection = await connectNats(natsConfig, `lnfleet-${definition.name}`);
  let dataSource: DataSource | undefined;
  let httpApp: INestApplication | undefined;
  try {
    await ensureStreams(await jetstreamManager(connection), Object.values(topology.streams()));
    dataSource = await openDatabase(databaseConfig, { schema: definition.name.replaceAll('-', '_'), ...definition.database });
    const context = new ServiceContext(
      definition.name,
      topology,
      connection,
      new JetStreamPublisher(jetstream(connection), topology),
      dataSource,
      env,
    );
    const server = new JetStreamServer({
      service: definition.name,
      topology,
      connection,
      bindings: definition.bindings(topology, env),
      provisionStreams: false,
    });
    const logger = options.logger ?? ['log', 'warn', 'error'];
    let app: INestMicroservice;
    let http: HttpEndpoint | undefined;
    if (httpConfig === undefined) {
      app = await NestFactory.createMicroservice<MicroserviceOptions>(rootModule(context, definition.module), { strategy: server, logger });
      app.useGlobalFilters(new RethrowingRpcExceptionFilter());
      await app.listen();
    } else {
      // A hybrid application: one module instance (one set of providers) behind both transports.
      // abortOnError: false makes a wiring error reject here (and be reported) instead of exiting the process.
      httpApp = await NestFactory.create(rootModule(context, definition.module), { logger, abortOnError: false });
      // The microservice shares the application's config, so the one global filter serves both
      // transports; it must be registered before the microservice registers its handlers.
      httpApp.useGlobalFilters(new HybridExceptionFilter(httpApp.getHttpAdapter()));
      app = httpApp.connectMicroservice<MicroserviceOptions>({ strategy: server }, { inheritAppConfig: true });
      await httpApp.init();
      await httpApp.startAllMicroservices();
      await httpApp.listen(httpConfig.port, httpConfig.host);
      http = httpEndpoint(httpApp, httpConfig.host);
    }
    const openedDataSource = dataSource;
    const closable = httpApp ?? app;
    return {
      app,
      context,
      server,
      ...(http !== undefined ? { http } : {}),
      async stop() {
        await closable.close();
        await connection.drain();
        await openedDataSource.destroy();
      },
    };
  } catch (error) {
    await httpApp?.close().catch(() => undefined);
    await dataSource?.destroy().catch(() => undefined);
    await connection.close().catch(() => undefined);
    throw error;
  }
}

function httpEndpoint(app: INestApplication, host: string): HttpEndpoint {
  const address: unknown = (app.getHttpServer() as { address(): unknown }).address();
  if (typeof address !== 'object' || address === null || !('port' in address) || typeof address.port !== 'number') {
    throw new Error('the HTTP server did not report the port it listens on');
  }
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return { app, port: address.port, url: `http://${reachable}:${address.port}` };
}

/** describeConnections is the one-line "connected" report a service prints when ready. */
export function describeConnections(service: RunningService, env: Env = process.env): string {
  const { context } = service;
  const nats = context.connection.getServer();
  const schema = (context.dataSource.options as { schema?: string }).schema ?? 'public';
  const streams = Object.values(context.topology.streams())
    .map((s) => s.name)
    .join(', ');
  const http = service.http === undefined ? '' : `; HTTP on port ${service.http.port}`;
  return `${context.name} ready: NATS ${nats} (JetStream streams ${streams}); PostgreSQL ${redactUrl(loadDatabaseConfig(env).url)} schema ${schema}${http}`;
}

/**
 * provisionService does what a service's start does to NATS and PostgreSQL, then disconnects:
 * creates or updates the streams, creates the service's schema and runs its migrations. A
 * deployment runs it once per release (the Kubernetes provisioning Job, `main.js provision`)
 * so that replicas starting side by side find everything in place. Returns what it provisioned.
 */
export async function provisionService(definition: ServiceDefinition, env: Env = process.env): Promise<string> {
  const natsConfig = loadNatsConfig(env);
  const databaseConfig = loadDatabaseConfig(env);
  const topology = new Topology({
    ...(natsConfig.namespace !== undefined ? { namespace: natsConfig.namespace } : {}),
    replicas: natsConfig.streamReplicas,
  });
  const connection = await connectNats(natsConfig, `lnfleet-${definition.name}-provision`);
  try {
    const streams = Object.values(topology.streams());
    await ensureStreams(await jetstreamManager(connection), streams);
    const dataSource = await openDatabase(databaseConfig, { schema: definition.name.replaceAll('-', '_'), ...definition.database });
    const schema = (dataSource.options as { schema?: string }).schema ?? 'public';
    await dataSource.destroy();
    return `${definition.name} provisioned: streams ${streams.map((s) => `${s.name} (replicas ${s.replicas})`).join(', ')}; PostgreSQL schema ${schema} migrated`;
  } finally {
    await connection.close();
  }
}

/**
 * runService is a service's main(): start, report, and stop cleanly on SIGINT/SIGTERM. With the
 * argument `provision` (`node main.js provision`) it only provisions (provisionService) and exits.
 */
export async function runService(definition: ServiceDefinition, argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  if (argv[0] === 'provision') {
    try {
      process.stdout.write(`${await provisionService(definition)}\n`);
      process.exit(0);
    } catch (error) {
      process.stderr.write(`${definition.name} failed to provision: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    }
  }
  if (argv.length > 0) {
    process.stderr.write(`${definition.name}: unknown argument ${argv.join(' ')} (none starts the service; \`provision\` provisions streams and schema, then exits)\n`);
    process.exit(2);
  }
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
