/** Paths and workspaces of this repository, for the deploy checks. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderKustomization, type KubeObject } from './kustomize.js';

/** REPO_ROOT is the repository's root directory. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** OVERLAYS are the kustomizations an operator applies (k8s/README.md); every one is rendered and checked. */
export const OVERLAYS = ['k8s/overlays/dev', 'k8s/overlays/prod'] as const;

/** renderOverlay renders a kustomization given relative to the repository root. */
export function renderOverlay(path: string): KubeObject[] {
  return renderKustomization(join(REPO_ROOT, path));
}

/** workspaces lists the npm workspaces (folder/name) matched by the root package.json's "dir/*" patterns. */
export function workspaces(): { folders: string[]; packageFiles: string[] } {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces?: string[] };
  const folders: string[] = [];
  const packageFiles: string[] = [];
  for (const pattern of manifest.workspaces ?? []) {
    const match = /^([A-Za-z0-9_.-]+)\/\*$/.exec(pattern);
    if (match?.[1] === undefined) throw new Error(`workspace pattern ${pattern}: only "folder/*" is understood by libs/deploy-check`);
    const folder = match[1];
    if (!existsSync(join(REPO_ROOT, folder))) continue;
    folders.push(folder);
    for (const name of readdirSync(join(REPO_ROOT, folder)).sort()) {
      if (existsSync(join(REPO_ROOT, folder, name, 'package.json'))) packageFiles.push(`${folder}/${name}/package.json`);
    }
  }
  return { folders, packageFiles };
}
