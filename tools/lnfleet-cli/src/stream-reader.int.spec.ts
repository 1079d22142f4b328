/**
 * The CLI's stream reader against real NATS JetStream: decoding only the types asked for (read
 * from the subject), and reading ahead without losing or reordering a message.
 */
import { encodeMessage } from '@lnfleet/contracts';
import { ensureStreams } from '@lnfleet/messaging';
import { testNats, type TestNats } from '@lnfleet/testing';
import { fleetHistory } from './fleet-history.fixture.js';
import { OrderedReader, readAll, type ReadMessage } from './stream-reader.js';

const START = Date.UTC(2026, 0, 1);

describe('OrderedReader (NATS)', () => {
  let nats: TestNats;

  beforeEach(async () => {
    nats = await testNats('rd');
    await ensureStreams(nats.jsm, Object.values(nats.topology.streams()));
  });

  afterEach(async () => {
    await nats.cleanup();
  });

  const events = () => ({ stream: nats.topology.streamName('events'), filterSubject: nats.topology.allNodeEvents() });

  async function publish(subject: string, payload: Uint8Array | string): Promise<void> {
    await nats.js.publish(subject, payload);
  }

  it('decodes only the types asked for, by the subject: other catalogued types are skipped, an unknown subject is still decoded', async () => {
    const history = fleetHistory({ nodes: 1, peers: 2, flaps: 1, startMs: START }).filter((item) => item.stream === 'events');
    for (const { message } of history) await publish(nats.topology.nodeEventSubject(message.nodeId, message.type), encodeMessage(message));
    const node = history[0]!.message.nodeId;
    // Not JSON, on the subject of a type the reader skips: never parsed.
    await publish(nats.topology.nodeEventSubject(node, 'PeerOnline'), 'not json');
    // Not JSON, on a subject that names no message type: decoded, and reported.
    await publish(nats.topology.nodeEventSubject(node, 'Gossip'), 'not json');

    const read = await readAll(nats.js, { ...events(), types: new Set(['BalanceChanged', 'ChannelClosed']) });
    expect(read.map((r) => r.sequence)).toEqual(Array.from({ length: history.length + 2 }, (_, i) => i + 1));
    const wanted = history.filter(({ message }) => message.type === 'BalanceChanged' || message.type === 'ChannelClosed');
    expect(wanted.length).toBeGreaterThan(1);
    expect(read.filter((r) => r.message !== undefined).map((r) => r.message?.id)).toEqual(wanted.map(({ message }) => message.id));
    const skipped = read.filter((r) => r.skipped);
    expect(skipped).toHaveLength(history.length - wanted.length + 1);
    expect(skipped.every((r) => r.message === undefined && r.error === undefined)).toBe(true);
    expect(read.filter((r) => r.error !== undefined).map((r) => r.error?.code)).toEqual(['MALFORMED_JSON']);

    // Without types, everything is decoded.
    const all = await readAll(nats.js, events());
    expect(all.filter((r) => r.skipped)).toEqual([]);
    expect(all.filter((r) => r.error !== undefined)).toHaveLength(2);
  });

  it('reads ahead: every message once, in order; a batch read ahead counts as still waiting', async () => {
    const history = fleetHistory({ nodes: 2, peers: 2, flaps: 2, startMs: START }).filter((item) => item.stream === 'events');
    for (const { message } of history) await publish(nats.topology.nodeEventSubject(message.nodeId, message.type), encodeMessage(message));
    const reader = new OrderedReader(nats.js, events(), { kind: 'first' }, { readAhead: true });
    expect(await reader.waiting()).toBe(history.length);
    const first = await reader.next(3);
    expect(first).toHaveLength(3);
    // The next three are on their way or here: not read by the caller yet.
    expect(await reader.waiting()).toBe(history.length - 3);
    const read: ReadMessage[] = [...first];
    for (;;) {
      const batch = await reader.next(3);
      read.push(...batch);
      if (batch.length === 0 || reader.pending === 0) break;
    }
    expect(read.map((r) => r.message?.id)).toEqual(history.map(({ message }) => message.id));
    expect(await reader.waiting()).toBe(0);

    // Messages stored later are read on the next call.
    const late = fleetHistory({ nodes: 1, peers: 1, flaps: 1, startMs: START + 3_600_000, round: 1 }).filter((item) => item.stream === 'events');
    for (const { message } of late) await publish(nats.topology.nodeEventSubject(message.nodeId, message.type), encodeMessage(message));
    expect(await reader.waiting()).toBe(late.length);
    const more: ReadMessage[] = [];
    while (more.length < late.length) more.push(...(await reader.next(2)));
    expect(more.map((r) => r.message?.id)).toEqual(late.map(({ message }) => message.id));
  });
});
