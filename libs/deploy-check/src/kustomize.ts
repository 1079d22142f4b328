/**
 * A renderer for the subset of Kustomize that k8s/ uses, so that `npm test` renders every overlay
 * on a clean clone without a kubectl binary. What it supports, it does as `kubectl kustomize`
 * (v5) does; anything else in a kustomization.yaml is an error naming the field, so a manifest
 * can't silently use a feature this renderer would ignore.
 *
 * Supported: resources (files, or directories with a kustomization.yaml), namespace, labels
 * (pairs; includeTemplates; not includeSelectors), images (newName/newTag), replicas,
 * configMapGenerator (files, literals, behavior create/merge/replace) with
 * generatorOptions.disableNameSuffixHash: true, and patches (strategic merge or JSON 6902, from
 * path or inline, with a target by kind/name/namespace).
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

/**
 * YAML_OPTIONS read YAML as kubectl does (YAML 1.1 via go-yaml): `0440` is octal (a file mode,
 * 288), `yes`/`no` are booleans. The yaml package's default, 1.2, would read 0440 as decimal 440.
 */
const YAML_OPTIONS = { version: '1.1' } as const;

/** KubeObject is one rendered Kubernetes object (plain JSON). */
export type KubeObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: Record<string, unknown> & { name: string } };

/** KustomizeError says what in which kustomization cannot be rendered. */
export class KustomizeError extends Error {
  override readonly name = 'KustomizeError';
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const SUPPORTED_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'labels', 'images', 'replicas', 'configMapGenerator', 'generatorOptions', 'patches']);

/** Kinds without a namespace (the ones k8s/ could contain); everything else gets the kustomization's namespace. */
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PersistentVolume', 'StorageClass', 'PriorityClass']);

/** Kinds whose spec.template is a pod template (labels.includeTemplates, images). */
const POD_TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

/** renderKustomization builds the kustomization in `directory` as `kubectl kustomize <directory>` would. */
export function renderKustomization(directory: string): KubeObject[] {
  const dir = resolve(directory);
  const file = join(dir, 'kustomization.yaml');
  const where = (field: string): string => `${file}: ${field}`;
  const kustomization = asObject(readYamlFile(file), file);
  for (const field of Object.keys(kustomization)) {
    if (!SUPPORTED_FIELDS.has(field)) throw new KustomizeError(`${where(field)}: not supported by this renderer (see libs/deploy-check/src/kustomize.ts)`);
  }

  let objects: KubeObject[] = [];
  for (const entry of stringList(kustomization.resources, where('resources'))) {
    const path = join(dir, entry);
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory() === true) objects.push(...renderKustomization(path));
    else objects.push(...readObjects(path));
  }

  objects = generateConfigMaps(objects, kustomization, dir, where);
  for (const patch of list(kustomization.patches, where('patches'))) objects = applyPatch(objects, asObject(patch, where('patches')), dir, where('patches'));
  if (kustomization.namespace !== undefined) setNamespace(objects, asString(kustomization.namespace, where('namespace')));
  for (const labels of list(kustomization.labels, where('labels'))) addLabels(objects, asObject(labels, where('labels')), where('labels'));
  for (const image of list(kustomization.images, where('images'))) setImage(objects, asObject(image, where('images')), where('images'));
  for (const replicas of list(kustomization.replicas, where('replicas'))) setReplicas(objects, asObject(replicas, where('replicas')), where('replicas'));

  const seen = new Set<string>();
  for (const object of objects) {
    const id = objectId(object);
    if (seen.has(id)) throw new KustomizeError(`${file}: ${id} is defined twice`);
    seen.add(id);
  }
  return objects;
}

/** objectId names an object as kustomize's errors do: kind/namespace/name. */
export function objectId(object: KubeObject): string {
  const namespace = typeof object.metadata.namespace === 'string' ? object.metadata.namespace : '~';
  return `${object.kind}/${namespace}/${object.metadata.name}`;
}

