import type { JetStreamManager, StreamConfig, StreamInfo } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { createMessage, deterministicId, PeerOnline, type MessageByType, type StreamRole, type StreamSpec } from '@lnfleet/contracts';
import { testNats, uniqueName, type TestNats } from '@lnfleet/testing';
import { JetStreamPublisher } from './publisher.js';
import { ensureConsumer } from './server.js';
import { ensureStreams, StreamConflictError, toStreamConfig } from './streams.js';

const NODE = `02${'c'.repeat(64)}`;
const HOUR_MS = 3_600_000;

function peerOnline(i: number): MessageByType<'PeerOnline'> {
  return createMessage(PeerOnline, {
    id: deterministicId('PeerOnline', NODE, i),
    nodeId: NODE,
    occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    causationId: null,
    data: { peer: `03${i.toString(16).padStart(64, '0')}` },
  });
}

interface StreamCalls {
  add: number;
  update: number;
}

/** counting wraps a manager so a test can see whether ensureStreams added or updated anything. */
function counting(jsm: JetStreamManager): { jsm: JetStreamManager; calls: StreamCalls } {
  const calls: StreamCalls = { add: 0, update: 0 };
  const streams = new Proxy(jsm.streams, {
    get(target, property, receiver): unknown {
      const value = Reflect.get(target, property, receiver) as unknown;
      if ((property !== 'add' && property !== 'update') || typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        calls[property]++;
        return Reflect.apply(value, target, args) as unknown;
      };
    },
  });
  const manager = new Proxy(jsm, {
    get(target, property, receiver): unknown {
      return property === 'streams' ? streams : (Reflect.get(target, property, receiver) as unknown);
    },
  });
  return { jsm: manager, calls };
}

/** comparable drops the fields the server fills in itself and may not echo identically. */
function comparable(info: StreamInfo): { config: StreamConfig; created: string } {
  return { config: info.config, created: info.created };
}

