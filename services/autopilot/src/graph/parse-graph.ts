/**
 * Parsing lnd `describegraph` JSON (gzipped or not) into a {@link ChannelGraph}. The real graph is
 * ~50 MB of JSON: parsing it on the event loop stalls the service for about a second (in-flight
 * pulls time out, decisions queue), so the shell parses in a worker thread and only rebuilds the
 * key index and adjacency from the lists the worker hands back.
 */
import { Worker } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';
import { ChannelGraph, type DescribeGraphJson, type GraphParts } from './channel-graph.js';

/** GraphLoadError says the graph could not be read or parsed. */
export class GraphLoadError extends Error {
  override readonly name = 'GraphLoadError';
  readonly code = 'GRAPH_LOAD_FAILED';
}

/** parseDescribeGraph parses describegraph JSON bytes on the calling thread; `origin` names them in errors. */
export function parseDescribeGraph(bytes: Uint8Array, gzipped: boolean, origin: string): ChannelGraph {
  let json: unknown;
  try {
    json = JSON.parse((gzipped ? gunzipSync(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('utf8'));
  } catch (cause) {
    throw new GraphLoadError(`cannot parse the channel graph ${origin}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  if (!isDescribeGraph(json)) throw new GraphLoadError(`${origin} is not lnd describegraph JSON (needs "nodes" and "edges" lists)`);
  try {
    return ChannelGraph.fromDescribeGraph(json);
  } catch (cause) {
    throw new GraphLoadError(`${origin}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

function isDescribeGraph(value: unknown): value is DescribeGraphJson {
  if (typeof value !== 'object' || value === null) return false;
  const json = value as Partial<Record<keyof DescribeGraphJson, unknown>>;
  return Array.isArray(json.nodes) && Array.isArray(json.edges);
}

/** GraphParseTask is the job of a parse worker. */
export interface GraphParseTask {
  readonly kind: 'lnfleet.autopilot.graph-parse';
  readonly bytes: Uint8Array;
  readonly gzipped: boolean;
  readonly origin: string;
}

/** GraphParseAnswer is what a parse worker sends back: the graph's lists, or why it failed. */
export type GraphParseAnswer = { readonly ok: true; readonly parts: GraphParts } | { readonly ok: false; readonly message: string };

/** isGraphParseTask tells whether a value is a {@link GraphParseTask}. */
export function isGraphParseTask(value: unknown): value is GraphParseTask {
  if (typeof value !== 'object' || value === null) return false;
  const task = value as Partial<Record<keyof GraphParseTask, unknown>>;
  return task.kind === 'lnfleet.autopilot.graph-parse' && ArrayBuffer.isView(task.bytes) && typeof task.gzipped === 'boolean' && typeof task.origin === 'string';
}

/**
 * parseDescribeGraphInWorker parses in a worker thread (the compiled `graph-parse-worker.js`
 * beside this module, or `workerUrl`) and rebuilds the graph here; rejects with a GraphLoadError.
 */
export async function parseDescribeGraphInWorker(bytes: Uint8Array, gzipped: boolean, origin: string, workerUrl?: URL): Promise<ChannelGraph> {
  const task: GraphParseTask = { kind: 'lnfleet.autopilot.graph-parse', bytes, gzipped, origin };
  const worker = new Worker(workerUrl ?? new URL('./graph-parse-worker.js', import.meta.url), { workerData: task });
  try {
    const answer = await new Promise<GraphParseAnswer>((resolve, reject) => {
      worker.once('message', (message: GraphParseAnswer) => {
        resolve(message);
      });
      worker.once('error', reject);
      worker.once('exit', (code: number) => {
        reject(new Error(`the graph parse worker exited with code ${code} before answering`));
      });
    });
    if (!answer.ok) throw new GraphLoadError(answer.message);
    return ChannelGraph.fromParts(answer.parts);
  } catch (cause) {
    if (cause instanceof GraphLoadError) throw cause;
    throw new GraphLoadError(`cannot parse the channel graph ${origin}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  } finally {
    await worker.terminate();
  }
}