/** readObjects parses a multi-document YAML file into objects, each checked for apiVersion, kind and name. */
export function readObjects(path: string): KubeObject[] {
  const text = readText(path);
  const objects: KubeObject[] = [];
  for (const [index, document] of parseAllDocuments(text, YAML_OPTIONS).entries()) {
    if (document.errors.length > 0) throw new KustomizeError(`${path}: document ${index + 1}: ${document.errors[0]?.message ?? 'invalid YAML'}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    objects.push(asKubeObject(value, `${path}: document ${index + 1}`));
  }
  return objects;
}

function asKubeObject(value: unknown, where: string): KubeObject {
  const object = asObject(value as Json, where);
  const metadata = object.metadata;
  if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') throw new KustomizeError(`${where}: apiVersion and kind are required`);
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata) || typeof metadata.name !== 'string') {
    throw new KustomizeError(`${where}: metadata.name is required`);
  }
  return object as KubeObject;
}

function generateConfigMaps(objects: KubeObject[], kustomization: JsonObject, dir: string, where: (field: string) => string): KubeObject[] {
  const generators = list(kustomization.configMapGenerator, where('configMapGenerator'));
  if (generators.length === 0) return objects;
  const options = kustomization.generatorOptions === undefined ? {} : asObject(kustomization.generatorOptions, where('generatorOptions'));
  if (options.disableNameSuffixHash !== true) {
    throw new KustomizeError(`${where('generatorOptions')}: set disableNameSuffixHash: true (this renderer does not compute kustomize's name hashes)`);
  }
  const result = [...objects];
  for (const raw of generators) {
    const generator = asObject(raw, where('configMapGenerator'));
    const name = asString(generator.name, where('configMapGenerator.name'));
    const data: Record<string, string> = {};
    for (const literal of stringList(generator.literals, where(`configMapGenerator ${name} literals`))) {
      const equals = literal.indexOf('=');
      if (equals <= 0) throw new KustomizeError(`${where(`configMapGenerator ${name} literals`)}: "${literal}" is not KEY=VALUE`);
      data[literal.slice(0, equals)] = literal.slice(equals + 1);
    }
    for (const entry of stringList(generator.files, where(`configMapGenerator ${name} files`))) {
      const equals = entry.indexOf('=');
      const key = equals > 0 ? entry.slice(0, equals) : basename(entry);
      data[key] = readText(join(dir, equals > 0 ? entry.slice(equals + 1) : entry));
    }
    const behavior = generator.behavior === undefined ? 'create' : asString(generator.behavior, where(`configMapGenerator ${name} behavior`));
    const existing = result.findIndex((object) => object.kind === 'ConfigMap' && object.metadata.name === name);
    if (behavior === 'create') {
      if (existing >= 0) throw new KustomizeError(`${where('configMapGenerator')}: ConfigMap ${name} exists already (use behavior: merge or replace)`);
      result.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });
    } else if (behavior === 'merge' || behavior === 'replace') {
      const target = result[existing];
      if (target === undefined) throw new KustomizeError(`${where('configMapGenerator')}: behavior ${behavior} needs an existing ConfigMap ${name}`);
      const before = behavior === 'merge' ? ((target.data ?? {}) as Record<string, string>) : {};
      result[existing] = { ...target, data: { ...before, ...data } };
    } else {
      throw new KustomizeError(`${where(`configMapGenerator ${name} behavior`)}: must be create, merge or replace`);
    }
  }
  return result;
}

function applyPatch(objects: KubeObject[], entry: JsonObject, dir: string, where: string): KubeObject[] {
  const path = entry.path === undefined ? undefined : asString(entry.path, `${where}.path`);
  const text = path !== undefined ? readText(join(dir, path)) : asString(entry.patch, `${where}.patch`);
  const label = path !== undefined ? `${where} ${path}` : `${where} (inline)`;
  const documents = parseAllDocuments(text, YAML_OPTIONS).map((document) => document.toJS() as Json).filter((document) => document !== null);
  if (documents.length > 1) {
    // A file of several strategic merge patches: each finds its object by kind and name.
    if (entry.target !== undefined) throw new KustomizeError(`${label}: a file of several patches cannot have one target`);
    return documents.reduce<KubeObject[]>((result, document) => applyPatch(result, { patch: JSON.stringify(document) }, dir, label), objects);
  }
  const parsed = documents[0] ?? null;
  const target = entry.target === undefined ? undefined : asObject(entry.target, `${label}: target`);
  for (const field of Object.keys(target ?? {})) {
    if (!['kind', 'name', 'namespace', 'group', 'version'].includes(field)) throw new KustomizeError(`${label}: target.${field} is not supported by this renderer`);
  }
  if (Array.isArray(parsed)) {
    if (target === undefined) throw new KustomizeError(`${label}: a JSON 6902 patch needs a target`);
    const matched = objects.filter((object) => matchesTarget(object, target));
    if (matched.length === 0) throw new KustomizeError(`${label}: the target matches no object`);
    return objects.map((object) => (matchesTarget(object, target) ? applyJson6902(object, parsed, label) : object));
  }
  const patch = asObject(parsed, label);
  const selector: JsonObject = target ?? {
    kind: asString(patch.kind, `${label}: kind`),
    name: asString(asObject(patch.metadata ?? null, `${label}: metadata`).name, `${label}: metadata.name`),
  };
  const matched = objects.filter((object) => matchesTarget(object, selector));
  if (matched.length === 0) throw new KustomizeError(`${label}: the patch matches no object`);
  return objects.map((object) => {
    if (!matchesTarget(object, selector)) return object;
    // A patch found by target applies whatever it names in metadata; its own name is only a label.
    const { metadata: patchMetadata, ...rest } = patch;
    const merged = strategicMerge(object as unknown as Json, rest, label) as JsonObject;
    if (patchMetadata !== undefined && patchMetadata !== null && typeof patchMetadata === 'object' && !Array.isArray(patchMetadata)) {
      const { name: _name, ...metadataRest } = patchMetadata;
      merged.metadata = strategicMerge(merged.metadata ?? {}, metadataRest, label);
    }
    return merged as KubeObject;
  });
}

