/**
 * `lnfleet audit` against real NATS JetStream: the scripted history is published on a test
 * namespace's streams (as the gateway, autopilot and chanfitness publish), then the CLI rebuilds
 * the node at MID from the streams alone.
 */
import { ensureStreams, JetStreamPublisher } from '@lnfleet/messaging';
import { testNats, type TestNats } from '@lnfleet/testing';
import type { DerivedService, KnownMessage } from '@lnfleet/contracts';
import { runCli } from '../cli.js';
import { capturedIo } from '../cli-test-io.fixture.js';
import { ExitCode } from '../errors.js';
import { EXPECTED_AT_MID, MID, NODE, SCRIPT } from '../scripted-fleet.fixture.js';

const DERIVED_BY: Readonly<Record<string, DerivedService>> = {
  AutopilotDecision: 'autopilot',
  AutopilotPolicySet: 'autopilot',
  PeerFitnessChanged: 'chanfitness',
  BackupStored: 'backup',
};

describe('lnfleet audit (NATS)', () => {
  let nats: TestNats;
  let env: Record<string, string>;

  beforeAll(async () => {
    nats = await testNats('audit');
    await ensureStreams(nats.jsm, Object.values(nats.topology.streams()));
    const publisher = new JetStreamPublisher(nats.js, nats.topology);
    for (const { stream, message } of SCRIPT) {
      if (stream === 'events') await publisher.publish(message);
      else await publisher.publishDerived(derivedBy(message), message);
    }
    env = { NATS_URL: nats.natsUrl, LNFLEET_NAMESPACE: nats.topology.namespace };
  });

  afterAll(async () => {
    await nats.cleanup();
  });

  it('prints the node at MID as JSON, exactly the state worked out by hand (stable schema)', async () => {
    const io = capturedIo(env);
    const code = await runCli(['audit', NODE, '--at', new Date(MID).toISOString(), '--json'], io);
    expect(io.err()).toBe('');
    expect(code).toBe(ExitCode.ok);
    expect(JSON.parse(io.out())).toEqual(EXPECTED_AT_MID);
  });

  it('prints a readable report by default, with the same instant given in another zone', async () => {
    const io = capturedIo(env);
    const code = await runCli(['audit', NODE, '--at', '2026-01-01T01:08:00+01:00'], io);
    expect(code).toBe(ExitCode.ok);
    expect(io.out()).toContain(`Node ${NODE} at 2026-01-01T00:08:00.000Z`);
    expect(io.out()).toContain('Channels (2 open or pending, 0 closed)');
    expect(io.out()).toContain('decisions: 1');
  });

  it('says a node the streams know nothing about is unknown (exit 3)', async () => {
    const io = capturedIo(env);
    const unknown = `03${'99'.repeat(32)}`;
    const code = await runCli(['audit', unknown, '--at', 'now'], io);
    expect(code).toBe(ExitCode.notFound);
    expect(io.err()).toContain(`unknown node ${unknown}`);
    expect(io.out()).toBe('');
  });

  it('says when the namespace has no streams (exit 3)', async () => {
    const io = capturedIo({ ...env, LNFLEET_NAMESPACE: 'nothing_here_yet' });
    const code = await runCli(['audit', NODE, '--at', 'now'], io);
    expect(code).toBe(ExitCode.notFound);
    expect(io.err()).toContain('stream NOTHING_HERE_YET_LNFLEET_EVENTS does not exist');
  });

  it('says when NATS cannot be reached (exit 4)', async () => {
    const io = capturedIo({ NATS_URL: 'nats://127.0.0.1:1' });
    const code = await runCli(['audit', NODE, '--at', 'now'], io);
    expect(code).toBe(ExitCode.unavailable);
    expect(io.err()).toMatch(/^lnfleet: cannot connect to NATS at nats:\/\/127\.0\.0\.1:1: .*Set NATS_URL/);
  });
});

function derivedBy(message: KnownMessage): DerivedService {
  const service = DERIVED_BY[message.type];
  if (service === undefined) throw new Error(`${message.type} is not a derived message of the script`);
  return service;
}
