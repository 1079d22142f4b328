/**
 * The rules every rendered overlay must keep beyond its schema: each container has resource
 * requests and limits and runs as a non-root user without privilege escalation; each container of
 * a long-running workload has liveness and readiness probes on a port it declares; references to
 * ConfigMaps, Services and scale targets resolve; the gateway's NODE_GATEWAY_REPLICAS equals its
 * StatefulSet's replicas.
 */
import { describe } from './schemas.js';
import type { KubeObject } from './kustomize.js';

/** Probe is the part of a container probe the rules look at. */
export interface Probe {
  readonly httpGet?: { readonly path?: string; readonly port?: number | string };
  readonly tcpSocket?: { readonly port?: number | string };
  readonly exec?: { readonly command?: readonly string[] };
}

/** SecurityContext is the part of a pod's or container's security context the rules look at. */
export interface SecurityContext {
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: number;
  readonly allowPrivilegeEscalation?: boolean;
  readonly privileged?: boolean;
}

/** EnvVar is one entry of a container's env. */
export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: {
    readonly secretKeyRef?: { readonly name?: string; readonly key?: string; readonly optional?: boolean };
    readonly configMapKeyRef?: { readonly name?: string; readonly key?: string; readonly optional?: boolean };
  };
}

/** Container is the part of a container spec the rules look at. */
export interface Container {
  readonly name: string;
  readonly image?: string;
  readonly args?: readonly string[];
  readonly command?: readonly string[];
  readonly ports?: readonly { readonly name?: string; readonly containerPort: number }[];
  readonly env?: readonly EnvVar[];
  readonly envFrom?: readonly { readonly configMapRef?: { readonly name?: string; readonly optional?: boolean }; readonly secretRef?: { readonly name?: string; readonly optional?: boolean } }[];
  readonly resources?: { readonly requests?: Readonly<Record<string, string | number>>; readonly limits?: Readonly<Record<string, string | number>> };
  readonly livenessProbe?: Probe;
  readonly readinessProbe?: Probe;
  readonly startupProbe?: Probe;
  readonly securityContext?: SecurityContext;
}

/** PodSpec is the part of a pod spec the rules look at. */
export interface PodSpec {
  readonly containers?: readonly Container[];
  readonly initContainers?: readonly Container[];
  readonly securityContext?: SecurityContext;
  readonly volumes?: readonly { readonly name: string; readonly configMap?: { readonly name?: string }; readonly secret?: { readonly secretName?: string } }[];
}

/** Workload is a rendered object with a pod template, and the containers in it. */
export interface Workload {
  readonly object: KubeObject;
  readonly pod: PodSpec;
  /** longRunning is true for Deployments and StatefulSets (probes required), false for Jobs. */
  readonly longRunning: boolean;
}

const LONG_RUNNING = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
const WITH_POD_TEMPLATE = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

/** workloads lists the objects with a pod template. */
export function workloads(objects: readonly KubeObject[]): Workload[] {
  return objects.flatMap((object) => {
    if (!WITH_POD_TEMPLATE.has(object.kind)) return [];
    const spec = object.spec as { template?: { spec?: PodSpec } } | undefined;
    return [{ object, pod: spec?.template?.spec ?? {}, longRunning: LONG_RUNNING.has(object.kind) }];
  });
}

/** policyProblems checks resources, probes and users of every container; each problem names object and container. */
export function policyProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  for (const { object, pod, longRunning } of workloads(objects)) {
    const containers = [...(pod.containers ?? []), ...(pod.initContainers ?? [])];
    if ((pod.containers ?? []).length === 0) problems.push(`${describe(object)}: no containers`);
    for (const container of containers) {
      const where = `${describe(object)} container ${container.name}`;
      problems.push(...resourceProblems(container).map((problem) => `${where}: ${problem}`));
      problems.push(...userProblems(pod.securityContext ?? {}, container.securityContext ?? {}).map((problem) => `${where}: ${problem}`));
    }
    if (longRunning) {
      for (const container of pod.containers ?? []) {
        problems.push(...probeProblems(container).map((problem) => `${describe(object)} container ${container.name}: ${problem}`));
      }
    }
  }
  return problems;
}

/** resourceProblems: cpu and memory requests and limits must all be set. */
export function resourceProblems(container: Container): string[] {
  const problems: string[] = [];
  for (const kind of ['requests', 'limits'] as const) {
    for (const resource of ['cpu', 'memory']) {
      if (container.resources?.[kind]?.[resource] === undefined) problems.push(`no resources.${kind}.${resource}`);
    }
  }
  return problems;
}

