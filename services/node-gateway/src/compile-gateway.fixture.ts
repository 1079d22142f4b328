/**
 * Test fixture: compiles the node-gateway and the libraries it loads from TypeScript to JavaScript
 * (swc, with the decorator settings jest uses) into a temporary folder under the repository's
 * node_modules, so that a test can run the gateway as its own Node process (and kill it) without
 * depending on a previous `npm run build`. Third-party packages resolve from the repository's
 * node_modules as usual. Not used at runtime.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformFile } from '@swc/core';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const LIBS = ['config', 'contracts', 'messaging', 'service-kit'];

/** CompiledGateway is a temporary compiled copy of the gateway. */
export interface CompiledGateway {
  /** mainPath is the compiled `main.js`: `node <mainPath>` runs the gateway as deployed. */
  readonly mainPath: string;
  /** remove deletes the temporary folder. */
  remove(): void;
}

function sources(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !/\.(spec|fixture|spec-helpers)\.ts$/.test(file) && !file.endsWith('.d.ts'))
    .map((file) => join(folder, file));
}

async function compileTree(from: string, to: string): Promise<void> {
  for (const file of sources(from)) {
    const { code } = await transformFile(file, {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { decoratorMetadata: true, legacyDecorator: true },
        target: 'es2022',
        keepClassNames: true,
      },
      module: { type: 'es6' },
      sourceMaps: false,
    });
    const target = join(to, relative(from, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, code);
  }
}

/** compileGateway compiles the gateway and its libraries into a fresh temporary folder. */
export async function compileGateway(): Promise<CompiledGateway> {
  const root = join(REPO, 'node_modules', '.lnfleet-test-builds');
  mkdirSync(root, { recursive: true });
  const folder = mkdtempSync(join(root, 'node-gateway-'));
  writeFileSync(join(folder, 'package.json'), '{"type":"module","private":true}\n');
  for (const lib of LIBS) {
    const target = join(folder, 'node_modules', '@lnfleet', lib);
    await compileTree(join(REPO, 'libs', lib, 'src'), target);
    writeFileSync(join(target, 'package.json'), JSON.stringify({ name: `@lnfleet/${lib}`, type: 'module', exports: { '.': './index.js' } }));
  }
  const service = join(folder, 'services', 'node-gateway');
  await compileTree(join(REPO, 'services', 'node-gateway', 'src'), join(service, 'src'));
  // The service's own nested dependencies (versions that differ from the hoisted ones).
  symlinkSync(join(REPO, 'services', 'node-gateway', 'node_modules'), join(service, 'node_modules'), 'dir');
  return {
    mainPath: join(service, 'src', 'main.js'),
    remove: () => {
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
