import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { testInfrastructure, uniqueName } from '@lnfleet/testing';
import { autopilotService } from '../../../services/autopilot/src/service.js';
import { backupService } from '../../../services/backup/src/service.js';
import { chanfitnessService } from '../../../services/chanfitness/src/service.js';
import { nodeGatewayService } from '../../../services/node-gateway/src/service.js';
import { bootstrapService, type RunningService } from './runtime.js';

const AUTOPILOT_SAMPLE_GRAPH = fileURLToPath(new URL('../../../services/autopilot/src/graph/describegraph.sample.json', import.meta.url));

/**
 * cleanUp deletes a stopped service's streams and schema over connections of its own: deleting
 * streams under a running service would fail its consumers' pulls ("consumer deleted").
 */
async function cleanUp(service: RunningService): Promise<void> {
  const { natsUrl, databaseUrl } = await testInfrastructure();
  const connection = await connect({ servers: natsUrl.split(',') });
  try {
    const jsm = await jetstreamManager(connection);
    for (const spec of Object.values(service.context.topology.streams())) await jsm.streams.delete(spec.name).catch(() => false);
  } finally {
    await connection.close();
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${(service.context.dataSource.options as { schema: string }).schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

// Each deployable starts against real NATS and PostgreSQL and reports itself connected.
describe.each([autopilotService, chanfitnessService, backupService, nodeGatewayService])('the $name service', (definition) => {
  it('starts, connects and stops cleanly', async () => {
    const { natsUrl, databaseUrl } = await testInfrastructure();
    const namespace = uniqueName('svc');
    const env = {
      NATS_URL: natsUrl,
      DATABASE_URL: databaseUrl,
      LNFLEET_NAMESPACE: namespace,
      DATABASE_SCHEMA: uniqueName('svc'),
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      // The autopilot requires a channel graph; a three-node sample, centrality on the event loop.
      AUTOPILOT_GRAPH_FILE: AUTOPILOT_SAMPLE_GRAPH,
      AUTOPILOT_CENTRALITY_WORKERS: '0',
      // Not the gateway's snapshot bucket: its stream would outlive the cleanup below.
      AUTOPILOT_GRAPH_SNAPSHOTS: 'false',
      // The backup service needs a master key and a directory it may write.
      BACKUP_MASTER_KEY: '5a'.repeat(32),
      BACKUP_DIR: join(tmpdir(), uniqueName('svc-backup')),
    };
    const service = await bootstrapService(definition, env, { logger: false });
    try {
      expect(service.context.name).toBe(definition.name);
      expect(service.context.connection.isClosed()).toBe(false);
      expect(service.context.dataSource.isInitialized).toBe(true);
      const rows: unknown = await service.context.dataSource.query('SELECT current_schema() AS schema');
      expect(rows).toEqual([{ schema: expect.stringMatching(/^svc_/) as unknown }]);
    } finally {
      await service.stop();
      await cleanUp(service);
      await rm(env.BACKUP_DIR, { recursive: true, force: true });
    }
  });
});
