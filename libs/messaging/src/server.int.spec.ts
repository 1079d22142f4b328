import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload, type MicroserviceOptions } from '@nestjs/microservices';
import type { INestMicroservice } from '@nestjs/common';
import { createMessage, deterministicId, encodeMessage, PeerOnline, type MessageByType } from '@lnfleet/contracts';
import { testNats, waitFor, type TestNats } from '@lnfleet/testing';
import { validMessage } from '../../contracts/src/fixtures.spec-helpers.js';
import { JetStreamContext } from './context.js';
import { readDeadLetter } from './dead-letter.js';
import { RethrowingRpcExceptionFilter } from './exception-filter.js';
import { OnMessage } from './on-message.js';
import { JetStreamPublisher } from './publisher.js';
import { JetStreamServer, type ConsumerBinding } from './server.js';
import { ensureStreams } from './streams.js';

const NODE = `02${'a'.repeat(64)}`;
const peer = (i: number): string => `03${i.toString(16).padStart(64, '0')}`;

function peerOnline(i: number): MessageByType<'PeerOnline'> {
  const id = deterministicId('PeerOnline', NODE, i);
  return createMessage(PeerOnline, { id, nodeId: NODE, occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), causationId: null, data: { peer: peer(i) } });
}

/** Handling is what the test handler saw; `behaviour` decides per delivery whether it fails. */
class Handling {
  readonly attempts = new Map<number, number>();
  readonly applied: Array<{ instance: string; sequence: number; peer: string }> = [];
  behaviour: (sequence: number, attempt: number) => Promise<void> | void = () => undefined;
}

async function startService(nats: TestNats, handling: Handling, instance: string, binding: Partial<ConsumerBinding> = {}): Promise<{ app: INestMicroservice; server: JetStreamServer }> {
  @Controller()
  class PeerController {
    @OnMessage('PeerOnline')
    async onPeerOnline(@Payload() message: MessageByType<'PeerOnline'>, @Ctx() context: JetStreamContext): Promise<void> {
      const sequence = context.streamSequence;
      const attempt = (handling.attempts.get(sequence) ?? 0) + 1;
      handling.attempts.set(sequence, attempt);
      await handling.behaviour(sequence, attempt);
      handling.applied.push({ instance, sequence, peer: message.data.peer });
    }
  }
  @Module({ controllers: [PeerController] })
  class TestModule {}

  const server = new JetStreamServer({
    service: 'test',
    topology: nats.topology,
    connection: nats.connection,
    bindings: [
      {
        stream: nats.topology.streamName('events'),
        durable: 'test-consumer',
        filterSubject: nats.topology.allNodeEvents(),
        redelivery: { maxDeliveries: 3, initialDelayMs: 20, maxDelayMs: 100 },
        ...binding,
      },
    ],
  });
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(TestModule, { strategy: server, logger: false });
  app.useGlobalFilters(new RethrowingRpcExceptionFilter());
  await app.listen();
  return { app, server };
}

async function storedDeadLetter(nats: TestNats, sequence: number) {
  const stored = await nats.jsm.streams.getMessage(nats.topology.streamName('deadLetter'), { seq: sequence });
  if (stored === null) throw new Error(`no dead letter #${sequence}`);
  return stored;
}

function counters(server: JetStreamServer) {
  const all = Object.values(server.counters());
  const first = all[0];
  if (first === undefined) throw new Error('server has no binding');
  return first;
}

