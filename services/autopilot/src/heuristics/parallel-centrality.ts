/**
 * Betweenness centrality over N worker threads: the sources are split into N strided parts
 * (`partialBetweenness`), each worker computes one partial vector, and the vectors are summed in
 * part order and halved (`combinePartials`). The result is bit-identical to the in-process
 * `betweennessCentrality(graph, N)`, which the specs use as the reference for every worker count.
 *
 * Workers load the compiled `centrality-worker.js` beside this module (the `dist/` build). Where
 * that file does not exist — e.g. under jest, which runs the `.ts` sources — pass `workerUrl`
 * pointing at a compiled copy.
 */
import { Worker } from 'node:worker_threads';
import { type CsrAdjacency } from '../graph/channel-graph.js';
import { checkParts, combinePartials } from './betweenness-centrality.js';
import { type CentralityTask } from './centrality-worker.js';

/** ParallelCentralityOptions tunes {@link betweennessCentralityParallel}. */
export interface ParallelCentralityOptions {
  /** workerUrl is the compiled worker module; default `./centrality-worker.js` beside this file. */
  readonly workerUrl?: URL;
}

/**
 * betweennessCentralityParallel returns the raw betweenness of every node, computed by `workers`
 * worker threads (>= 1). If a worker fails, the others are stopped and the promise rejects.
 */
export async function betweennessCentralityParallel(
  adj: CsrAdjacency,
  workers: number,
  options: ParallelCentralityOptions = {},
): Promise<Float64Array> {
  checkParts(workers);
  const workerUrl = options.workerUrl ?? new URL('./centrality-worker.js', import.meta.url);
  const started: Worker[] = [];
  const runs: Promise<Float64Array>[] = [];
  for (let part = 0; part < workers; part++) {
    const task: CentralityTask = {
      kind: 'lnfleet.autopilot.centrality',
      nodeCount: adj.nodeCount,
      offsets: adj.offsets,
      neighbours: adj.neighbours,
      part,
      parts: workers,
    };
    const worker = new Worker(workerUrl, { workerData: task });
    started.push(worker);
    runs.push(collect(worker, adj.nodeCount, part));
  }
  try {
    const partials = await Promise.all(runs);
    return combinePartials(adj.nodeCount, partials);
  } finally {
    await Promise.all(started.map((worker) => worker.terminate()));
  }
}

function collect(worker: Worker, nodeCount: number, part: number): Promise<Float64Array> {
  return new Promise<Float64Array>((resolve, reject) => {
    let settled = false;
    worker.once('message', (message: unknown) => {
      settled = true;
      if (isFloat64Array(message) && message.length === nodeCount) resolve(message);
      else reject(new Error(`centrality worker ${part} sent an unexpected message`));
    });
    worker.once('error', (error: Error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code: number) => {
      if (!settled) reject(new Error(`centrality worker ${part} exited with code ${code} before answering`));
    });
  });
}

// Checked by tag rather than instanceof: under jest the test realm's Float64Array differs from the
// one the message is deserialized into.
function isFloat64Array(value: unknown): value is Float64Array {
  return ArrayBuffer.isView(value) && Object.prototype.toString.call(value) === '[object Float64Array]';
}
