import { fileURLToPath } from 'node:url';
import { ConfigError } from '@lnfleet/config';
import { durablePrefix, eventConcurrency, loadAutopilotConfig } from './config.js';

const SAMPLE = fileURLToPath(new URL('../graph/describegraph.sample.json', import.meta.url));

describe('autopilot configuration', () => {
  it('has defaults for everything but the graph file', () => {
    expect(loadAutopilotConfig({ AUTOPILOT_GRAPH_FILE: SAMPLE }, true)).toEqual({
      graphFile: SAMPLE,
      graphSnapshots: true,
      heartbeatMs: 60_000,
      commandTtlMs: 600_000,
      outcomeGraceMs: 60_000,
      centralityWorkers: 2,
      mode: 'live',
      batch: { maxEvents: 256, inFlight: 2 },
    });
  });

  it('requires a readable graph file when snapshots are off and no graph source is given in code', () => {
    const off = { AUTOPILOT_GRAPH_SNAPSHOTS: 'false' };
    expect(() => loadAutopilotConfig(off, true)).toThrow(ConfigError);
    expect(() => loadAutopilotConfig(off, true)).toThrow(/AUTOPILOT_GRAPH_FILE: is required with AUTOPILOT_GRAPH_SNAPSHOTS=false/);
    expect(loadAutopilotConfig({}, true)).toMatchObject({ graphSnapshots: true });
    expect(loadAutopilotConfig(off, false)).toMatchObject({ graphSnapshots: false });
    expect(() => loadAutopilotConfig({ AUTOPILOT_GRAPH_FILE: '/nonexistent/graph.json.gz' }, true)).toThrow(/AUTOPILOT_GRAPH_FILE: \/nonexistent\/graph.json.gz is not a readable file/);
    expect(() => loadAutopilotConfig({ AUTOPILOT_GRAPH_FILE: '/tmp' }, true)).toThrow(/not a readable file/);
    expect(loadAutopilotConfig({}, false).graphFile).toBeUndefined();
  });

  it.each([
    ['AUTOPILOT_HEARTBEAT_MS', '50'],
    ['AUTOPILOT_HEARTBEAT_MS', 'soon'],
    ['AUTOPILOT_COMMAND_TTL_MS', '-5'],
    ['AUTOPILOT_OUTCOME_GRACE_MS', '1.5'],
    ['AUTOPILOT_CENTRALITY_WORKERS', '65'],
    ['AUTOPILOT_CENTRALITY_WORKERS', '-1'],
    ['AUTOPILOT_MODE', 'dry'],
    ['AUTOPILOT_DURABLE_PREFIX', 'a.b'],
    ['AUTOPILOT_CONCURRENCY', '0'],
    ['AUTOPILOT_CONCURRENCY', '9'],
    ['AUTOPILOT_BATCH_EVENTS', '0'],
    ['AUTOPILOT_BATCH_EVENTS', '1001'],
    ['AUTOPILOT_GRAPH_SNAPSHOTS', 'maybe'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(() => loadAutopilotConfig({ [name]: value }, false)).toThrow(new RegExp(`invalid configuration: ${name}:`));
  });

  it('names the durables after AUTOPILOT_DURABLE_PREFIX (default autopilot)', () => {
    expect(durablePrefix({})).toBe('autopilot');
    expect(durablePrefix({ AUTOPILOT_DURABLE_PREFIX: 'autopilot-rebuild-2' })).toBe('autopilot-rebuild-2');
    expect(() => durablePrefix({ AUTOPILOT_DURABLE_PREFIX: 'a b' })).toThrow(/AUTOPILOT_DURABLE_PREFIX/);
  });

  it('hands the engine enough messages at once to fill every batch in flight', () => {
    expect(eventConcurrency({})).toBe(2 * 256);
    expect(eventConcurrency({ AUTOPILOT_CONCURRENCY: '8', AUTOPILOT_BATCH_EVENTS: '10' })).toBe(80);
    expect(loadAutopilotConfig({ AUTOPILOT_CONCURRENCY: '3', AUTOPILOT_BATCH_EVENTS: '100' }, false).batch).toEqual({ maxEvents: 100, inFlight: 3 });
  });
});
