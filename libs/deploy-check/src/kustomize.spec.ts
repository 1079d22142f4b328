import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyJson6902, KustomizeError, objectId, readObjects, renderKustomization, strategicMerge, type KubeObject } from './kustomize.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/kustomize/', import.meta.url));

/** canonical sorts object keys (list order kept), so two renders compare field by field. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, item]) => [key, canonical(item)]),
    );
  }
  return value;
}

function byId(objects: readonly KubeObject[]): Record<string, unknown> {
  return Object.fromEntries(objects.map((object) => [objectId(object), canonical(object)]));
}

/** kustomization writes a kustomization.yaml and its files into a fresh directory. */
function kustomization(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kustomize-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const DEPLOYMENT = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: app\n';

describe('renderKustomization', () => {
  it('renders the fixture exactly as kubectl kustomize (v5.5.0) did', () => {
    const ours = renderKustomization(join(FIXTURE, 'overlay'));
    const kubectl = readObjects(join(FIXTURE, 'kubectl-rendered.yaml'));
    expect(byId(ours)).toEqual(byId(kubectl));
    expect(ours).toHaveLength(5);
  });

  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const renderFiles = (files: Record<string, string>): KubeObject[] => {
    const dir = kustomization(files);
    dirs.push(dir);
    return renderKustomization(dir);
  };

  it('refuses a field it does not implement, naming it', () => {
    expect(() => renderFiles({ 'kustomization.yaml': 'resources: [app.yaml]\nnamePrefix: x-\n', 'app.yaml': DEPLOYMENT })).toThrow(/namePrefix: not supported by this renderer/);
  });

  it('refuses a ConfigMap generator with name hashes on (it would not match kubectl)', () => {
    expect(() => renderFiles({ 'kustomization.yaml': 'configMapGenerator:\n  - name: c\n    literals: [A=1]\n' })).toThrow(/disableNameSuffixHash: true/);
  });

  it('reports a patch that matches nothing', () => {
    expect(() =>
      renderFiles({
        'kustomization.yaml': 'resources: [app.yaml]\npatches:\n  - patch: |-\n      kind: Deployment\n      metadata:\n        name: other\n',
        'app.yaml': DEPLOYMENT,
      }),
    ).toThrow(/the patch matches no object/);
  });

  it('reports an object defined twice', () => {
    expect(() => renderFiles({ 'kustomization.yaml': 'resources: [a.yaml, b.yaml]\n', 'a.yaml': DEPLOYMENT, 'b.yaml': DEPLOYMENT })).toThrow(/Deployment\/~\/app is defined twice/);
  });

  it('reports a missing resource file with the directory that names it', () => {
    expect(() => renderFiles({ 'kustomization.yaml': 'resources: [missing.yaml]\n' })).toThrow(KustomizeError);
  });

  it('refuses selector labels (selectors are immutable once applied)', () => {
    expect(() => renderFiles({ 'kustomization.yaml': 'resources: [app.yaml]\nlabels:\n  - pairs: {a: b}\n    includeSelectors: true\n', 'app.yaml': DEPLOYMENT })).toThrow(/includeSelectors is not supported/);
  });
});

describe('strategicMerge', () => {
  it('merges maps, deletes on null, merges containers and env by name, replaces other lists', () => {
    const base: Parameters<typeof strategicMerge>[0] = { a: 1, b: { c: 2, d: 3 }, args: ['x'], containers: [{ name: 'one', image: 'i', env: [{ name: 'A', value: '1' }] }, { name: 'two' }] };
    const patch = { b: { d: null, e: 4 }, args: ['y'], containers: [{ name: 'one', env: [{ name: 'B', value: '2' }] }] };
    expect(strategicMerge(base, patch)).toEqual({
      a: 1,
      b: { c: 2, e: 4 },
      args: ['y'],
      containers: [{ name: 'one', image: 'i', env: [{ name: 'B', value: '2' }, { name: 'A', value: '1' }] }, { name: 'two' }],
    });
  });

  it('merges a Service\'s ports on port', () => {
    expect(strategicMerge({ ports: [{ name: 'http', port: 80 }] }, { ports: [{ port: 80, targetPort: 8080 }] })).toEqual({ ports: [{ name: 'http', port: 80, targetPort: 8080 }] });
  });

  it('refuses $patch directives', () => {
    expect(() => strategicMerge({ a: 1 }, { $patch: 'replace' })).toThrow(/\$patch directives are not supported/);
  });
});

describe('applyJson6902', () => {
  const object: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', annotations: { 'a/b': 'x' } }, data: { list: 'x' } };

  it('adds, replaces and removes, with ~1 escaping a slash', () => {
    const patched = applyJson6902(object, [
      { op: 'replace', path: '/metadata/annotations/a~1b', value: 'y' },
      { op: 'add', path: '/data/new', value: 'n' },
      { op: 'remove', path: '/data/list' },
    ]);
    expect(patched).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', annotations: { 'a/b': 'y' } }, data: { new: 'n' } });
    expect(object.data).toEqual({ list: 'x' });
  });

  it('reports a path that does not exist and an operation it does not implement', () => {
    expect(() => applyJson6902(object, [{ op: 'replace', path: '/spec/replicas', value: 1 }])).toThrow(/path \/spec\/replicas does not exist/);
    expect(() => applyJson6902(object, [{ op: 'move', from: '/data', path: '/x' }])).toThrow(/op move is not supported/);
  });
});