describe('ensureStreams on a real NATS', () => {
  let nats: TestNats;
  let specs: Record<StreamRole, StreamSpec>;

  beforeEach(async () => {
    nats = await testNats('streams');
    specs = nats.topology.streams();
  });

  afterEach(async () => {
    await nats.cleanup();
  });

  const info = (name: string): Promise<StreamInfo> => nats.jsm.streams.info(name);

  it('creates every stream of the topology as specified', async () => {
    await ensureStreams(nats.jsm, Object.values(specs));
    for (const spec of Object.values(specs)) {
      const { config } = await info(spec.name);
      expect(config).toMatchObject({
        name: spec.name,
        subjects: [...spec.subjects],
        retention: spec.retention,
        storage: spec.storage,
        max_age: nanos(spec.maxAgeMs),
        duplicate_window: nanos(spec.duplicateWindowMs),
        deny_delete: spec.denyDelete,
        deny_purge: spec.denyPurge,
        num_replicas: spec.replicas,
        description: spec.description,
      });
    }
  });

  it('is idempotent: a second run changes nothing and does not fail', async () => {
    await ensureStreams(nats.jsm, Object.values(specs));
    const before = await Promise.all(Object.values(specs).map(async (spec) => comparable(await info(spec.name))));

    const { jsm, calls } = counting(nats.jsm);
    await ensureStreams(jsm, Object.values(specs));

    expect(calls).toEqual({ add: 0, update: 0 });
    const after = await Promise.all(Object.values(specs).map(async (spec) => comparable(await info(spec.name))));
    expect(after).toEqual(before);
  });

  it('keeps the messages already stored when it runs again', async () => {
    await ensureStreams(nats.jsm, Object.values(specs));
    const publisher = new JetStreamPublisher(nats.js, nats.topology);
    await publisher.publish(peerOnline(1));
    await publisher.publish(peerOnline(2));
    await ensureStreams(nats.jsm, Object.values(specs));
    expect((await info(specs.events.name)).state.messages).toBe(2);
  });

  it('tolerates replicas provisioning the same streams at the same time', async () => {
    await Promise.all([ensureStreams(nats.jsm, Object.values(specs)), ensureStreams(nats.jsm, Object.values(specs)), ensureStreams(nats.jsm, Object.values(specs))]);
    for (const spec of Object.values(specs)) expect((await info(spec.name)).config.duplicate_window).toBe(nanos(spec.duplicateWindowMs));
  });

  describe('brings a drifted stream back to its spec, keeping its messages', () => {
    it.each<[string, StreamRole, (spec: StreamSpec) => StreamSpec]>([
      ['a shorter duplicate_window', 'events', (spec) => ({ ...spec, duplicateWindowMs: 60_000 })],
      ['a different max_age', 'commands', (spec) => ({ ...spec, maxAgeMs: 2 * spec.duplicateWindowMs })],
      ['an old description', 'derived', (spec) => ({ ...spec, description: 'an older description' })],
      ['narrower subjects', 'derived', (spec) => ({ ...spec, subjects: [`${nats.topology.namespace}.lnfleet.drv.autopilot.>`] })],
      ['several fields at once', 'deadLetter', (spec) => ({ ...spec, duplicateWindowMs: 1_000, maxAgeMs: HOUR_MS, description: 'x' })],
      ['deletes and purges allowed on the audit log', 'events', (spec) => ({ ...spec, denyDelete: false, denyPurge: false })],
    ])('%s', async (_what, role, drift) => {
      const spec = specs[role];
      const drifted = drift(spec);
      await nats.jsm.streams.add(toStreamConfig(drifted));
      const stored = drifted.subjects[0]!.replace('>', `kept.${role}`);
      await nats.js.publish(stored, new TextEncoder().encode('kept'));

      const { jsm, calls } = counting(nats.jsm);
      await ensureStreams(jsm, [spec]);

      expect(calls).toEqual({ add: 0, update: 1 });
      const current = await info(spec.name);
      expect(current.config).toMatchObject({
        subjects: [...spec.subjects],
        max_age: nanos(spec.maxAgeMs),
        duplicate_window: nanos(spec.duplicateWindowMs),
        description: spec.description,
        deny_delete: spec.denyDelete,
        deny_purge: spec.denyPurge,
      });
      expect(current.state.messages).toBe(1);
    });
  });

  it('refuses to "fix" a stream whose retention differs, naming it, and leaves it alone', async () => {
    const spec = specs.events;
    await nats.jsm.streams.add(toStreamConfig({ ...spec, retention: 'workqueue', denyDelete: false, denyPurge: false }));

    const error: unknown = await ensureStreams(nats.jsm, [spec]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StreamConflictError);
    const conflict = error as StreamConflictError;
    expect(conflict.name).toBe('StreamConflictError');
    expect(conflict.message).toContain(`stream ${spec.name} `);
    expect(conflict.message).toContain('retention=workqueue');
    expect(conflict.message).toContain('limits/file');
    expect(conflict.message).toContain('by hand');
    expect((await info(spec.name)).config.retention).toBe('workqueue');
  });

  it('refuses a stream whose storage differs', async () => {
    const spec = specs.deadLetter;
    await nats.jsm.streams.add(toStreamConfig({ ...spec, storage: 'memory' }));
    await expect(ensureStreams(nats.jsm, [spec])).rejects.toThrow(new RegExp(`stream ${spec.name} exists with retention=limits storage=memory`));
    await expect(ensureStreams(nats.jsm, [spec])).rejects.toBeInstanceOf(StreamConflictError);
  });

  it.each<[string, StreamRole, (spec: StreamSpec) => StreamSpec, string]>([
    ['purge', 'derived', (spec) => ({ ...spec, denyPurge: true }), 'deny_purge set'],
    ['delete', 'deadLetter', (spec) => ({ ...spec, denyDelete: true }), 'deny_delete set'],
    ['delete and purge', 'deadLetter', (spec) => ({ ...spec, denyDelete: true, denyPurge: true }), 'deny_delete and deny_purge set'],
  ])('reports a stream denying %s that its spec allows (NATS cannot lift it in place), naming the stream', async (_what, role, drift, flags) => {
    const spec = specs[role];
    await nats.jsm.streams.add(toStreamConfig({ ...drift(spec), description: 'old' }));

    const error: unknown = await ensureStreams(nats.jsm, [spec]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StreamConflictError);
    expect((error as Error).message).toContain(`stream ${spec.name} exists with ${flags}`);
    expect((error as Error).message).toContain('by hand');
    expect((await info(spec.name)).config.description).toBe('old');
  });

  it('stops at the conflicting stream and reports it even when others are fine', async () => {
    await nats.jsm.streams.add(toStreamConfig({ ...specs.commands, retention: 'limits' }));
    const error: unknown = await ensureStreams(nats.jsm, Object.values(specs)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamConflictError);
    expect((error as Error).message).toContain(specs.commands.name);
    expect((error as Error).message).toContain('workqueue/file is required');
  });

  it('makes the events stream an audit log: messages cannot be deleted or purged', async () => {
    await ensureStreams(nats.jsm, Object.values(specs));
    const publisher = new JetStreamPublisher(nats.js, nats.topology);
    const { sequence } = await publisher.publish(peerOnline(1));

    await expect(nats.jsm.streams.deleteMessage(specs.events.name, sequence)).rejects.toThrow();
    await expect(nats.jsm.streams.purge(specs.events.name)).rejects.toThrow();
    expect((await info(specs.events.name)).state.messages).toBe(1);
    expect(await nats.jsm.streams.getMessage(specs.events.name, { seq: sequence })).not.toBeNull();
  });

  it('lets dead letters be deleted once handled (the control for the events stream)', async () => {
    await ensureStreams(nats.jsm, Object.values(specs));
    const subject = nats.topology.deadLetterSubject('test', specs.events.name);
    const { seq } = await nats.js.publish(subject, new TextEncoder().encode('junk'));
    await expect(nats.jsm.streams.deleteMessage(specs.deadLetter.name, seq)).resolves.toBe(true);
    expect((await info(specs.deadLetter.name)).state.messages).toBe(0);
  });
});

