import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildTestGraph, CENTRALITY_EDGES, CENTRALITY_NORMALIZED } from '../heuristics/test-graphs.fixture.js';
import { FileGraphSource, GraphLoadError, StaticGraphSource } from './graph-source.js';

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
});
