import { ConfigError } from '@lnfleet/config';
import { MAX_SIM_NODES, natsProbeTarget, parseFleetOptions, parseHostPort } from './config.js';

const defaults = { graphFile: '../shared/data/graph.json.gz', logFile: '.lnfleet/fleet.log' };

describe('parseFleetOptions', () => {
  it('defaults to 25 nodes at 120x on the shared graph, probing 127.0.0.1:5432', () => {
    const options = parseFleetOptions([], {}, defaults);
    expect(options).toMatchObject({
      nodes: 25,
      speed: 120,
      seed: 7,
      graphFile: '../shared/data/graph.json.gz',
      runSeconds: undefined,
      exitWhenReady: false,
      json: false,
      untilWorking: false,
      logFile: '.lnfleet/fleet.log',
      postgresProbe: { host: '127.0.0.1', port: 5432 },
      embeddedPostgres: false,
      refreshMs: 1000,
      help: false,
    });
  });

  it('reads the variables and lets flags win over them', () => {
    const env = { LNFLEET_SIM_NODES: '100', LNFLEET_SIM_SPEED: '60', LNFLEET_RUN_SECONDS: '30', LNFLEET_EXIT_WHEN_READY: '1' };
    expect(parseFleetOptions([], env, defaults)).toMatchObject({ nodes: 100, speed: 60, runSeconds: 30, exitWhenReady: true });
    expect(parseFleetOptions(['--nodes', '7', '--speed=300', '--for', '5', '--json'], env, defaults)).toMatchObject({ nodes: 7, speed: 300, runSeconds: 5, json: true });
  });

  it('accepts up to 1,000 nodes and names the flag and variable beyond', () => {
    expect(parseFleetOptions(['--nodes', String(MAX_SIM_NODES)], {}, defaults).nodes).toBe(1000);
    expect(() => parseFleetOptions(['--nodes', '1001'], {}, defaults)).toThrow(new ConfigError('--nodes (LNFLEET_SIM_NODES)', 'must be a whole number from 1 to 1000'));
    expect(() => parseFleetOptions([], { LNFLEET_SIM_NODES: '2.5' }, defaults)).toThrow(/--nodes \(LNFLEET_SIM_NODES\)/);
    expect(() => parseFleetOptions([], { LNFLEET_SIM_NODES: '0' }, defaults)).toThrow(/from 1 to 1000/);
  });

  it('rejects unknown options, missing values, bad speeds and --json without --for', () => {
    expect(() => parseFleetOptions(['--nodez', '3'], {}, defaults)).toThrow(/--nodez: unknown option/);
    expect(() => parseFleetOptions(['--nodes'], {}, defaults)).toThrow(/--nodes: needs a value/);
    expect(() => parseFleetOptions(['--speed', '0.5'], {}, defaults)).toThrow(/--speed \(LNFLEET_SIM_SPEED\): must be a number from 1 to 100000/);
    expect(() => parseFleetOptions(['--json'], {}, defaults)).toThrow(/only applies with --for/);
    expect(() => parseFleetOptions(['--until-working'], {}, defaults)).toThrow(/--until-working \(LNFLEET_UNTIL_WORKING\): only applies with --for/);
    expect(parseFleetOptions(['--for', '60', '--until-working'], {}, defaults).untilWorking).toBe(true);
    expect(parseFleetOptions([], { LNFLEET_RUN_SECONDS: '60', LNFLEET_UNTIL_WORKING: '1' }, defaults).untilWorking).toBe(true);
    expect(() => parseFleetOptions([], { LNFLEET_EXIT_WHEN_READY: 'maybe' }, defaults)).toThrow(/LNFLEET_EXIT_WHEN_READY/);
  });

  it('uses a synthetic graph when asked or when the shared graph is absent', () => {
    expect(parseFleetOptions(['--graph', 'synthetic'], {}, defaults).graphFile).toBeUndefined();
    expect(parseFleetOptions([], {}, { ...defaults, graphFile: undefined }).graphFile).toBeUndefined();
    expect(parseFleetOptions([], { LNFLEET_GRAPH_FILE: '/data/g.json' }, defaults).graphFile).toBe('/data/g.json');
  });

  it('probes the PostgreSQL address LNFLEET_POSTGRES_PROBE names, and treats empty variables as unset', () => {
    expect(parseFleetOptions([], { LNFLEET_POSTGRES_PROBE: '127.0.0.1:1', LNFLEET_SIM_NODES: '' }, defaults)).toMatchObject({ postgresProbe: { host: '127.0.0.1', port: 1 }, nodes: 25 });
    expect(() => parseFleetOptions([], { LNFLEET_POSTGRES_PROBE: 'localhost' }, defaults)).toThrow(new ConfigError('LNFLEET_POSTGRES_PROBE', 'must be host:port, e.g. 127.0.0.1:5432'));
  });

  it('notices --help', () => {
    expect(parseFleetOptions(['--help'], {}, defaults).help).toBe(true);
  });
});

describe('addresses', () => {
  it('parses host:port, IPv6 in brackets, and rejects port 0 or 65536', () => {
    expect(parseHostPort('X', 'db.local:6543')).toEqual({ host: 'db.local', port: 6543 });
    expect(parseHostPort('X', '[::1]:5432')).toEqual({ host: '::1', port: 5432 });
    expect(() => parseHostPort('X', 'h:0')).toThrow(ConfigError);
    expect(() => parseHostPort('X', 'h:65536')).toThrow(ConfigError);
  });

  it('probes the first NATS server, defaulting the port and skipping credentials; websockets are not probed', () => {
    expect(natsProbeTarget('nats://127.0.0.1:4222')).toEqual({ host: '127.0.0.1', port: 4222 });
    expect(natsProbeTarget('tls://user:pw@nats.example:7422,nats://b:4222')).toEqual({ host: 'nats.example', port: 7422 });
    expect(natsProbeTarget('nats://broker')).toEqual({ host: 'broker', port: 4222 });
    expect(natsProbeTarget('wss://broker:443')).toBeUndefined();
  });
});
