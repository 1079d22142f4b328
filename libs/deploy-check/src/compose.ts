/**
 * Checks of deploy/compose.yaml: each lnfleet container sets only variables its command reads and
 * runs as a non-root user on a read-only root file system; third-party images are pinned; the
 * services start after provisioning, which starts after NATS and PostgreSQL are healthy.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { isPinned } from './dockerfile.js';
import type { EnvRegistry } from './environment.js';

/** ComposeService is the part of a compose service the checks look at. */
export interface ComposeService {
  readonly image?: string;
  readonly build?: unknown;
  readonly command?: readonly string[] | string;
  readonly user?: string;
  readonly read_only?: boolean;
  readonly environment?: Readonly<Record<string, string>> | readonly string[];
  readonly depends_on?: Readonly<Record<string, { readonly condition?: string }>> | readonly string[];
  readonly healthcheck?: unknown;
}

/** ComposeFile is a parsed compose file (YAML merge keys resolved). */
export interface ComposeFile {
  readonly services: Readonly<Record<string, ComposeService>>;
}

/** readCompose parses a compose file, resolving `<<` merge keys as compose does. */
export function readCompose(path: string): ComposeFile {
  return parse(readFileSync(path, 'utf8'), { merge: true }) as ComposeFile;
}

/** LNFLEET_IMAGE is the image the compose file builds from deploy/Dockerfile. */
export const LNFLEET_IMAGE = 'lnfleet:dev';

/** composeProblems returns one message per broken rule, naming the compose service. */
export function composeProblems(compose: ComposeFile, registry: EnvRegistry): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(compose.services)) {
    if (service.image !== LNFLEET_IMAGE) {
      if (service.image === undefined || !isPinned(service.image)) problems.push(`${name}: image ${service.image ?? '(none)'} is not pinned to a version`);
      continue;
    }
    const command = typeof service.command === 'string' ? service.command.split(/\s+/)[0] : service.command?.[0];
    const known = command === undefined ? undefined : registry[command];
    if (known === undefined) problems.push(`${name}: runs ${command ?? 'no command'}, which has no list of environment variables`);
    else {
      const names = environmentNames(service.environment);
      for (const variable of names) if (!known.includes(variable)) problems.push(`${name}: sets ${variable}, which ${command ?? ''} does not read`);
    }
    const uid = service.user?.split(':')[0];
    if (uid === undefined || uid === '0' || uid === 'root') problems.push(`${name}: runs as ${service.user ?? "the image's user"}: set user to a non-root uid`);
    if (service.read_only !== true) problems.push(`${name}: the root file system is writable (read_only: true)`);
    if (command !== 'provision') {
      const dependsOn = service.depends_on;
      const provision = dependsOn !== undefined && !Array.isArray(dependsOn) ? (dependsOn as Record<string, { condition?: string }>).provision : undefined;
      if (provision?.condition !== 'service_completed_successfully') problems.push(`${name}: starts before provisioning has completed`);
    } else {
      for (const needed of ['nats', 'postgres']) {
        const dependsOn = service.depends_on as Record<string, { condition?: string }> | undefined;
        if (dependsOn?.[needed]?.condition !== 'service_healthy') problems.push(`${name}: starts before ${needed} is healthy`);
      }
    }
  }
  return problems;
}

/** environmentNames lists the variable names of a compose `environment` (a map or KEY=VALUE list). */
function environmentNames(environment: ComposeService['environment']): string[] {
  if (environment === undefined) return [];
  if (isList(environment)) return environment.map((entry) => entry.split('=')[0] ?? '');
  return Object.keys(environment);
}

function isList(environment: NonNullable<ComposeService['environment']>): environment is readonly string[] {
  return Array.isArray(environment);
}