describe('JetStreamServer with real NATS JetStream', () => {
  let nats: TestNats;
  let publisher: JetStreamPublisher;
  const apps: INestMicroservice[] = [];

  beforeEach(async () => {
    nats = await testNats('msg');
    publisher = new JetStreamPublisher(nats.js, nats.topology);
    await ensureStreams(nats.jsm, Object.values(nats.topology.streams()));
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    await nats.cleanup();
  });

  it('redelivers a message whose handler fails twice and applies its effect once', async () => {
    const handling = new Handling();
    handling.behaviour = (_sequence, attempt) => {
      if (attempt <= 2) throw new Error(`transient failure ${attempt}`);
    };
    const { app, server } = await startService(nats, handling, 'a');
    apps.push(app);
    await publisher.publish(peerOnline(1));

    await waitFor('the message to be handled', () => counters(server).handled, (n) => n === 1);
    expect(handling.attempts.get(1)).toBe(3);
    expect(handling.applied).toEqual([{ instance: 'a', sequence: 1, peer: peer(1) }]);
    expect(counters(server)).toMatchObject({ failed: 2, deadLettered: 0 });
  });

  it('stores a re-published message with the same id once', async () => {
    const message = peerOnline(7);
    const first = await publisher.publish(message);
    const second = await publisher.publish(message);

    expect(first.duplicate).toBe(false);
    expect(second).toEqual({ stream: first.stream, sequence: first.sequence, duplicate: true });
    const info = await nats.jsm.streams.info(nats.topology.streamName('events'));
    expect(info.state.messages).toBe(1);
  });

  it('routes each catalogued message to its stream: node events, commands, derived events', async () => {
    const streamOf = async (type: 'ChannelOpened' | 'OpenChannel' | 'PeerFitnessChanged'): Promise<string> => (await publisher.publish(validMessage(type))).stream;
    expect(await streamOf('ChannelOpened')).toBe(nats.topology.streamName('events'));
    expect(await streamOf('OpenChannel')).toBe(nats.topology.streamName('commands'));
    expect(await streamOf('PeerFitnessChanged')).toBe(nats.topology.streamName('derived'));
  });

  it('dead-letters an invalid message with its origin and still processes the next valid one', async () => {
    const handling = new Handling();
    const { app, server } = await startService(nats, handling, 'a');
    apps.push(app);
    const subject = nats.topology.nodeEventSubject(NODE, 'PeerOnline');
    const junk = { ...peerOnline(1), data: { peer: 'not-a-pubkey' } };
    const bad = await publisher.publishRaw(subject, encodeMessage(junk), 'junk-1');
    await publisher.publish(peerOnline(2));

    await waitFor('valid message handled and invalid one dead-lettered', () => counters(server), (c) => c.handled === 1 && c.deadLettered === 1);
    expect(handling.applied.map((a) => a.peer)).toEqual([peer(2)]);

    const letter = readDeadLetter(await storedDeadLetter(nats, 1));
    expect(letter).toMatchObject({
      sourceStream: nats.topology.streamName('events'),
      sourceSequence: bad.sequence,
      sourceSubject: subject,
      consumer: 'test-consumer',
      reason: 'undecodable',
    });
    expect(letter.error).toContain('data.peer');
    expect(Buffer.from(letter.payload).toString()).toBe(JSON.stringify(junk));
    // Terminated, not pending: nothing is redelivered.
    await waitFor(
      'the consumer to have nothing pending',
      async () => (await nats.jsm.consumers.info(nats.topology.streamName('events'), 'test-consumer')).num_ack_pending,
      (pending) => pending === 0,
    );
  });

  it('dead-letters a message whose handler keeps failing after the last allowed delivery', async () => {
    const handling = new Handling();
    handling.behaviour = () => {
      throw new Error('database is down');
    };
    const { app, server } = await startService(nats, handling, 'a');
    apps.push(app);
    await publisher.publish(peerOnline(3));

    await waitFor('dead letter', () => counters(server).deadLettered, (n) => n === 1);
    expect(handling.attempts.get(1)).toBe(3);
    const letter = readDeadLetter(await storedDeadLetter(nats, 1));
    expect(letter.reason).toBe('handler-failed');
    expect(letter.error).toContain('database is down');
    expect(letter.deliveries).toBe(3);
  });

  it('splits one durable between two instances with none lost and none handled twice', async () => {
    const handling = new Handling();
    handling.behaviour = () => new Promise((resolve) => setImmediate(resolve));
    const binding = { batchSize: 5, maxAckPending: 10 };
    const a = await startService(nats, handling, 'a', binding);
    const b = await startService(nats, handling, 'b', binding);
    apps.push(a.app, b.app);
    const total = 300;
    await Promise.all(Array.from({ length: total }, (_, i) => publisher.publish(peerOnline(i + 1))));

    await waitFor('all messages handled', () => handling.applied.length, (n) => n >= total);
    const sequences = handling.applied.map((x) => x.sequence);
    expect(new Set(sequences).size).toBe(total);
    expect(sequences).toHaveLength(total);
    const byA = handling.applied.filter((x) => x.instance === 'a').length;
    const byB = handling.applied.filter((x) => x.instance === 'b').length;
    expect(byA).toBeGreaterThan(0);
    expect(byB).toBeGreaterThan(0);
    expect(byA + byB).toBe(total);
  });

  it('resumes where it stopped after a restart mid-stream', async () => {
    const handling = new Handling();
    const first = await startService(nats, handling, 'first', { batchSize: 10 });
    const total = 100;
    let reached40 = false;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The first instance stops while it is handling message 40; messages it pulled but had not
    // started are handed back, so the second instance must begin exactly at 41.
    handling.behaviour = async (sequence) => {
      if (sequence === 40 && handling.applied.every((a) => a.instance === 'first')) {
        reached40 = true;
        await gate;
      }
    };
    for (let i = 1; i <= total; i++) await publisher.publish(peerOnline(i));
    await waitFor('first instance to reach message 40', () => reached40, (r) => r);
    const closing = first.app.close();
    setImmediate(() => {
      release();
    });
    await closing;
    const handledByFirst = handling.applied.length;
    expect(handledByFirst).toBe(40);

    const second = await startService(nats, handling, 'second');
    apps.push(second.app);
    await waitFor('the rest to be handled', () => handling.applied.length, (n) => n >= total);

    const sequences = handling.applied.map((x) => x.sequence);
    expect([...sequences].sort((x, y) => x - y)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const secondSequences = handling.applied.filter((x) => x.instance === 'second').map((x) => x.sequence);
    expect(Math.min(...secondSequences)).toBe(handledByFirst + 1);
  });

  it('finishes an in-flight handler before close resolves', async () => {
    const handling = new Handling();
    let release: () => void = () => undefined;
    let started = false;
    handling.behaviour = () =>
      new Promise<void>((resolve) => {
        started = true;
        release = resolve;
      });
    const { app } = await startService(nats, handling, 'a');
    await publisher.publish(peerOnline(1));
    await waitFor('handler to start', () => started, (s) => s);

    const closing = app.close();
    setImmediate(() => {
      release();
    });
    await closing;
    expect(handling.applied).toHaveLength(1);
    const consumer = await nats.jsm.consumers.info(nats.topology.streamName('events'), 'test-consumer');
    expect(consumer.ack_floor.stream_seq).toBe(1);
  });
});
