import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRng } from '../agent/prng.js';
import { betweennessCentrality } from './betweenness-centrality.js';
import { type CentralityTask, isCentralityTask, runCentralityTask } from './centrality-worker.js';
import { compileCentralityWorker, type CompiledWorker } from './compile-worker.fixture.js';
import { betweennessCentralityParallel } from './parallel-centrality.js';
import { buildTestGraph, CENTRALITY_EDGES, CENTRALITY_RAW, maxRelativeDifference, randomMultigraph } from './test-graphs.fixture.js';

const graph = buildTestGraph(9, CENTRALITY_EDGES);

describe('centrality worker task (in-process)', () => {
  const task: CentralityTask = {
    kind: 'lnfleet.autopilot.centrality',
    nodeCount: graph.nodeCount,
    offsets: graph.offsets,
    neighbours: graph.neighbours,
    part: 0,
    parts: 1,
  };

  it('recognises a task and nothing else', () => {
    expect(isCentralityTask(task)).toBe(true);
    expect(isCentralityTask({ ...task, kind: 'other' })).toBe(false);
    expect(isCentralityTask({ ...task, offsets: [0, 1] })).toBe(false);
    expect(isCentralityTask(null)).toBe(false);
  });

  it('computes the undivided partial vector of its part', () => {
    const partial = runCentralityTask(task);
    expect(maxRelativeDifference(partial, CENTRALITY_RAW.map((v) => 2 * v))).toBeLessThan(1e-12);
  });
});

describe('betweennessCentralityParallel (worker threads)', () => {
  let compiled: CompiledWorker;

  beforeAll(async () => {
    compiled = await compileCentralityWorker();
  });

  afterAll(() => {
    compiled.remove();
  });

  it.each([1, 2, 3, 4])('gives lnd raw values, bit-identical to the in-process split, with %i worker(s)', async (workers) => {
    const raw = await betweennessCentralityParallel(graph, workers, { workerUrl: compiled.workerUrl });
    expect(maxRelativeDifference(raw, CENTRALITY_RAW)).toBeLessThan(1e-12);
    expect(Array.from(raw)).toEqual(Array.from(betweennessCentrality(graph, workers)));
  });

  it('matches the in-process split on a random multigraph', async () => {
    const big = buildTestGraph(400, randomMultigraph(400, 700, createRng(11)));
    const raw = await betweennessCentralityParallel(big, 3, { workerUrl: compiled.workerUrl });
    expect(Array.from(raw)).toEqual(Array.from(betweennessCentrality(big, 3)));
  });

  it('rejects a worker count below 1 without starting workers', async () => {
    await expect(betweennessCentralityParallel(graph, 0, { workerUrl: compiled.workerUrl })).rejects.toThrow(RangeError);
  });

  it('rejects when the worker module is missing', async () => {
    const missing = pathToFileURL(join(compiled.folder, 'no-such-worker.js'));
    await expect(betweennessCentralityParallel(graph, 2, { workerUrl: missing })).rejects.toThrow();
  });

  it('rejects when a worker exits without answering', async () => {
    const silent = join(compiled.folder, 'silent-worker.js');
    writeFileSync(silent, 'export {};\n');
    await expect(betweennessCentralityParallel(graph, 2, { workerUrl: pathToFileURL(silent) })).rejects.toThrow(/exited/);
  });
});
