import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseEnv, envVariableNames, NatsEnv } from '@lnfleet/config';
import { Topology } from '@lnfleet/contracts';
import type { ServiceDefinition } from '@lnfleet/service-kit';
import { autopilotService } from '../../../services/autopilot/src/service.js';
import { autopilotEnvVariables } from '../../../services/autopilot/src/env-variables.js';
import { backupService } from '../../../services/backup/src/service.js';
import { backupEnvVariables } from '../../../services/backup/src/env-variables.js';
import { chanfitnessService } from '../../../services/chanfitness/src/service.js';
import { ChanfitnessEnv } from '../../../services/chanfitness/src/config.js';
import { chanfitnessEnvVariables } from '../../../services/chanfitness/src/env-variables.js';
import { loadGatewayConfig } from '../../../services/node-gateway/src/config/gateway-config.js';
import { nodeGatewayEnvVariables } from '../../../services/node-gateway/src/env-variables.js';
import { envProblems, type EnvRegistry } from './environment.js';
import type { KubeObject } from './kustomize.js';
import { policyProblems, referenceProblems, workloads, type Container, type PodSpec } from './policy.js';
import { OVERLAYS, renderOverlay, REPO_ROOT } from './repo.js';
import { natsJetStreamTriggers, schemaProblems } from './schemas.js';

/** What each container command reads: the services' own lists, and `provision` (provisionService: NATS and PostgreSQL only). */
const REGISTRY: EnvRegistry = {
  'node-gateway': nodeGatewayEnvVariables,
  autopilot: autopilotEnvVariables,
  chanfitness: chanfitnessEnvVariables,
  backup: backupEnvVariables,
  provision: envVariableNames(NatsEnv, DatabaseEnv),
};

const CONSUMERS: Readonly<Record<string, ServiceDefinition>> = { autopilot: autopilotService, chanfitness: chanfitnessService, backup: backupService };

const rendered = new Map<string, KubeObject[]>(OVERLAYS.map((overlay) => [overlay, renderOverlay(overlay)]));

function render(overlay: string): KubeObject[] {
  const objects = rendered.get(overlay);
  if (objects === undefined) throw new Error(`${overlay} was not rendered`);
  return structuredClone(objects);
}

function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const object = objects.find((candidate) => candidate.kind === kind && candidate.metadata.name === name);
  if (object === undefined) throw new Error(`${kind} ${name} is not in the render`);
  return object;
}

function podOf(object: KubeObject): PodSpec {
  return (object.spec as { template: { spec: PodSpec } }).template.spec;
}

/** Writable lets a negative test break one field of a rendered (plain, cloned) object. */
type Writable<T> = { -readonly [K in keyof T]: T[K] };

function containerOf(object: KubeObject, name: string): Writable<Container> {
  const container = podOf(object).containers?.find((candidate) => candidate.name === name);
  if (container === undefined) throw new Error(`no container ${name}`);
  return container;
}

/** configEnv is what a container reads from ConfigMaps and literal env values (Secrets left out). */
function configEnv(objects: readonly KubeObject[], container: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const configMap = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === source.configMapRef?.name);
    Object.assign(env, configMap?.data ?? {});
  }
  for (const variable of container.env ?? []) if (variable.value !== undefined) env[variable.name] = variable.value;
  return env;
}

