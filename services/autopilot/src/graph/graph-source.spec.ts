import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { compileCentralityWorker, type CompiledWorker } from '../heuristics/compile-worker.fixture.js';
import { buildTestGraph, CENTRALITY_EDGES, CENTRALITY_NORMALIZED, randomMultigraph } from '../heuristics/test-graphs.fixture.js';
import { createRng } from '../agent/prng.js';
import { ChannelGraph } from './channel-graph.js';
import { FileGraphSource, GraphLoadError, StaticGraphSource } from './graph-source.js';
import { parseDescribeGraph, parseDescribeGraphInWorker } from './parse-graph.js';

const SAMPLE = fileURLToPath(new URL('./describegraph.sample.json', import.meta.url));

describe('graph sources', () => {
  let folder: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'autopilot-graph-'));
  });

  afterEach(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  it('StaticGraphSource computes the normalized centrality once and serves the same view', async () => {
    const source = new StaticGraphSource(buildTestGraph(9, CENTRALITY_EDGES), 'v1');
    const view = await source.current();
    expect(view.version).toBe('v1');
    expect([...view.centrality].map((v) => Number(v.toFixed(12)))).toEqual(CENTRALITY_NORMALIZED.map((v) => Number(v.toFixed(12))));
    expect(await source.current()).toBe(view);
  });

  it('FileGraphSource reads describegraph JSON, plain or gzipped, versioned by content', async () => {
    const bytes = readFileSync(SAMPLE);
    const gz = join(folder, 'graph.json.gz');
    writeFileSync(gz, gzipSync(bytes));
    const plain = await new FileGraphSource(SAMPLE, { workers: 0 }).current();
    const zipped = await new FileGraphSource(gz, { workers: 0 }).current();
    expect(plain.graph.nodeCount).toBe(3);
    expect(plain.graph.channelCount).toBe(2);
    expect(plain.version).toMatch(/^sha256:[0-9a-f]{32}$/);
    expect(zipped.version).not.toBe(plain.version); // the gzip bytes differ; the graph does not
    expect([...zipped.centrality]).toEqual([...plain.centrality]);
    expect([...plain.centrality]).toEqual([0, 1, 0]);
  });

  it('FileGraphSource fails with GraphLoadError on a missing or malformed file, and tries again later', async () => {
    const path = join(folder, 'graph.json');
    const source = new FileGraphSource(path, { workers: 0 });
    await expect(source.current()).rejects.toThrow(GraphLoadError);
    writeFileSync(path, '{"nodes": 1}');
    await expect(source.current()).rejects.toThrow(/not lnd describegraph JSON/);
    writeFileSync(path, readFileSync(SAMPLE));
    expect((await source.current()).graph.nodeCount).toBe(3);
  });

  describe('parsed in a worker thread (workers > 0), so a big graph does not stall the event loop', () => {
    let compiled: CompiledWorker;

    beforeAll(async () => {
      compiled = await compileCentralityWorker();
    });

    afterAll(() => {
      compiled.remove();
    });

    it('gives the same graph as parsing on the calling thread', async () => {
      const graph = buildTestGraph(300, randomMultigraph(300, 900, createRng(7)));
      const json = {
        nodes: graph.pubKeys.map((pubKey, i) => ({ pub_key: pubKey, alias: graph.aliases[i], addresses: graph.addresses[i] })),
        // Channels to nodes missing from the node list, a repeated channel and a self-loop: the building rules apply in the worker too.
        edges: [
          ...graph.channelIds.map((id, c) => ({ channel_id: id, node1_pub: graph.pubKeys[graph.channelNode1[c] ?? 0], node2_pub: graph.pubKeys[graph.channelNode2[c] ?? 0], capacity: String(graph.capacities[c]) })),
          { channel_id: '1000', node1_pub: graph.pubKeys[1], node2_pub: graph.pubKeys[2], capacity: '5' },
          { channel_id: '9', node1_pub: `03${'ab'.repeat(32)}`, node2_pub: graph.pubKeys[3], capacity: '7' },
          { channel_id: '10', node1_pub: graph.pubKeys[4], node2_pub: graph.pubKeys[4], capacity: '7' },
        ],
      };
      const bytes = gzipSync(JSON.stringify(json));
      const here = parseDescribeGraph(bytes, true, 'test');
      const there = await parseDescribeGraphInWorker(bytes, true, 'test', compiled.parseWorkerUrl);
      expect(there).toBeInstanceOf(ChannelGraph);
      expect(there.nodeCount).toBe(301);
      for (const key of ['pubKeys', 'aliases', 'addresses', 'channelIds', 'channelNode1', 'channelNode2', 'capacities', 'offsets', 'neighbours', 'entryChannels'] as const) {
        expect({ key, value: [...there[key]] }).toEqual({ key, value: [...here[key]] });
      }
      expect(there.indexOf(`03${'ab'.repeat(32)}`)).toBe(here.indexOf(`03${'ab'.repeat(32)}`));

      const source = new FileGraphSource(SAMPLE, { workers: 1, workerUrl: compiled.workerUrl, parseWorkerUrl: compiled.parseWorkerUrl });
      expect([...(await source.current()).centrality]).toEqual([0, 1, 0]);
    });

    it('reports malformed input as a GraphLoadError', async () => {
      await expect(parseDescribeGraphInWorker(Buffer.from('{"nodes": 1}'), false, 'test', compiled.parseWorkerUrl)).rejects.toThrow(/not lnd describegraph JSON/);
      await expect(parseDescribeGraphInWorker(Buffer.from('not json'), true, 'test', compiled.parseWorkerUrl)).rejects.toThrow(GraphLoadError);
    });
  });
});
