/**
 * Test fixture: compiles the backup service and the libraries it loads from TypeScript to
 * JavaScript (swc, with jest's decorator settings) into a temporary folder under the repository's
 * node_modules, so a test can run the service as its own Node process, as deployed, and kill it,
 * without depending on an earlier `npm run build`. Third-party packages resolve from the
 * repository's node_modules. (The gateway's process test compiles itself the same way.)
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformFile } from '@swc/core';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const LIBS = ['config', 'contracts', 'messaging', 'service-kit'];

/** CompiledBackup is a temporary compiled copy of the backup service. */
export interface CompiledBackup {
  /** mainPath is the compiled `main.js`: `node <mainPath>` runs the service. */
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

/** compileBackup compiles the backup service and its libraries into a fresh temporary folder. */
export async function compileBackup(): Promise<CompiledBackup> {
  const root = join(REPO, 'node_modules', '.lnfleet-test-builds');
  mkdirSync(root, { recursive: true });
  const folder = mkdtempSync(join(root, 'backup-'));
  writeFileSync(join(folder, 'package.json'), '{"type":"module","private":true}\n');
  for (const lib of LIBS) {
    const target = join(folder, 'node_modules', '@lnfleet', lib);
    await compileTree(join(REPO, 'libs', lib, 'src'), target);
    writeFileSync(join(target, 'package.json'), JSON.stringify({ name: `@lnfleet/${lib}`, type: 'module', exports: { '.': './index.js' } }));
  }
  const service = join(folder, 'services', 'backup');
  await compileTree(join(REPO, 'services', 'backup', 'src'), join(service, 'src'));
  return {
    mainPath: join(service, 'src', 'main.js'),
    remove: () => {
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