describe('ensureConsumer on a real NATS', () => {
  let nats: TestNats;
  let stream: string;

  beforeEach(async () => {
    nats = await testNats('consumers');
    await ensureStreams(nats.jsm, Object.values(nats.topology.streams()));
    stream = nats.topology.streamName('events');
  });

  afterEach(async () => {
    await nats.cleanup();
  });

  it('creates a durable pull consumer with explicit acks and no server-side delivery limit', async () => {
    const durable = uniqueName('c');
    await ensureConsumer(nats.jsm, { stream, durable, filterSubject: nats.topology.allNodeEvents() });
    const { config } = await nats.jsm.consumers.info(stream, durable);
    expect(config).toMatchObject({
      durable_name: durable,
      ack_policy: 'explicit',
      deliver_policy: 'all',
      filter_subject: nats.topology.allNodeEvents(),
      ack_wait: nanos(30_000),
      max_ack_pending: 1_000,
      max_deliver: -1,
    });
  });

  it('is idempotent: creating the same consumer twice is fine and keeps its position', async () => {
    const durable = uniqueName('c');
    const binding = { stream, durable, filterSubject: nats.topology.allNodeEvents() };
    await ensureConsumer(nats.jsm, binding);
    const before = await nats.jsm.consumers.info(stream, durable);

    await ensureConsumer(nats.jsm, binding);

    const after = await nats.jsm.consumers.info(stream, durable);
    expect(after.config).toEqual(before.config);
    expect(after.created).toBe(before.created);
    const names: string[] = [];
    for await (const consumer of nats.jsm.consumers.list(stream)) names.push(consumer.name);
    expect(names).toEqual([durable]);
  });

  it('updates tunables of an existing consumer in place', async () => {
    const durable = uniqueName('c');
    await ensureConsumer(nats.jsm, { stream, durable, filterSubject: nats.topology.allNodeEvents() });
    await ensureConsumer(nats.jsm, { stream, durable, filterSubject: nats.topology.allNodeEvents(), ackWaitMs: 5_000, maxAckPending: 50 });
    const { config } = await nats.jsm.consumers.info(stream, durable);
    expect(config).toMatchObject({ ack_wait: nanos(5_000), max_ack_pending: 50, filter_subject: nats.topology.allNodeEvents() });
  });

  it('refuses a different filter on the same durable, naming both filters', async () => {
    const durable = uniqueName('c');
    const all = nats.topology.allNodeEvents();
    const oneNode = nats.topology.nodeEvents(NODE);
    await ensureConsumer(nats.jsm, { stream, durable, filterSubject: all });

    const error: unknown = await ensureConsumer(nats.jsm, { stream, durable, filterSubject: oneNode }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain(`"${all}"`);
    expect(message).toContain(`"${oneNode}"`);
    expect(message).toContain(`${stream}/${durable}`);
    expect((await nats.jsm.consumers.info(stream, durable)).config.filter_subject).toBe(all);
  });

  it('refuses dropping the filter of a filtered durable', async () => {
    const durable = uniqueName('c');
    const all = nats.topology.allNodeEvents();
    await ensureConsumer(nats.jsm, { stream, durable, filterSubject: all });
    await expect(ensureConsumer(nats.jsm, { stream, durable })).rejects.toThrow(`filters "${all}", not ""`);
  });
});
