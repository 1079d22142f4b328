import { Module } from '@nestjs/common';
import pg from 'pg';
import { ConfigError } from '@lnfleet/config';
import { NatsUnavailableError } from '@lnfleet/messaging';
import { testInfrastructure, uniqueName } from '@lnfleet/testing';
import { DatabaseUnavailableError } from './database.js';
import { bootstrapService, describeConnections, type ServiceDefinition } from './runtime.js';

@Module({})
class EmptyModule {}

const definition: ServiceDefinition = { name: 'kit-test', module: EmptyModule, database: {}, bindings: () => [] };

async function schemaExists(databaseUrl: string, schema: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const result = await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema]);
    return result.rowCount === 1;
  } finally {
    await client.end();
  }
}

async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
}

describe('bootstrapService', () => {
  it('connects to NATS and PostgreSQL, provisions the streams and creates its schema', async () => {
    const { natsUrl, databaseUrl } = await testInfrastructure();
    const namespace = uniqueName('kit');
    const schema = uniqueName('kit');
    const service = await bootstrapService(definition, { NATS_URL: natsUrl, DATABASE_URL: databaseUrl, LNFLEET_NAMESPACE: namespace, DATABASE_SCHEMA: schema }, { logger: false });
    try {
      const jsm = await (await import('@nats-io/jetstream')).jetstreamManager(service.context.connection);
      const names: string[] = [];
      for await (const name of jsm.streams.names()) names.push(name);
      for (const spec of Object.values(service.context.topology.streams())) {
        expect(names).toContain(spec.name);
        expect(spec.name.startsWith(namespace.toUpperCase())).toBe(true);
      }
      expect(await schemaExists(databaseUrl, schema)).toBe(true);
      expect(describeConnections(service, { DATABASE_URL: databaseUrl })).toMatch(new RegExp(`^kit-test ready: NATS .+ schema ${schema}$`));
      for (const spec of Object.values(service.context.topology.streams())) await jsm.streams.delete(spec.name);
    } finally {
      await service.stop();
      await dropSchema(databaseUrl, schema);
    }
    expect(service.context.connection.isClosed()).toBe(true);
    expect(service.context.dataSource.isInitialized).toBe(false);
  });

  it('fails at start with a ConfigError naming the bad variable', async () => {
    const { natsUrl, databaseUrl } = await testInfrastructure();
    const attempt = bootstrapService(definition, { NATS_URL: natsUrl, DATABASE_URL: databaseUrl, LNFLEET_STREAM_REPLICAS: '0' });
    await expect(attempt).rejects.toThrow(ConfigError);
    await expect(attempt).rejects.toThrow(/LNFLEET_STREAM_REPLICAS/);
  });

  it('says where it looked when NATS does not answer', async () => {
    const attempt = bootstrapService(definition, { NATS_URL: 'nats://127.0.0.1:1', DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' });
    await expect(attempt).rejects.toThrow(NatsUnavailableError);
    await expect(attempt).rejects.toThrow(/nats:\/\/127\.0\.0\.1:1.*NATS_URL/);
  });

  it('says where it looked when PostgreSQL does not answer, hiding the password', async () => {
    const { natsUrl } = await testInfrastructure();
    const attempt = bootstrapService(definition, { NATS_URL: natsUrl, DATABASE_URL: 'postgres://app:hunter2@127.0.0.1:1/x', LNFLEET_NAMESPACE: uniqueName('kit') });
    await expect(attempt).rejects.toThrow(DatabaseUnavailableError);
    await expect(attempt).rejects.toThrow(/postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/x.*DATABASE_URL/);
    await expect(attempt).rejects.not.toThrow(/hunter2/);
  });
});