function matchesTarget(object: KubeObject, target: JsonObject): boolean {
  if (target.kind !== undefined && object.kind !== target.kind) return false;
  if (target.name !== undefined && object.metadata.name !== target.name) return false;
  if (target.namespace !== undefined && object.metadata.namespace !== target.namespace) return false;
  if (target.group !== undefined || target.version !== undefined) {
    const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
    if (target.group !== undefined && group !== target.group) return false;
    if (target.version !== undefined && version !== target.version) return false;
  }
  return true;
}

/** Lists of objects that strategic merge merges item by item on a key, as the Kubernetes types declare. */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  volumeClaimTemplates: 'metadata.name',
  imagePullSecrets: 'name',
};

/**
 * strategicMerge merges `patch` into `base` as a strategic merge patch does for the fields k8s/
 * patches: maps merge key by key, a null value deletes, lists of containers/env/volumes/ports
 * merge by their merge key, other lists are replaced. `$patch` directives are refused.
 */
export function strategicMerge(base: Json, patch: Json, where = 'patch', field = ''): Json {
  if (patch === null || typeof patch !== 'object') return patch;
  if (Array.isArray(patch)) {
    const key = MERGE_KEYS[field];
    // A Service's ports merge on port, a container's on containerPort; both are called "ports".
    const mergeKey = field === 'ports' && patch.every((item) => isObject(item) && item.containerPort === undefined && item.port !== undefined) ? 'port' : key;
    if (mergeKey === undefined || !Array.isArray(base)) return patch;
    // As kubectl kustomize orders the result: the patch's items first (merged into their
    // counterparts), then the base's other items in their order.
    const fromPatch: Json[] = [];
    const used = new Set<number>();
    for (const item of patch) {
      if (!isObject(item)) return patch;
      const value = readPath(item, mergeKey);
      if (value === undefined) throw new KustomizeError(`${where}: an item of ${field} has no ${mergeKey}`);
      const index = base.findIndex((existing) => isObject(existing) && readPath(existing, mergeKey) === value);
      if (index >= 0) used.add(index);
      fromPatch.push(index >= 0 ? strategicMerge(base[index] ?? null, item, where, field) : item);
    }
    return [...fromPatch, ...base.filter((_, index) => !used.has(index))];
  }
  if ('$patch' in patch) throw new KustomizeError(`${where}: $patch directives are not supported by this renderer`);
  const result: JsonObject = isObject(base) ? { ...base } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) Reflect.deleteProperty(result, key);
    else result[key] = strategicMerge(result[key] ?? null, value, where, key);
  }
  return result;
}

/** applyJson6902 applies add/replace/remove operations (RFC 6902 paths, RFC 6901 escapes). */
export function applyJson6902(object: KubeObject, operations: Json[], where = 'patch'): KubeObject {
  const copy = structuredClone(object) as unknown as JsonObject;
  for (const raw of operations) {
    const operation = asObject(raw, where);
    const op = asString(operation.op, `${where}: op`);
    const path = asString(operation.path, `${where}: path`);
    if (!path.startsWith('/')) throw new KustomizeError(`${where}: path ${path} must start with /`);
    const segments = path.slice(1).split('/').map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = segments.pop();
    if (last === undefined) throw new KustomizeError(`${where}: path ${path} names no field`);
    let parent: Json = copy;
    for (const segment of segments) {
      const next: Json | undefined = Array.isArray(parent) ? parent[Number(segment)] : isObject(parent) ? parent[segment] : undefined;
      if (next === undefined || next === null || typeof next !== 'object') throw new KustomizeError(`${where}: path ${path} does not exist`);
      parent = next;
    }
    if (op === 'remove') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else if (isObject(parent) && last in parent) Reflect.deleteProperty(parent, last);
      else throw new KustomizeError(`${where}: cannot remove ${path}: it does not exist`);
    } else if (op === 'add' || op === 'replace') {
      if (!('value' in operation)) throw new KustomizeError(`${where}: ${op} ${path} needs a value`);
      const value = operation.value ?? null;
      if (Array.isArray(parent)) {
        const index = last === '-' ? parent.length : Number(last);
        if (op === 'add') parent.splice(index, 0, value);
        else parent[index] = value;
      } else if (isObject(parent)) {
        if (op === 'replace' && !(last in parent)) throw new KustomizeError(`${where}: cannot replace ${path}: it does not exist`);
        parent[last] = value;
      }
    } else {
      throw new KustomizeError(`${where}: op ${op} is not supported by this renderer (add, replace, remove)`);
    }
  }
  return copy as KubeObject;
}

