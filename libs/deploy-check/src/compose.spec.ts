import { join } from 'node:path';
import { DatabaseEnv, envVariableNames, NatsEnv } from '@lnfleet/config';
import { autopilotEnvVariables } from '../../../services/autopilot/src/env-variables.js';
import { backupEnvVariables } from '../../../services/backup/src/env-variables.js';
import { chanfitnessEnvVariables } from '../../../services/chanfitness/src/env-variables.js';
import { nodeGatewayEnvVariables } from '../../../services/node-gateway/src/env-variables.js';
import { composeProblems, readCompose, type ComposeFile, type ComposeService } from './compose.js';
import { loadGatewayConfig } from '../../../services/node-gateway/src/config/gateway-config.js';
import { REPO_ROOT } from './repo.js';

const REGISTRY = {
  'node-gateway': nodeGatewayEnvVariables,
  autopilot: autopilotEnvVariables,
  chanfitness: chanfitnessEnvVariables,
  backup: backupEnvVariables,
  provision: envVariableNames(NatsEnv, DatabaseEnv),
};

const compose = (): ComposeFile => structuredClone(readCompose(join(REPO_ROOT, 'deploy/compose.yaml')));

/** service returns a compose service that a negative test may change (the file is a fresh parse). */
function service(file: ComposeFile, name: string): { -readonly [K in keyof ComposeService]: ComposeService[K] } & Record<string, unknown> {
  const found = file.services[name];
  if (found === undefined) throw new Error(`no compose service ${name}`);
  return found as { -readonly [K in keyof ComposeService]: ComposeService[K] } & Record<string, unknown>;
}

describe('deploy/compose.yaml', () => {
  it('keeps every rule', () => {
    expect(composeProblems(compose(), REGISTRY)).toEqual([]);
  });

  it('runs NATS with JetStream on a file store in a volume, PostgreSQL, provisioning, the four services', () => {
    const file = compose();
    expect(Object.keys(file.services).sort()).toEqual(['autopilot', 'backup', 'chanfitness', 'nats', 'node-gateway', 'postgres', 'provision']);
    expect(service(file, 'nats').command).toEqual(['-js', '-sd', '/data', '-m', '8222']);
    expect(service(file, 'nats').volumes).toEqual(['nats-data:/data']);
    expect(service(file, 'provision').build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
  });

  it('runs the simulated fleet in the node-gateway from the file the image carries', () => {
    const gateway = service(compose(), 'node-gateway');
    expect((gateway.environment as Record<string, string>).NODE_GATEWAY_CONFIG_FILE).toBe('/app/deploy/fleet.sim.json');
    // The gateway's own parser accepts the file: three simulated nodes on the synthetic graph.
    const fleet = loadGatewayConfig({ NODE_GATEWAY_CONFIG_FILE: join(REPO_ROOT, 'deploy/fleet.sim.json') });
    expect(fleet.nodes.map((node) => [node.id, node.kind])).toEqual([['sim-0', 'sim'], ['sim-1', 'sim'], ['sim-2', 'sim']]);
  });

  it('publishes each service on its documented port, with HTTP_PORT set to it', () => {
    const file = compose();
    const ports = Object.fromEntries(
      ['node-gateway', 'autopilot', 'chanfitness', 'backup'].map((name) => [name, [(service(file, name).environment as Record<string, string>).HTTP_PORT, service(file, name).ports]]),
    );
    expect(ports).toEqual({
      'node-gateway': ['8081', ['8081:8081']],
      autopilot: ['8082', ['8082:8082']],
      chanfitness: ['8083', ['8083:8083']],
      backup: ['8084', ['8084:8084']],
    });
  });

  it('runs chanfitness with the larger young generation its README asks for', () => {
    const environment = service(compose(), 'chanfitness').environment as Record<string, string>;
    expect(environment.NODE_OPTIONS?.split(/\s+/)).toContain('--max-semi-space-size=64');
  });

  describe('the checks catch', () => {
    it('a variable the service does not read', () => {
      const file = compose();
      (service(file, 'chanfitness').environment as Record<string, string>).CHANFITNESS_TURBO = '1';
      expect(composeProblems(file, REGISTRY)).toEqual(['chanfitness: sets CHANFITNESS_TURBO, which chanfitness does not read']);
    });

    it('a container running as root, with a writable root', () => {
      const file = compose();
      service(file, 'autopilot').user = '0:0';
      service(file, 'autopilot').read_only = false;
      expect(composeProblems(file, REGISTRY)).toEqual(['autopilot: runs as 0:0: set user to a non-root uid', 'autopilot: the root file system is writable (read_only: true)']);
    });

    it('an unpinned image, and a service that does not wait for provisioning', () => {
      const file = compose();
      service(file, 'nats').image = 'nats:latest';
      delete service(file, 'backup').depends_on;
      expect(composeProblems(file, REGISTRY)).toEqual(['nats: image nats:latest is not pinned to a version', 'backup: starts before provisioning has completed']);
    });
  });
});
