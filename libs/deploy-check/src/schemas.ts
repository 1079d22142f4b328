/**
 * Schema validation of rendered objects: Kubernetes kinds against the OpenAPI schemas shipped in
 * `kubernetes-models`, KEDA's against the CRD schemas in `@kubernetes-models/keda`, and the
 * nats-jetstream trigger's metadata (a free string map in the CRD) against KEDA's documented fields.
 */
import { z } from 'zod';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { KubeObject } from './kustomize.js';

interface Validatable {
  validate(): void;
}
type Model = new (data: never) => Validatable;

/** MODELS maps apiVersion/kind to its model; a kind not listed here is reported, not skipped. */
const MODELS: Readonly<Record<string, Model>> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
};

/**
 * NatsJetStreamTrigger is the `nats-jetstream` trigger's metadata as KEDA documents it
 * (keda.sh/docs/2.x/scalers/nats-jetstream, same fields from v2.8 to v2.19): the monitoring
 * endpoint (host:port, no scheme), account ("$G" without accounts), stream, consumer,
 * lagThreshold (average target), optional activationLagThreshold (default 0) and useHttps
 * (default false). All values are strings, as in every trigger's metadata.
 */
const NatsJetStreamTrigger = z.strictObject({
  natsServerMonitoringEndpoint: z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port of the NATS monitoring endpoint, without a scheme'),
  account: z.string().min(1),
  stream: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be a stream name'),
  consumer: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be a durable consumer name'),
  lagThreshold: z.string().regex(/^[1-9]\d*$/, 'must be a positive whole number (as a string)'),
  activationLagThreshold: z.string().regex(/^\d+$/, 'must be a whole number (as a string)').optional(),
  useHttps: z.enum(['true', 'false']).optional(),
});

/** schemaProblems validates each object against its kind's schema; each problem names the object. */
export function schemaProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const name = describe(object);
    const model = MODELS[`${object.apiVersion}/${object.kind}`];
    if (model === undefined) {
      problems.push(`${name}: no schema known for ${object.apiVersion} ${object.kind} (add it to libs/deploy-check/src/schemas.ts)`);
      continue;
    }
    try {
      new model(structuredClone(object) as never).validate();
    } catch (error) {
      problems.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (object.kind === 'ScaledObject') problems.push(...triggerProblems(object));
  }
  return problems;
}

/** NatsJetStreamTriggerMetadata is a validated nats-jetstream trigger's metadata. */
export type NatsJetStreamTriggerMetadata = z.infer<typeof NatsJetStreamTrigger>;

/** natsJetStreamTriggers returns a ScaledObject's nats-jetstream triggers' metadata (validated ones only). */
export function natsJetStreamTriggers(object: KubeObject): NatsJetStreamTriggerMetadata[] {
  return scaledObjectTriggers(object).flatMap((trigger) => {
    if (trigger.type !== 'nats-jetstream') return [];
    const parsed = NatsJetStreamTrigger.safeParse(trigger.metadata);
    return parsed.success ? [parsed.data] : [];
  });
}

function triggerProblems(object: KubeObject): string[] {
  const problems: string[] = [];
  for (const [index, trigger] of scaledObjectTriggers(object).entries()) {
    if (trigger.type !== 'nats-jetstream') continue;
    const parsed = NatsJetStreamTrigger.safeParse(trigger.metadata);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      problems.push(`${describe(object)}: triggers[${index}] nats-jetstream metadata.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
    }
  }
  return problems;
}

function scaledObjectTriggers(object: KubeObject): { type?: unknown; metadata?: unknown }[] {
  const spec = object.spec as { triggers?: unknown } | undefined;
  return Array.isArray(spec?.triggers) ? (spec.triggers as { type?: unknown; metadata?: unknown }[]) : [];
}

/** describe names an object in problems: Kind namespace/name. */
export function describe(object: KubeObject): string {
  const namespace = typeof object.metadata.namespace === 'string' ? `${object.metadata.namespace}/` : '';
  return `${object.kind} ${namespace}${object.metadata.name}`;
}
