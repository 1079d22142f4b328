/**
 * Cross-checks the environment variables the manifests set against the ones the code reads: each
 * container's command (its first argument: a service name, `provision`, ...) maps to the list of
 * variables that command reads, as exported by the services (src/env-variables.ts).
 */
import { describe } from './schemas.js';
import { workloads, type Container } from './policy.js';
import type { KubeObject } from './kustomize.js';

/** EnvRegistry maps a container command (its first argument) to the variables it reads. */
export type EnvRegistry = Readonly<Record<string, readonly string[]>>;

/**
 * containerEnvNames lists the variables a container gets: its env entries and the keys of the
 * ConfigMaps it takes whole (envFrom). A Secret taken whole cannot be checked (its keys are not in
 * the manifests), so it is reported as a problem instead.
 */
export function containerEnvNames(container: Container, objects: readonly KubeObject[]): { names: string[]; problems: string[] } {
  const names = (container.env ?? []).map((variable) => variable.name);
  const problems: string[] = [];
  for (const source of container.envFrom ?? []) {
    if (source.secretRef !== undefined) problems.push(`envFrom Secret ${source.secretRef.name ?? ''}: its variable names cannot be checked; name each with env[].valueFrom.secretKeyRef`);
    const name = source.configMapRef?.name;
    if (name === undefined) continue;
    const configMap = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === name);
    names.push(...Object.keys(configMap?.data ?? {}));
  }
  return { names, problems };
}

/** envProblems reports every variable a container gets that its command does not read, and containers of unknown commands. */
export function envProblems(objects: readonly KubeObject[], registry: EnvRegistry): string[] {
  const problems: string[] = [];
  for (const { object, pod } of workloads(objects)) {
    for (const container of [...(pod.containers ?? []), ...(pod.initContainers ?? [])]) {
      const where = `${describe(object)} container ${container.name}`;
      const command = container.args?.[0];
      const known = command === undefined ? undefined : registry[command];
      if (known === undefined) {
        problems.push(`${where}: runs ${command ?? 'no command'}, which has no list of environment variables (known: ${Object.keys(registry).join(', ')})`);
        continue;
      }
      const { names, problems: sourceProblems } = containerEnvNames(container, objects);
      problems.push(...sourceProblems.map((problem) => `${where}: ${problem}`));
      for (const name of names) {
        if (!known.includes(name)) problems.push(`${where}: sets ${name}, which ${command} does not read`);
      }
    }
  }
  return problems;
}