function setNamespace(objects: KubeObject[], namespace: string): void {
  for (const object of objects) {
    if (!CLUSTER_SCOPED.has(object.kind)) object.metadata.namespace = namespace;
  }
}

function addLabels(objects: KubeObject[], entry: JsonObject, where: string): void {
  if (entry.includeSelectors === true) throw new KustomizeError(`${where}: includeSelectors is not supported by this renderer (selectors are immutable; keep them in the manifests)`);
  const pairs = asObject(entry.pairs ?? null, `${where}.pairs`);
  for (const object of objects) {
    object.metadata.labels = { ...(object.metadata.labels as JsonObject | undefined), ...pairs };
    if (entry.includeTemplates === true) {
      for (const template of podTemplates(object)) {
        const metadata = (template.metadata ??= {}) as JsonObject;
        metadata.labels = { ...(metadata.labels as JsonObject | undefined), ...pairs };
      }
    }
  }
}

function setImage(objects: KubeObject[], entry: JsonObject, where: string): void {
  const name = asString(entry.name, `${where}.name`);
  for (const object of objects) {
    for (const template of podTemplates(object)) {
      const spec = isObject(template.spec) ? template.spec : {};
      for (const container of [...(Array.isArray(spec.containers) ? spec.containers : []), ...(Array.isArray(spec.initContainers) ? spec.initContainers : [])]) {
        if (!isObject(container) || typeof container.image !== 'string') continue;
        const [image, tag] = splitImage(container.image);
        if (image !== name) continue;
        const newName = entry.newName === undefined ? image : asString(entry.newName, `${where}.newName`);
        const newTag = entry.newTag === undefined ? tag : asString(entry.newTag, `${where}.newTag`);
        container.image = newTag === undefined ? newName : `${newName}:${newTag}`;
      }
    }
  }
}

function splitImage(image: string): [string, string | undefined] {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? [image.slice(0, colon), image.slice(colon + 1)] : [image, undefined];
}

function setReplicas(objects: KubeObject[], entry: JsonObject, where: string): void {
  const name = asString(entry.name, `${where}.name`);
  const count = entry.count;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) throw new KustomizeError(`${where} ${name}: count must be a whole number`);
  const matched = objects.filter((object) => ['Deployment', 'StatefulSet', 'ReplicaSet'].includes(object.kind) && object.metadata.name === name);
  if (matched.length === 0) throw new KustomizeError(`${where} ${name}: no Deployment or StatefulSet of that name`);
  for (const object of matched) (object.spec as JsonObject).replicas = count;
}

/** podTemplates returns the pod templates of a workload (none for other kinds). */
export function podTemplates(object: KubeObject): JsonObject[] {
  if (!POD_TEMPLATE_KINDS.has(object.kind)) return [];
  const spec = object.spec;
  if (!isObject(spec as Json) || !isObject((spec as JsonObject).template)) return [];
  return [(spec as JsonObject).template as JsonObject];
}

function readPath(object: JsonObject, path: string): Json | undefined {
  let current: Json | undefined = object;
  for (const key of path.split('.')) current = isObject(current ?? null) ? (current as JsonObject)[key] : undefined;
  return current;
}

function readYamlFile(path: string): Json {
  try {
    return parseYaml(readText(path), YAML_OPTIONS) as Json;
  } catch (cause) {
    if (cause instanceof KustomizeError) throw cause;
    throw new KustomizeError(`${path}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new KustomizeError(`cannot read ${path} (${(cause as NodeJS.ErrnoException).code ?? 'error'}), referenced from ${dirname(path)}`);
  }
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asObject(value: Json | undefined, where: string): JsonObject {
  if (!isObject(value)) throw new KustomizeError(`${where}: must be a mapping`);
  return value;
}

function asString(value: Json | undefined, where: string): string {
  if (typeof value !== 'string') throw new KustomizeError(`${where}: must be a string`);
  return value;
}

function list(value: Json | undefined, where: string): Json[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new KustomizeError(`${where}: must be a list`);
  return value;
}

function stringList(value: Json | undefined, where: string): string[] {
  return list(value, where).map((item) => asString(item, where));
}