const scratch = mkdtempSync(join(tmpdir(), 'deploy-check-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/**
 * podFilesHere points the variables that name files mounted in the pod at stand-ins in a scratch
 * directory, so that a service's config can be loaded here: BACKUP_DIR (an empty directory) and
 * BACKUP_MASTER_KEY_FILE (a random key).
 */
function podFilesHere(env: Record<string, string>): Record<string, string> {
  const here: Record<string, string> = {};
  if (env.BACKUP_DIR !== undefined) here.BACKUP_DIR = join(scratch, 'backup');
  if (env.BACKUP_MASTER_KEY_FILE !== undefined) {
    here.BACKUP_MASTER_KEY_FILE = join(scratch, 'master.key');
    writeFileSync(here.BACKUP_MASTER_KEY_FILE, randomBytes(32).toString('hex'));
  }
  return here;
}

describe.each(OVERLAYS)('the %s overlay', (overlay) => {
  it('renders objects that all validate against the Kubernetes and KEDA schemas', () => {
    const objects = render(overlay);
    expect(objects.length).toBeGreaterThan(20);
    expect(schemaProblems(objects)).toEqual([]);
  });

  it('gives every container limits, a non-root user and (long-running ones) probes', () => {
    expect(policyProblems(render(overlay))).toEqual([]);
  });

  it('refers only to ConfigMaps, ports and scale targets that exist, with NODE_GATEWAY_REPLICAS equal to the gateway replicas', () => {
    expect(referenceProblems(render(overlay))).toEqual([]);
  });

  it('sets only environment variables the services read', () => {
    expect(envProblems(render(overlay), REGISTRY)).toEqual([]);
  });

  it('has a Deployment, a PodDisruptionBudget and a KEDA ScaledObject per consumer service, and the gateway as a StatefulSet', () => {
    const objects = render(overlay);
    for (const service of Object.keys(CONSUMERS)) {
      expect(find(objects, 'Deployment', service).kind).toBe('Deployment');
      expect((find(objects, 'PodDisruptionBudget', service).spec as { selector: unknown }).selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': service } });
      expect(natsJetStreamTriggers(find(objects, 'ScaledObject', service))).toHaveLength(1);
    }
    expect(find(objects, 'StatefulSet', 'node-gateway').kind).toBe('StatefulSet');
    expect(find(objects, 'PodDisruptionBudget', 'node-gateway').kind).toBe('PodDisruptionBudget');
    expect(containerOf(find(objects, 'Job', 'lnfleet-provision'), 'provision').args).toEqual(['provision']);
  });

  it("scales each consumer on the lag of the durable consumer its service actually binds, on its stream", () => {
    const objects = render(overlay);
    for (const [service, definition] of Object.entries(CONSUMERS)) {
      const container = containerOf(find(objects, 'Deployment', service), service);
      // Files the pod mounts (the backup key, BACKUP_DIR) live here in a scratch directory.
      const env = { ...configEnv(objects, container), ...podFilesHere(configEnv(objects, container)) };
      const topology = new Topology({ ...(env.LNFLEET_NAMESPACE !== undefined ? { namespace: env.LNFLEET_NAMESPACE } : {}) });
      const bindings = definition.bindings(topology, env);
      const [trigger] = natsJetStreamTriggers(find(objects, 'ScaledObject', service));
      expect(bindings.map((binding) => `${binding.stream}/${binding.durable}`)).toContain(`${trigger?.stream ?? ''}/${trigger?.consumer ?? ''}`);
      expect(trigger?.natsServerMonitoringEndpoint).toBe('nats-headless:8222');
    }
  });

  it('probes /health for liveness and /health/ready for readiness, on the port HTTP_PORT names', () => {
    const objects = render(overlay);
    for (const { object, longRunning } of workloads(objects)) {
      if (!longRunning) continue;
      const [container] = podOf(object).containers ?? [];
      if (container === undefined) throw new Error(`${object.metadata.name} has no container`);
      expect({ name: object.metadata.name, live: container.livenessProbe?.httpGet?.path, ready: container.readinessProbe?.httpGet?.path }).toEqual({
        name: object.metadata.name,
        live: '/health',
        ready: '/health/ready',
      });
    }
  });

  it('runs chanfitness with the larger young generation its README asks for', () => {
    const container = containerOf(find(render(overlay), 'Deployment', 'chanfitness'), 'chanfitness');
    expect(container.env?.find((variable) => variable.name === 'NODE_OPTIONS')?.value?.split(/\s+/)).toContain('--max-semi-space-size=64');
  });

  it('names only Secrets that k8s/README.md tells the operator to create', () => {
    const readme = readFileSync(join(REPO_ROOT, 'k8s/README.md'), 'utf8');
    const secrets = new Set<string>();
    for (const { pod } of workloads(render(overlay))) {
      for (const container of pod.containers ?? []) for (const variable of container.env ?? []) if (variable.valueFrom?.secretKeyRef?.name !== undefined) secrets.add(variable.valueFrom.secretKeyRef.name);
      for (const volume of pod.volumes ?? []) if (volume.secret?.secretName !== undefined) secrets.add(volume.secret.secretName);
    }
    expect([...secrets].sort()).toEqual(['lnfleet-backup-key', 'lnfleet-database', 'lnfleet-nats', 'lnfleet-node-credentials']);
    for (const secret of secrets) expect(readme).toContain(`create secret generic ${secret} `);
  });
});

describe('the fleet ConfigMap', () => {
  it('holds a fleet file the gateway accepts', () => {
    const fleet = loadGatewayConfig({ NODE_GATEWAY_CONFIG_FILE: join(REPO_ROOT, 'k8s/base/fleet.json') });
    expect(fleet.nodes.map((node) => node.kind)).toEqual(['sim', 'sim', 'sim']);
    const configMap = find(render('k8s/overlays/prod'), 'ConfigMap', 'node-gateway-fleet');
    expect(configMap.data).toEqual({ 'fleet.json': readFileSync(join(REPO_ROOT, 'k8s/base/fleet.json'), 'utf8') });
  });
});

describe('overlay differences', () => {
  it('replicates streams once in dev and 3 times in prod, with 3 gateway replicas splitting the fleet in prod', () => {
    const common = (overlay: string): unknown => find(render(overlay), 'ConfigMap', 'lnfleet-common').data;
    expect(common('k8s/overlays/dev')).toMatchObject({ LNFLEET_STREAM_REPLICAS: '1' });
    expect(common('k8s/overlays/prod')).toMatchObject({ LNFLEET_STREAM_REPLICAS: '3' });
    const gateway = find(render('k8s/overlays/prod'), 'StatefulSet', 'node-gateway');
    expect((gateway.spec as { replicas: number }).replicas).toBe(3);
  });

  it('gives each consumer its own replica count and scaling bounds in prod', () => {
    const prod = render('k8s/overlays/prod');
    const bounds = Object.keys(CONSUMERS).map((service) => {
      const spec = find(prod, 'ScaledObject', service).spec as { minReplicaCount: number; maxReplicaCount: number };
      return [service, (find(prod, 'Deployment', service).spec as { replicas: number }).replicas, spec.minReplicaCount, spec.maxReplicaCount];
    });
    expect(bounds).toEqual([
      ['autopilot', 2, 2, 8],
      ['chanfitness', 2, 2, 6],
      ['backup', 2, 2, 4],
    ]);
  });
});

describe('the checks catch what they are for', () => {
  const prod = (): KubeObject[] => render('k8s/overlays/prod');

  it('a missing readiness probe', () => {
    const objects = prod();
    delete containerOf(find(objects, 'Deployment', 'chanfitness'), 'chanfitness').readinessProbe;
    expect(policyProblems(objects)).toEqual(['Deployment lnfleet/chanfitness container chanfitness: no readinessProbe']);
  });

  it('a missing liveness probe', () => {
    const objects = prod();
    delete containerOf(find(objects, 'StatefulSet', 'node-gateway'), 'node-gateway').livenessProbe;
    expect(policyProblems(objects)).toEqual(['StatefulSet lnfleet/node-gateway container node-gateway: no livenessProbe']);
  });

  it('a probe on a port the container does not declare', () => {
    const objects = prod();
    const container = containerOf(find(objects, 'Deployment', 'autopilot'), 'autopilot');
    container.readinessProbe = { httpGet: { path: '/health/ready', port: 9999 } };
    expect(policyProblems(objects)).toEqual(['Deployment lnfleet/autopilot container autopilot: readinessProbe probes port 9999, which the container does not declare']);
  });

  it('a missing memory limit', () => {
    const objects = prod();
    const container = containerOf(find(objects, 'Deployment', 'backup'), 'backup');
    container.resources = { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1' } };
    expect(policyProblems(objects)).toEqual(['Deployment lnfleet/backup container backup: no resources.limits.memory']);
  });

  it('a missing resource limit on a Job', () => {
    const objects = prod();
    delete containerOf(find(objects, 'Job', 'lnfleet-provision'), 'provision').resources;
    expect(policyProblems(objects)).toHaveLength(4);
    expect(policyProblems(objects)).toContain('Job lnfleet/lnfleet-provision container provision: no resources.limits.cpu');
  });

  it('a container running as root', () => {
    const objects = prod();
    const container = containerOf(find(objects, 'Deployment', 'autopilot'), 'autopilot');
    container.securityContext = { ...container.securityContext, runAsUser: 0 };
    expect(policyProblems(objects)).toEqual(['Deployment lnfleet/autopilot container autopilot: runs as root: runAsUser is 0']);
  });

  it('a pod that does not say it runs as non-root', () => {
    const objects = prod();
    const pod = podOf(find(objects, 'Job', 'lnfleet-provision')) as unknown as { securityContext: Record<string, unknown> };
    delete pod.securityContext.runAsNonRoot;
    const container = containerOf(find(objects, 'Job', 'lnfleet-provision'), 'provision');
    container.securityContext = { allowPrivilegeEscalation: false };
    expect(policyProblems(objects)).toEqual(['Job lnfleet/lnfleet-provision container provision: runs as root: runAsNonRoot is not true']);
  });

  it('an object that breaks its Kubernetes schema', () => {
    const objects = prod();
    const container = containerOf(find(objects, 'Deployment', 'autopilot'), 'autopilot');
    (container as { ports: unknown }).ports = [{ name: 'http', containerPort: '8082' }];
    expect(schemaProblems(objects)).toEqual([expect.stringMatching(/^Deployment lnfleet\/autopilot: .*containerPort must be integer/)]);
  });

  it('a ScaledObject that breaks the KEDA CRD schema, and a nats-jetstream trigger without its lag threshold', () => {
    const objects = prod();
    const scaled = find(objects, 'ScaledObject', 'chanfitness');
    (scaled.spec as { minReplicaCount: unknown }).minReplicaCount = 'two';
    delete (scaled.spec as { triggers: { metadata: Record<string, string> }[] }).triggers[0]?.metadata.lagThreshold;
    expect(schemaProblems(objects)).toEqual([
      expect.stringMatching(/^ScaledObject lnfleet\/chanfitness: .*minReplicaCount must be integer/),
      expect.stringMatching(/^ScaledObject lnfleet\/chanfitness: triggers\[0\] nats-jetstream metadata\.lagThreshold: /),
    ]);
  });

  it('a kind without a schema', () => {
    expect(schemaProblems([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }])).toEqual([
      'Widget w: no schema known for example.com/v1 Widget (add it to libs/deploy-check/src/schemas.ts)',
    ]);
  });

  it('an environment variable no service reads, and a command without a list', () => {
    const objects = prod();
    const autopilot = containerOf(find(objects, 'Deployment', 'autopilot'), 'autopilot') as unknown as { env: { name: string; value: string }[] };
    autopilot.env.push({ name: 'AUTOPILOT_TURBO', value: 'true' });
    const job = containerOf(find(objects, 'Job', 'lnfleet-provision'), 'provision') as unknown as { args: string[] };
    job.args = ['migrate'];
    expect(envProblems(objects, REGISTRY)).toEqual([
      'Deployment lnfleet/autopilot container autopilot: sets AUTOPILOT_TURBO, which autopilot does not read',
      'Job lnfleet/lnfleet-provision container provision: runs migrate, which has no list of environment variables (known: node-gateway, autopilot, chanfitness, backup, provision)',
    ]);
  });

  it('a ConfigMap key no service reads', () => {
    const objects = prod();
    (find(objects, 'ConfigMap', 'chanfitness-config').data as Record<string, string>).CHANFITNESS_SPEED = 'fast';
    expect(envProblems(objects, REGISTRY)).toEqual(['Deployment lnfleet/chanfitness container chanfitness: sets CHANFITNESS_SPEED, which chanfitness does not read']);
  });

  it('NODE_GATEWAY_REPLICAS out of step with the StatefulSet', () => {
    const objects = prod();
    (find(objects, 'StatefulSet', 'node-gateway').spec as { replicas: number }).replicas = 4;
    expect(referenceProblems(objects)).toEqual(['StatefulSet lnfleet/node-gateway: NODE_GATEWAY_REPLICAS is 3 but the StatefulSet has 4 replicas']);
  });
});

describe('the replay and audit Jobs (k8s/jobs)', () => {
  // What tools/lnfleet-cli reads: NATS and PostgreSQL (connections.ts: loadNatsConfig,
  // loadDatabaseConfig), chanfitness's settings (loadChanfitnessConfig) and the autopilot's
  // durable prefix (durablePrefix).
  const cliRegistry: EnvRegistry = { cli: [...envVariableNames(NatsEnv, DatabaseEnv, ChanfitnessEnv), 'AUTOPILOT_DURABLE_PREFIX'] };
  const jobs = (): KubeObject[] => renderOverlay('k8s/jobs');

  it('validate against the schemas, keep the container rules and set only variables the CLI reads', () => {
    const objects = jobs();
    expect(objects.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual(['Job/lnfleet-replay', 'Job/lnfleet-audit']);
    expect(schemaProblems(objects)).toEqual([]);
    expect(policyProblems(objects)).toEqual([]);
    expect(envProblems([...objects, ...render('k8s/overlays/prod').filter((object) => object.kind === 'ConfigMap')], cliRegistry)).toEqual([]);
  });

  it('run the CLI commands, reading ConfigMaps the overlays create', () => {
    const objects = jobs();
    expect(objects.map((object) => containerOf(object, object.metadata.name.replace('lnfleet-', '')).args?.slice(0, 2))).toEqual([
      ['cli', 'replay'],
      ['cli', 'audit'],
    ]);
    for (const overlay of OVERLAYS) {
      const configMaps = render(overlay).filter((object) => object.kind === 'ConfigMap');
      expect(referenceProblems([...objects, ...configMaps])).toEqual([]);
    }
  });
});
