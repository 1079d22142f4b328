// Benchmark: betweenness centrality of the autopilot on the real public graph.
//
//   node bench/centrality.bench.mjs [workers...]     (default: 1 2)
//
// Reads ../shared/data/ln-graph-2025-10-25.json.gz (or $LNFLEET_GRAPH), compiles the autopilot's
// graph and centrality sources with swc into a temporary folder (Node 20 cannot run .ts, and the
// worker threads need JavaScript), then times the single-threaded kernel and the worker-thread
// runner for each worker count. Graph data: Bitcoin Data Labs public gossip snapshot.
import { transformFile } from '@swc/core';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const graphPath = process.env.LNFLEET_GRAPH ?? resolve(root, '../shared/data/ln-graph-2025-10-25.json.gz');
if (!existsSync(graphPath)) {
  console.log(`skipped: real graph not found at ${graphPath}`);
  process.exit(0);
}
const workerCounts = process.argv.slice(2).map(Number);
if (workerCounts.length === 0) workerCounts.push(1, 2);

const src = join(root, 'services/autopilot/src');
const files = ['graph/channel-graph.ts', 'heuristics/betweenness-centrality.ts', 'heuristics/centrality-worker.ts', 'heuristics/parallel-centrality.ts'];
const out = mkdtempSync(join(tmpdir(), 'lnfleet-centrality-bench-'));
try {
  writeFileSync(join(out, 'package.json'), '{"type":"module"}\n');
  for (const file of files) {
    const { code } = await transformFile(join(src, file), {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'es6' },
    });
    const target = join(out, file.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, code);
  }
  const { ChannelGraph } = await import(pathToFileURL(join(out, 'graph/channel-graph.js')).href);
  const { betweennessCentrality, normalizeBetweenness } = await import(pathToFileURL(join(out, 'heuristics/betweenness-centrality.js')).href);
  const { betweennessCentralityParallel } = await import(pathToFileURL(join(out, 'heuristics/parallel-centrality.js')).href);

  let t = performance.now();
  const json = JSON.parse(gunzipSync(readFileSync(graphPath)).toString('utf8'));
  const graph = ChannelGraph.fromDescribeGraph(json);
  console.log(`graph: ${graph.nodeCount} nodes, ${graph.channelCount} channels, loaded in ${((performance.now() - t) / 1000).toFixed(2)} s`);
  console.log(`machine: ${availableParallelism()} CPUs, node ${process.version}`);

  t = performance.now();
  const single = betweennessCentrality(graph);
  const singleSeconds = (performance.now() - t) / 1000;
  console.log(`single-threaded: ${singleSeconds.toFixed(2)} s`);
  const normalized = normalizeBetweenness(single);
  const top = [...normalized.keys()].sort((a, b) => normalized[b] - normalized[a]).slice(0, 5);
  for (const i of top) console.log(`  ${graph.aliases[i] || graph.pubKeys[i]}  raw ${single[i].toFixed(4)}  normalized ${normalized[i].toFixed(6)}`);

  for (const workers of workerCounts) {
    t = performance.now();
    const parallel = await betweennessCentralityParallel(graph, workers);
    const seconds = (performance.now() - t) / 1000;
    let maxRelative = 0;
    for (let i = 0; i < single.length; i++) {
      maxRelative = Math.max(maxRelative, Math.abs(parallel[i] - single[i]) / Math.max(1, Math.abs(single[i])));
    }
    console.log(`${workers} worker(s): ${seconds.toFixed(2)} s (max relative difference to single-threaded ${maxRelative.toExponential(1)})`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
