import { testInfrastructure, uniqueName } from '@lnfleet/testing';
import { autopilotService } from '../../../services/autopilot/src/service.js';
import { backupService } from '../../../services/backup/src/service.js';
import { chanfitnessService } from '../../../services/chanfitness/src/service.js';
import { nodeGatewayService } from '../../../services/node-gateway/src/service.js';
import { bootstrapService } from './runtime.js';

// Each deployable starts against real NATS and PostgreSQL and reports itself connected.
describe.each([autopilotService, chanfitnessService, backupService, nodeGatewayService])('the $name service', (definition) => {
  it('starts, connects and stops cleanly', async () => {
    const { natsUrl, databaseUrl } = await testInfrastructure();
    const namespace = uniqueName('svc');
    const service = await bootstrapService(definition, { NATS_URL: natsUrl, DATABASE_URL: databaseUrl, LNFLEET_NAMESPACE: namespace, DATABASE_SCHEMA: uniqueName('svc') }, { logger: false });
    try {
      expect(service.context.name).toBe(definition.name);
      expect(service.context.connection.isClosed()).toBe(false);
      expect(service.context.dataSource.isInitialized).toBe(true);
      const rows: unknown = await service.context.dataSource.query('SELECT current_schema() AS schema');
      expect(rows).toEqual([{ schema: expect.stringMatching(/^svc_/) as unknown }]);
    } finally {
      const { jetstreamManager } = await import('@nats-io/jetstream');
      const jsm = await jetstreamManager(service.context.connection);
      for (const spec of Object.values(service.context.topology.streams())) await jsm.streams.delete(spec.name);
      await service.context.dataSource.query(`DROP SCHEMA "${(service.context.dataSource.options as { schema: string }).schema}" CASCADE`);
      await service.stop();
    }
  });
});
