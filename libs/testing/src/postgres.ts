import pg from 'pg';
import { testInfrastructure } from './infrastructure.js';
import { uniqueName } from './nats.js';

/** TestSchema is a PostgreSQL schema created for one test and dropped after it. */
export interface TestSchema {
  readonly databaseUrl: string;
  readonly schema: string;
  /** drop removes the schema and everything in it. */
  drop(): Promise<void>;
}

/** testSchema creates an empty, uniquely named schema in the test database. */
export async function testSchema(prefix = 't'): Promise<TestSchema> {
  const { databaseUrl } = await testInfrastructure();
  const schema = uniqueName(prefix.toLowerCase());
  await withClient(databaseUrl, (client) => client.query(`CREATE SCHEMA "${schema}"`));
  return {
    databaseUrl,
    schema,
    async drop() {
      await withClient(databaseUrl, (client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    },
  };
}

async function withClient<T>(databaseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
