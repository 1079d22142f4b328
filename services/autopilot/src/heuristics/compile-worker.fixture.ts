/**
 * Test fixture: compiles the centrality worker and the modules it loads from TypeScript to
 * JavaScript (swc) into a temporary folder, because jest transforms `.ts` only inside its own
 * module loader and worker threads started by Node cannot load `.ts` files on Node 20.
 * Production code loads the `dist/` build instead. Not used at runtime.
 */
import { transformFile } from '@swc/core';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SOURCE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WORKER_SOURCES = [
  'graph/channel-graph.ts',
  'heuristics/betweenness-centrality.ts',
  'heuristics/centrality-worker.ts',
  'graph/parse-graph.ts',
  'graph/graph-parse-worker.ts',
];

/** CompiledWorker is a temporary compiled copy of the centrality worker. */
export interface CompiledWorker {
  /** workerUrl is the compiled `centrality-worker.js`, for `betweennessCentralityParallel`. */
  readonly workerUrl: URL;
  /** parseWorkerUrl is the compiled `graph-parse-worker.js`, for `parseDescribeGraphInWorker`. */
  readonly parseWorkerUrl: URL;
  /** folder is the temporary folder holding the compiled files. */
  readonly folder: string;
  /** remove deletes the temporary folder. */
  remove(): void;
}

/** compileCentralityWorker compiles the worker and its imports into a fresh temporary folder. */
export async function compileCentralityWorker(): Promise<CompiledWorker> {
  const folder = mkdtempSync(join(tmpdir(), 'lnfleet-centrality-worker-'));
  writeFileSync(join(folder, 'package.json'), '{"type":"module"}\n');
  for (const file of WORKER_SOURCES) {
    const { code } = await transformFile(join(SOURCE_ROOT, file), {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'es6' },
      sourceMaps: false,
    });
    const target = join(folder, file.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, code);
  }
  return {
    folder,
    workerUrl: pathToFileURL(join(folder, 'heuristics/centrality-worker.js')),
    parseWorkerUrl: pathToFileURL(join(folder, 'graph/graph-parse-worker.js')),
    remove: () => {
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
