import { Module } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { Topology } from '@lnfleet/contracts';
import { JetStreamPublisher } from '@lnfleet/messaging';
import { jetstream } from '@nats-io/jetstream';
import { testInfrastructure, uniqueName } from '@lnfleet/testing';
import { ServiceHealthController } from './health.js';
import { bootstrapService, provisionService, ServiceContext, type ServiceDefinition } from './runtime.js';

@Module({ controllers: [ServiceHealthController] })
class ProbedModule {}

const definition: ServiceDefinition = { name: 'kit-health', module: ProbedModule, database: {}, bindings: () => [], http: { defaultPort: 18_081 } };

async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
}

async function deleteStreams(natsUrl: string, topology: Topology): Promise<void> {
  const connection = await connect({ servers: natsUrl });
  const jsm = await jetstreamManager(connection);
  for (const spec of Object.values(topology.streams())) await jsm.streams.delete(spec.name).catch(() => false);
  await connection.close();
}

describe('ServiceHealthController', () => {
  it('answers the liveness and readiness probes over HTTP when NATS and PostgreSQL answer', async () => {
    const { natsUrl, databaseUrl } = await testInfrastructure();
    const schema = uniqueName('kithealth');
    const service = await bootstrapService(
      definition,
      { NATS_URL: natsUrl, DATABASE_URL: databaseUrl, LNFLEET_NAMESPACE: uniqueName('kithealth'), DATABASE_SCHEMA: schema, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1' },
      { logger: false },
    );
    try {
      const url = service.http?.url ?? '';
      const live = await fetch(`${url}/health`);
      expect({ status: live.status, body: await live.json() }).toEqual({ status: 200, body: { status: 'ok', service: 'kit-health' } });
      const ready = await fetch(`${url}/health/ready`);
      expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 200, body: { status: 'ok', nats: 'connected', database: 'reachable' } });
    } finally {
      await deleteStreams(natsUrl, service.context.topology);
      await service.stop();
      await dropSchema(databaseUrl, schema);
    }
  });

  it('answers 503 naming what is unreachable when the database and NATS do not answer', async () => {
    const { natsUrl } = await testInfrastructure();
    const topology = new Topology({ namespace: uniqueName('kithealth') });
    // A closed NATS connection and a database that was never reached: real objects, both failing.
    const connection = await connect({ servers: natsUrl });
    await connection.close();
    const unreachable = new DataSource({ type: 'postgres', url: 'postgres://postgres@127.0.0.1:1/nothing' });
    const context = new ServiceContext('kit-health', topology, connection, new JetStreamPublisher(jetstream(connection), topology), unreachable);
    const controller = new ServiceHealthController(context);
    await expect(controller.ready()).rejects.toMatchObject({
      status: 503,
      response: { status: 'unavailable', nats: 'unreachable', database: 'unreachable' },
    });
  });
});

describe('provisionService', () => {
  it('creates the streams with the configured replicas, the schema and the migrations table, then disconnects', async () => {
    const { natsUrl, databaseUrl } = await testInfrastructure();
    const namespace = uniqueName('kitprov');
    const schema = uniqueName('kitprov');
    const topology = new Topology({ namespace });
    try {
      const report = await provisionService(definition, { NATS_URL: natsUrl, DATABASE_URL: databaseUrl, LNFLEET_NAMESPACE: namespace, DATABASE_SCHEMA: schema, LNFLEET_STREAM_REPLICAS: '1' });
      expect(report).toContain(`kit-health provisioned: streams ${topology.streamName('events')} (replicas 1)`);
      expect(report).toContain(`PostgreSQL schema ${schema} migrated`);
      const connection = await connect({ servers: natsUrl });
      const jsm = await jetstreamManager(connection);
      for (const spec of Object.values(topology.streams())) expect((await jsm.streams.info(spec.name)).config.num_replicas).toBe(1);
      await connection.close();
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      const tables = await client.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [schema]);
      await client.end();
      expect(tables.rows).toEqual([{ table_name: 'migrations' }]);
    } finally {
      await deleteStreams(natsUrl, topology);
      await dropSchema(databaseUrl, schema);
    }
  });
});