/**
 * userProblems: the container must run as a non-root user (runAsNonRoot, and a runAsUser other
 * than 0, from the container or else the pod), must not be privileged and must not be allowed to
 * escalate privileges.
 */
export function userProblems(pod: SecurityContext, container: SecurityContext): string[] {
  const problems: string[] = [];
  const runAsNonRoot = container.runAsNonRoot ?? pod.runAsNonRoot;
  const runAsUser = container.runAsUser ?? pod.runAsUser;
  if (runAsNonRoot !== true) problems.push('runs as root: runAsNonRoot is not true');
  if (runAsUser === undefined) problems.push('runs as the image\'s user: set a numeric runAsUser');
  else if (runAsUser === 0) problems.push('runs as root: runAsUser is 0');
  if (container.privileged === true) problems.push('is privileged');
  if (container.allowPrivilegeEscalation !== false) problems.push('allowPrivilegeEscalation is not false');
  return problems;
}

/** probeProblems: liveness and readiness probes, each on a port the container declares. */
export function probeProblems(container: Container): string[] {
  const problems: string[] = [];
  for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
    const probe = container[kind];
    if (probe === undefined) {
      if (kind !== 'startupProbe') problems.push(`no ${kind}`);
      continue;
    }
    const port = probe.httpGet?.port ?? probe.tcpSocket?.port;
    if (port === undefined) {
      if (probe.exec === undefined) problems.push(`${kind} has no httpGet, tcpSocket or exec`);
      continue;
    }
    const declared = (container.ports ?? []).some((p) => p.name === port || p.containerPort === port);
    if (!declared) problems.push(`${kind} probes port ${String(port)}, which the container does not declare`);
  }
  return problems;
}

/**
 * referenceProblems: ConfigMaps a pod reads exist in the render (Secrets are created by the
 * operator, k8s/README.md); every ScaledObject scales a Deployment or StatefulSet of the render;
 * NODE_GATEWAY_REPLICAS equals the node-gateway StatefulSet's replicas; HTTP_PORT is a declared port.
 */
export function referenceProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  const has = (kind: string, name: string): boolean => objects.some((object) => object.kind === kind && object.metadata.name === name);
  for (const { object, pod } of workloads(objects)) {
    for (const container of [...(pod.containers ?? []), ...(pod.initContainers ?? [])]) {
      const where = `${describe(object)} container ${container.name}`;
      for (const source of container.envFrom ?? []) {
        const name = source.configMapRef?.name;
        if (name !== undefined && source.configMapRef?.optional !== true && !has('ConfigMap', name)) problems.push(`${where}: envFrom ConfigMap ${name} is not in the render`);
      }
      for (const variable of container.env ?? []) {
        const ref = variable.valueFrom?.configMapKeyRef;
        if (ref?.name !== undefined && ref.optional !== true && !has('ConfigMap', ref.name)) problems.push(`${where}: env ${variable.name} reads ConfigMap ${ref.name}, which is not in the render`);
      }
      const httpPort = container.env?.find((variable) => variable.name === 'HTTP_PORT')?.value;
      if (httpPort !== undefined && !(container.ports ?? []).some((port) => String(port.containerPort) === httpPort)) {
        problems.push(`${where}: HTTP_PORT ${httpPort} is not one of the container's ports`);
      }
    }
    for (const volume of pod.volumes ?? []) {
      if (volume.configMap?.name !== undefined && !has('ConfigMap', volume.configMap.name)) problems.push(`${describe(object)}: volume ${volume.name} mounts ConfigMap ${volume.configMap.name}, which is not in the render`);
    }
    if (object.kind === 'StatefulSet' && object.metadata.name === 'node-gateway') {
      const replicas = (object.spec as { replicas?: number }).replicas ?? 1;
      const declared = pod.containers?.find((c) => c.name === 'node-gateway')?.env?.find((v) => v.name === 'NODE_GATEWAY_REPLICAS')?.value;
      if (declared !== String(replicas)) problems.push(`${describe(object)}: NODE_GATEWAY_REPLICAS is ${declared ?? 'unset'} but the StatefulSet has ${replicas} replicas`);
    }
  }
  for (const object of objects) {
    if (object.kind !== 'ScaledObject') continue;
    const target = (object.spec as { scaleTargetRef?: { name?: string; kind?: string } }).scaleTargetRef;
    const kind = target?.kind ?? 'Deployment';
    if (target?.name === undefined || !has(kind, target.name)) problems.push(`${describe(object)}: scaleTargetRef ${kind} ${target?.name ?? '(none)'} is not in the render`);
  }
  return problems;
}
