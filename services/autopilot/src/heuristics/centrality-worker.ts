/**
 * Worker-thread entry point for the parallel betweenness centrality: it receives a
 * {@link CentralityTask} as `workerData`, computes the partial dependency vector of its strided
 * share of the sources and posts it back (transferring the buffer).
 *
 * Node must load this file as JavaScript: run it from the compiled output (`dist/`), or compile
 * it together with `betweenness-centrality.ts` (the runner's `workerUrl` option points at the
 * compiled file). Jest transforms `.ts` only in its own module loader, not inside worker threads,
 * which is why the specs compile these two files with swc into a temporary folder first.
 * Imported anywhere other than a worker started with a task, the module does nothing.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { partialBetweenness } from './betweenness-centrality.js';

/** CentralityTask is the job of one worker: the graph's CSR arrays and its part of the sources. */
export interface CentralityTask {
  readonly kind: 'lnfleet.autopilot.centrality';
  readonly nodeCount: number;
  readonly offsets: Int32Array;
  readonly neighbours: Int32Array;
  readonly part: number;
  readonly parts: number;
}

/** isCentralityTask tells whether a value is a {@link CentralityTask}. */
export function isCentralityTask(value: unknown): value is CentralityTask {
  if (typeof value !== 'object' || value === null) return false;
  const task = value as Partial<Record<keyof CentralityTask, unknown>>;
  return (
    task.kind === 'lnfleet.autopilot.centrality' &&
    typeof task.nodeCount === 'number' &&
    task.offsets instanceof Int32Array &&
    task.neighbours instanceof Int32Array &&
    typeof task.part === 'number' &&
    typeof task.parts === 'number'
  );
}

/** runCentralityTask computes the partial (raw, undivided) betweenness vector of one task. */
export function runCentralityTask(task: CentralityTask): Float64Array<ArrayBuffer> {
  return partialBetweenness(
    { nodeCount: task.nodeCount, offsets: task.offsets, neighbours: task.neighbours },
    task.part,
    task.parts,
  );
}

if (parentPort !== null && isCentralityTask(workerData)) {
  const result = runCentralityTask(workerData);
  parentPort.postMessage(result, [result.buffer]);
}
