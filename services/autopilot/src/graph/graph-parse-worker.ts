/**
 * Worker thread entry: parses one describegraph JSON (see parse-graph.ts) and sends the graph's
 * lists back (cloned: a few MB, against ~50 MB of JSON parsed here).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isGraphParseTask, parseDescribeGraph, type GraphParseAnswer } from './parse-graph.js';

if (parentPort !== null && isGraphParseTask(workerData)) {
  let answer: GraphParseAnswer;
  try {
    answer = { ok: true, parts: parseDescribeGraph(workerData.bytes, workerData.gzipped, workerData.origin).toParts() };
  } catch (error) {
    answer = { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  parentPort.postMessage(answer);
}
