import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@lnfleet/config';
import { checkNodeFiles, loadGatewayConfig, loadShardConfig, parseGatewayConfig, readLndFiles, simIndexOf, type LndNodeConfig } from './gateway-config.js';

const lnd = { id: 'alice', kind: 'lnd', socket: '10.0.0.5:10009', certPath: '/s/tls.cert', macaroonPath: '/s/admin.macaroon' };

function fails(config: unknown): ConfigError {
  try {
    parseGatewayConfig(JSON.stringify(config), 'NODE_GATEWAY_CONFIG');
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('gateway configuration', () => {
  it('accepts the example simulated fleet', () => {
    const example = new URL('../../fleet.sim.example.json', import.meta.url);
    expect(loadGatewayConfig({ NODE_GATEWAY_CONFIG_FILE: example.pathname }).nodes).toHaveLength(3);
  });

  it('serves no nodes when nothing is configured', () => {
    expect(loadGatewayConfig({})).toEqual({ nodes: [] });
  });

  it('reads lnd and sim nodes inline or from a file', () => {
    const json = JSON.stringify({ nodes: [lnd, { id: 'sim-0', kind: 'sim' }, { id: 'sim-5', kind: 'sim', simIndex: 5 }], simnet: { seed: 3, speed: 60 } });
    const inline = loadGatewayConfig({ NODE_GATEWAY_CONFIG: json });
    expect(inline.nodes.map((n) => n.kind)).toEqual(['lnd', 'sim', 'sim']);
    const dir = mkdtempSync(join(tmpdir(), 'gwcfg-'));
    writeFileSync(join(dir, 'fleet.json'), json);
    const fromFile = loadGatewayConfig({ NODE_GATEWAY_CONFIG_FILE: join(dir, 'fleet.json') });
    expect(fromFile).toEqual(inline);
    const [, first, fifth] = fromFile.nodes;
    expect(first?.kind === 'sim' && simIndexOf(fromFile, first)).toBe(0);
    expect(fifth?.kind === 'sim' && simIndexOf(fromFile, fifth)).toBe(5);
  });

  it.each([
    ['a missing macaroon path', { nodes: [{ ...lnd, macaroonPath: undefined }] }, /nodes\[0\]\.macaroonPath/],
    ['a bad socket', { nodes: [{ ...lnd, socket: 'nowhere' }] }, /nodes\[0\]\.socket.*host:port/],
    ['an unknown kind', { nodes: [{ id: 'x', kind: 'cln' }] }, /nodes\[0\]\.kind/],
    ['an unknown field', { nodes: [{ id: 'x', kind: 'sim', colour: 'red' }] }, /nodes\[0\]/],
    ['a repeated id', { nodes: [{ id: 'x', kind: 'sim' }, { id: 'x', kind: 'sim' }] }, /nodes\[1\]\.id.*earlier/],
    ['two entries for one sim node', { nodes: [{ id: 'x', kind: 'sim' }, { id: 'y', kind: 'sim', simIndex: 0 }] }, /nodes\[1\]\.simIndex/],
    ['inverted channel bounds', { nodes: [], channelSize: { minSat: 10, maxSat: 5 } }, /channelSize\.maxSat/],
    ['a bad simnet knob', { nodes: [], simnet: { openFailureProbability: 3 } }, /simnet\.openFailureProbability/],
  ])('names the field for %s', (_name, config, field) => {
    expect(fails(config).message).toMatch(field);
  });

  it('never echoes values, which may be credentials', () => {
    const error = fails({ nodes: [{ ...lnd, socket: 'secret-host-name' }] });
    expect(error.message).not.toMatch(/secret-host-name/);
    expect(() => loadGatewayConfig({ NODE_GATEWAY_CONFIG: '{"nodes": [hunter2' })).toThrow(/NODE_GATEWAY_CONFIG: is not valid JSON$/);
    expect(() => loadGatewayConfig({ NODE_GATEWAY_CONFIG_FILE: '/nonexistent/hunter2.json' })).toThrow(/NODE_GATEWAY_CONFIG_FILE.*ENOENT/);
    expect(() => loadGatewayConfig({ NODE_GATEWAY_CONFIG_FILE: '/nonexistent/hunter2.json' })).not.toThrow(/hunter2/);
  });

  it('checks that lnd credential files exist, naming the field but not the path', () => {
    const config = parseGatewayConfig(JSON.stringify({ nodes: [lnd] }), 'test');
    expect(() => { checkNodeFiles(config, (p) => p.endsWith('tls.cert')); }).toThrow(/nodes\[0\]\.macaroonPath: no file for node "alice"/);
    expect(() => { checkNodeFiles(config, () => false); }).not.toThrow(/\/s\//);
    expect(() => { checkNodeFiles(config, () => true); }).not.toThrow();
  });

  it('reads an lnd node\'s certificate and macaroon (binary or hex), naming the field of a bad one and never its content', () => {
    const node = parseGatewayConfig(JSON.stringify({ nodes: [lnd] }), 'test').nodes[0] as LndNodeConfig;
    const pem = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIBxzCCAW2gAwIBAgIQ\n-----END CERTIFICATE-----\n');
    const macaroon = Buffer.from('0201036c6e6402f801030a10a1b2c3d4e5f60718293a4b5c6d7e8f9012000604', 'hex');
    const files = (cert: Buffer | Error, mac: Buffer | Error) => (path: string): Buffer => {
      const content = path === node.certPath ? cert : mac;
      if (content instanceof Error) throw content;
      return content;
    };
    expect(readLndFiles(node, 0, files(pem, macaroon))).toEqual({ cert: pem, macaroon });
    expect(readLndFiles(node, 0, files(pem, Buffer.from(`${macaroon.toString('hex')}\n`))).macaroon).toEqual(macaroon);
    expect(() => readLndFiles(node, 3, files(Buffer.from('hunter2'), macaroon))).toThrow(/^invalid configuration: nodes\[3\]\.certPath: must be a PEM certificate \(lnd's tls\.cert\) for node "alice"$/);
    expect(() => readLndFiles(node, 0, files(pem, Buffer.from('hunter2')))).toThrow(/^invalid configuration: nodes\[0\]\.macaroonPath: must be a macaroon file \(binary or hex\) for node "alice"; it holds 7 byte\(s\)$/);
    const denied = Object.assign(new Error(`EACCES: permission denied, open '${node.macaroonPath}'`), { code: 'EACCES' });
    expect(() => readLndFiles(node, 0, files(pem, denied))).toThrow(/^invalid configuration: nodes\[0\]\.macaroonPath: cannot read the file of node "alice" \(EACCES\)$/);
  });

  it('reads the replica count and index, defaulting the index to the StatefulSet ordinal', () => {
    expect(loadShardConfig({})).toEqual({ replicas: 1, index: 0 });
    expect(loadShardConfig({ NODE_GATEWAY_REPLICAS: '3', HOSTNAME: 'node-gateway-2' })).toEqual({ replicas: 3, index: 2 });
    expect(loadShardConfig({ NODE_GATEWAY_REPLICAS: '3', NODE_GATEWAY_REPLICA_INDEX: '1', HOSTNAME: 'node-gateway-2' })).toEqual({ replicas: 3, index: 1 });
    expect(() => loadShardConfig({ NODE_GATEWAY_REPLICAS: '3', HOSTNAME: 'laptop' })).toThrow(/NODE_GATEWAY_REPLICA_INDEX: is required/);
    expect(() => loadShardConfig({ NODE_GATEWAY_REPLICAS: '2', NODE_GATEWAY_REPLICA_INDEX: '2' })).toThrow(/NODE_GATEWAY_REPLICA_INDEX: must be below/);
    expect(() => loadShardConfig({ NODE_GATEWAY_REPLICAS: '0' })).toThrow(/NODE_GATEWAY_REPLICAS/);
  });
});
