import type { FleetOptions } from './config.js';
import { commandTtlMs, demoPolicy, gatewayConfigJson, schemaFor, serviceEnvironment, SERVICES, simnetTuning, type Infrastructure } from './plan.js';
import { AutopilotPolicySet } from '@lnfleet/contracts';

const options: FleetOptions = {
  nodes: 3,
  speed: 120,
  seed: 7,
  graphFile: '../shared/data/g.json.gz',
  runSeconds: undefined,
  exitWhenReady: false,
  json: false,
  untilWorking: false,
  logFile: 'x.log',
  postgresProbe: { host: '127.0.0.1', port: 5432 },
  embeddedPostgres: false,
  natsServerBinary: undefined,
  refreshMs: 1000,
  help: false,
};

const infra: Infrastructure = {
  natsUrl: 'nats://127.0.0.1:4999',
  databaseUrl: { 'node-gateway': 'postgres://a', autopilot: 'postgres://b', chanfitness: 'postgres://c', backup: 'postgres://d' },
  namespace: 'run1',
  schemaPrefix: 'p1',
  backupDir: '/tmp/run/backup',
};

describe('the fleet plan', () => {
  it('declares one sim node per requested node, in the given graph, at the given speed', () => {
    const config = JSON.parse(gatewayConfigJson(options)) as { nodes: unknown[]; simnet: Record<string, unknown> };
    expect(config.nodes).toEqual([
      { id: 'sim-0', kind: 'sim' },
      { id: 'sim-1', kind: 'sim' },
      { id: 'sim-2', kind: 'sim' },
    ]);
    expect(config.simnet).toEqual({ graphPath: '../shared/data/g.json.gz', seed: 7, speed: 120, ...simnetTuning });
    const synthetic = JSON.parse(gatewayConfigJson({ ...options, graphFile: undefined })) as { simnet: Record<string, unknown> };
    expect(synthetic.simnet).not.toHaveProperty('graphPath');
  });

  it('enables a policy the autopilot accepts', () => {
    expect(AutopilotPolicySet.data.safeParse(demoPolicy).success).toBe(true);
    expect(demoPolicy).toMatchObject({ enabled: true, dryRun: false });
  });

  it('gives commands a TTL that outlasts a day of simulated time running ahead of the wall clock', () => {
    expect(commandTtlMs(1)).toBe(600_000);
    expect(commandTtlMs(120)).toBe(600_000 + 119 * 86_400_000);
  });

  it('names schemas like service-kit does, under the prefix when set', () => {
    expect(schemaFor('node-gateway', undefined)).toBe('node_gateway');
    expect(schemaFor('node-gateway', 'p1')).toBe('p1_node_gateway');
    expect(schemaFor('backup', 'p1')).toBe('p1_backup');
  });

  it("builds each service's environment: infrastructure, its own port and schema, and what simulated time needs", () => {
    const base = { PATH: '/bin', LNFLEET_NAMESPACE: 'ignored', DATABASE_SCHEMA: 'ignored', NODE_GATEWAY_CONFIG_FILE: 'ignored.json', NODE_OPTIONS: '--enable-source-maps' };
    const envs = Object.fromEntries(SERVICES.map((s, i) => [s, serviceEnvironment(s, base, options, infra, 9000 + i)]));
    for (const [i, service] of SERVICES.entries()) {
      expect(envs[service]).toMatchObject({ PATH: '/bin', NATS_URL: 'nats://127.0.0.1:4999', HTTP_PORT: String(9000 + i), HTTP_HOST: '127.0.0.1', LNFLEET_NAMESPACE: 'run1', NO_COLOR: '1' });
      expect(envs[service]?.DATABASE_SCHEMA).toBe(schemaFor(service, 'p1'));
      expect(envs[service]?.DATABASE_URL).toBe(infra.databaseUrl[service]);
    }
    expect(envs['node-gateway']).not.toHaveProperty('NODE_GATEWAY_CONFIG_FILE');
    expect(JSON.parse(envs['node-gateway']?.NODE_GATEWAY_CONFIG ?? '{}')).toEqual(JSON.parse(gatewayConfigJson(options)));
    expect(envs['node-gateway']?.NODE_GATEWAY_GRAPH_INTERVAL_MS).toBe('0');
    expect(envs.autopilot).toMatchObject({ AUTOPILOT_COMMAND_TTL_MS: String(commandTtlMs(120)), AUTOPILOT_GRAPH_FILE: '../shared/data/g.json.gz' });
    expect(envs.chanfitness).toMatchObject({ CHANFITNESS_REJUDGE_MS: '0', NODE_OPTIONS: '--enable-source-maps --max-semi-space-size=64' });
    expect(envs.backup).toMatchObject({ BACKUP_INSECURE_DEV_KEY: 'true', BACKUP_DIR: '/tmp/run/backup' });
  });

  it('leaves out what is not set and keeps what the caller configured', () => {
    const plain: Infrastructure = { ...infra, namespace: undefined, schemaPrefix: undefined, backupDir: undefined };
    const gateway = serviceEnvironment('node-gateway', { NODE_GATEWAY_GRAPH_INTERVAL_MS: '60000' }, { ...options, graphFile: undefined }, plain, 1);
    expect(gateway).not.toHaveProperty('LNFLEET_NAMESPACE');
    expect(gateway).not.toHaveProperty('DATABASE_SCHEMA');
    expect(gateway.NODE_GATEWAY_GRAPH_INTERVAL_MS).toBe('60000');
    const backup = serviceEnvironment('backup', { BACKUP_MASTER_KEY_FILE: '/k' }, options, plain, 1);
    expect(backup).not.toHaveProperty('BACKUP_INSECURE_DEV_KEY');
    expect(backup).not.toHaveProperty('BACKUP_DIR');
    expect(serviceEnvironment('autopilot', { AUTOPILOT_GRAPH_FILE: '/other.json' }, { ...options, graphFile: undefined }, plain, 1).AUTOPILOT_GRAPH_FILE).toBe('');
  });
});
