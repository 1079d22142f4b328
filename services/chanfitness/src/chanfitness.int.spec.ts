import { encodeMessage, type Envelope, type MessageByType, type Pubkey } from '@lnfleet/contracts';
import { ensureStreams, JetStreamPublisher } from '@lnfleet/messaging';
import { bootstrapService, type RunningService } from '@lnfleet/service-kit';
import { testNats, testSchema, waitFor, type TestNats, type TestSchema } from '@lnfleet/testing';
import { errorAnswer, FitnessQueries } from './api/fitness-queries.js';
import { FixedClock } from './clock.js';
import { loadChanfitnessConfig } from './config.js';
import {
  assessPeer,
  foldLog,
  loggedEvent,
  NodeNotFoundError,
  type EpochMs,
  type FitnessEvent,
  type LoggedEvent,
} from './fitness/index.js';
import { END, NODE_A, NODE_B, scriptedHistory, scriptedQueries, STEADY, FLAPPY, VANISHING, C1, C4, UNKNOWN_NODE, type QuerySpec } from './history.fixture.js';
import type { FitnessProjection, NodeState } from './projection/fitness-projection.js';
import { createChanfitnessService } from './service.js';
import { offline } from './fitness/events.fixture.js';
import { FitnessSweep } from './signals/fitness-sweep.js';
import { shuffled } from './shuffle.fixture.js';

/*
 * The acceptance test of the chanfitness service, against real NATS JetStream and PostgreSQL: a
 * scripted history of opens, closes and flaps gives the same answers live, after a restart, after
 * dropping the projection and replaying the stream, and when the stream holds the events out of
 * order and twice. The expected answers come from an ordered replay through the pure core.
 */

/** Thresholds low enough for the scripted history to cross them. */
const THRESHOLDS_ENV = {
  CHANFITNESS_MAX_FLAP_COUNT: '5',
  CHANFITNESS_MIN_UPTIME_RATIO: '0.5',
  CHANFITNESS_UPTIME_WINDOW_MS: String(3_600_000),
  CHANFITNESS_MIN_OBSERVED_MS: String(600_000),
};

/** Answer is what a query returned: its status and body, as HTTP and NATS both report them. */
interface Answer {
  readonly status: number;
  readonly body: unknown;
}

type Answers = Map<string, Answer>;

const history = scriptedHistory();
const queries = scriptedQueries();
const keyOf = (query: QuerySpec): string => `${query.kind} ${JSON.stringify(query.input)}`;

/**
 * referenceAnswers asks the same queries of the pure core: each node's events in the order they
 * happened, folded with evolve, behind the same query shaping the service uses.
 */
async function referenceAnswers(events: readonly FitnessEvent[]): Promise<Answers> {
  const byNode = new Map<string, LoggedEvent[]>();
  events.forEach((event, i) => {
    const list = byNode.get(event.nodeId) ?? [];
    list.push(loggedEvent(event, i + 1));
    byNode.set(event.nodeId, list);
  });
  const reference = {
    async nodeState(nodeId: string, at: EpochMs): Promise<Pick<NodeState, 'state'>> {
      const log = byNode.get(nodeId);
      if (log === undefined) throw new NodeNotFoundError(nodeId);
      return Promise.resolve({ state: foldLog(log.filter((e) => e.at <= at)) });
    },
  } as unknown as FitnessProjection;
  const config = loadChanfitnessConfig(THRESHOLDS_ENV);
  const answering = new FitnessQueries(reference, new FixedClock(END), config.thresholds);
  const answers: Answers = new Map();
  for (const query of queries) {
    try {
      const result = await answering[query.kind](query.input);
      answers.set(keyOf(query), { status: 200, body: JSON.parse(JSON.stringify(result)) as unknown });
    } catch (error) {
      const answer = errorAnswer(error);
      answers.set(keyOf(query), { status: answer.status, body: answer.body });
    }
  }
  return answers;
}

/** pathOf builds the HTTP request for a query. */
function pathOf(query: QuerySpec): string {
  const { nodeId, channelPoint, peer, ...rest } = query.input;
  const search = new URLSearchParams(Object.entries(rest).map(([k, v]): [string, string] => [k, String(v)])).toString();
  const suffix = search === '' ? '' : `?${search}`;
  if (query.kind === 'channel') return `/nodes/${String(nodeId)}/channels/${encodeURIComponent(String(channelPoint))}${suffix}`;
  if (query.kind === 'peer') return `/nodes/${String(nodeId)}/peers/${String(peer)}${suffix}`;
  return `/nodes/${String(nodeId)}/peers${suffix}`;
}

async function httpAnswers(service: RunningService): Promise<Answers> {
  const base = service.http?.url;
  if (base === undefined) throw new Error('chanfitness has no HTTP endpoint');
  const answers: Answers = new Map();
  for (const query of queries) {
    const response = await fetch(`${base}${pathOf(query)}`);
    answers.set(keyOf(query), { status: response.status, body: (await response.json()) });
  }
  return answers;
}

async function natsAnswers(nats: TestNats): Promise<Answers> {
  const answers: Answers = new Map();
  for (const query of queries) {
    const reply = await nats.connection.request(nats.topology.querySubject('chanfitness', query.kind), JSON.stringify(query.input), { timeout: 5_000 });
    const parsed = reply.json<{ ok: true; result: unknown } | { ok: false; status: number; error: unknown }>();
    answers.set(keyOf(query), parsed.ok ? { status: 200, body: parsed.result } : { status: parsed.status, body: { error: parsed.error } });
  }
  return answers;
}

/** Harness runs the service on a test's own streams and schema. */
class Harness {
  service: RunningService | undefined;
  readonly publisher: JetStreamPublisher;
  readonly clock = new FixedClock(END);

  constructor(
    readonly nats: TestNats,
    readonly schema: TestSchema,
  ) {
    this.publisher = new JetStreamPublisher(nats.js, nats.topology);
  }

  /** provision creates the streams, for publishing before the service first starts. */
  async provision(): Promise<void> {
    await ensureStreams(this.nats.jsm, Object.values(this.nats.topology.streams()));
  }

  get env(): Record<string, string> {
    return {
      NATS_URL: this.nats.natsUrl,
      DATABASE_URL: this.schema.databaseUrl,
      LNFLEET_NAMESPACE: this.nats.topology.namespace,
      DATABASE_SCHEMA: this.schema.schema,
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      ...THRESHOLDS_ENV,
    };
  }

  async start(extraEnv: Record<string, string> = {}): Promise<RunningService> {
    this.service = await bootstrapService(createChanfitnessService({ clock: this.clock }), { ...this.env, ...extraEnv }, { logger: false });
    return this.service;
  }

  async stop(): Promise<void> {
    await this.service?.stop();
    this.service = undefined;
  }

  /** caughtUp waits until the durable consumer has acknowledged everything in the events stream. */
  async caughtUp(): Promise<void> {
    const stream = this.nats.topology.streamName('events');
    const last = (await this.nats.jsm.streams.info(stream)).state.last_seq;
    await waitFor(
      `chanfitness to acknowledge ${stream} up to #${last}`,
      async () => {
        const info = await this.nats.jsm.consumers.info(stream, 'chanfitness');
        return { pending: info.num_pending, ackPending: info.num_ack_pending, ackFloor: info.ack_floor.stream_seq };
      },
      (c) => c.pending === 0 && c.ackPending === 0 && c.ackFloor >= last,
      30_000,
    );
  }

  async publishAll(events: readonly Envelope[]): Promise<void> {
    for (const event of events) await this.publisher.publish(event);
  }

  /** publishCopy stores the same message again under a new JetStream id, as a re-publish after the duplicate window would. */
  async publishCopy(event: Envelope, copy: number): Promise<void> {
    const subject = this.nats.topology.nodeEventSubject(event.nodeId, event.type);
    await this.publisher.publishRaw(subject, encodeMessage(event), `${event.id}-copy-${copy}`);
  }

  /** fitnessChanges reads every PeerFitnessChanged from the derived stream, in order. */
  async fitnessChanges(): Promise<MessageByType<'PeerFitnessChanged'>[]> {
    const stream = this.nats.topology.streamName('derived');
    const info = await this.nats.jsm.streams.info(stream);
    const changes: MessageByType<'PeerFitnessChanged'>[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const stored = await this.nats.jsm.streams.getMessage(stream, { seq });
      if (stored !== null) changes.push(stored.json<MessageByType<'PeerFitnessChanged'>>());
    }
    return changes;
  }

  async dropProjection(): Promise<void> {
    await this.schema.drop();
    await this.nats.jsm.consumers.delete(this.nats.topology.streamName('events'), 'chanfitness');
  }

  async cleanup(): Promise<void> {
    await this.stop();
    await this.nats.cleanup();
    await this.schema.drop();
  }
}

/** lastVerdicts is the last reported verdict per node/peer: its reasons. */
function lastVerdicts(changes: readonly MessageByType<'PeerFitnessChanged'>[]): Map<string, readonly string[]> {
  const verdicts = new Map<string, readonly string[]>();
  for (const change of changes) verdicts.set(`${change.nodeId}/${change.data.peer}`, change.data.reasons);
  return verdicts;
}

/** expectedVerdicts judges every tracked peer over the whole history at the time of its newest event. */
function expectedVerdicts(events: readonly FitnessEvent[]): Map<string, readonly string[]> {
  const thresholds = loadChanfitnessConfig(THRESHOLDS_ENV).thresholds;
  const verdicts = new Map<string, readonly string[]>();
  for (const nodeId of new Set(events.map((e) => e.nodeId))) {
    const nodeEvents = events.filter((e) => e.nodeId === nodeId).map((e, i) => loggedEvent(e, i + 1));
    const state = foldLog(nodeEvents);
    for (const peer of state.peers.keys()) {
      const touches = nodeEvents.filter((e) => e.event.type === 'NodeStateSnapshot' || e.event.data.peer === peer).map((e) => e.at);
      const reasons = assessPeer(state, peer, Math.max(...touches), thresholds).reasons;
      if (reasons.length > 0) verdicts.set(`${nodeId}/${peer}`, reasons);
    }
  }
  return verdicts;
}

/** withoutFit drops verdicts that say "fit" (a peer never reported counts as fit). */
function unfitOnly(verdicts: Map<string, readonly string[]>): Map<string, readonly string[]> {
  return new Map([...verdicts].filter(([, reasons]) => reasons.length > 0));
}

describe('chanfitness service (real NATS JetStream and PostgreSQL)', () => {
  let expected: Answers;
  let harness: Harness;

  beforeAll(async () => {
    expected = await referenceAnswers(history);
  });

  beforeEach(async () => {
    harness = new Harness(await testNats('cf'), await testSchema('cf'));
  });

  afterEach(async () => {
    await harness.cleanup();
  });

  it('gives the ordered-replay answers live, after a restart, and after dropping the projection and replaying', async () => {
    // Sanity of the reference itself: the history produces real numbers and real 404s.
    expect(expected.get(keyOf({ kind: 'channel', input: { nodeId: NODE_A, channelPoint: C1 } }))).toMatchObject({
      status: 200,
      body: { peer: STEADY, lifetimeMs: END - (Date.parse(history[4]!.occurredAt)), uptimeMs: END - Date.parse(history[4]!.occurredAt) - 30 * 60_000 },
    });
    expect([...expected.values()].filter((a) => a.status === 404).length).toBeGreaterThan(10);

    // Live: the service runs while the history is published.
    const service = await harness.start();
    await harness.publishAll(history);
    await harness.caughtUp();
    const live = await httpAnswers(service);
    expect(live).toEqual(expected);
    expect(await natsAnswers(harness.nats)).toEqual(expected);
    const publishedLive = await harness.fitnessChanges();
    expect(publishedLive.length).toBeGreaterThan(0);
    expect(unfitOnly(lastVerdicts(publishedLive))).toEqual(expectedVerdicts(history));

    // Restart: a new process reads the same tables; nothing is published again.
    await harness.stop();
    const restarted = await harness.start();
    expect(await httpAnswers(restarted)).toEqual(expected);
    await harness.publishAll(history); // re-published within the duplicate window: stored once
    await harness.caughtUp();
    expect(await harness.fitnessChanges()).toHaveLength(publishedLive.length);

    // Replay: drop the schema and the consumer, and rebuild from the start of the stream.
    await harness.stop();
    await harness.dropProjection();
    const rebuilt = await harness.start();
    await harness.caughtUp();
    expect(await httpAnswers(rebuilt)).toEqual(expected);
    const status = (await (await fetch(`${rebuilt.http?.url ?? ''}/status`)).json()) as { nodes: number; events: number };
    expect(status).toMatchObject({ nodes: 2, events: history.length });
    // Verdicts are re-derived with the same ids: JetStream keeps one copy of each it had.
    const publishedAfterReplay = await harness.fitnessChanges();
    expect(unfitOnly(lastVerdicts(publishedAfterReplay))).toEqual(expectedVerdicts(history));
    const liveIds = new Set(publishedLive.map((m) => m.id));
    expect(publishedAfterReplay.filter((m) => !liveIds.has(m.id)).length).toBeLessThanOrEqual(publishedLive.length);
  });

  it('warms the cache at start-up: ready once every node is folded, and the first queries after a restart read no log', async () => {
    await harness.start();
    await harness.publishAll(history);
    await harness.caughtUp();
    await harness.stop();

    type Status = { counters: { warmed: number; refolds: number } };
    const statusOf = async (service: RunningService): Promise<Status> => (await (await fetch(`${service.http?.url ?? ''}/status`)).json()) as Status;
    const restarted = await harness.start();
    const readiness = await waitFor(
      'chanfitness to be ready',
      async () => {
        const response = await fetch(`${restarted.http?.url ?? ''}/health/ready`);
        return { status: response.status, body: (await response.json()) as { checks?: { cache?: { ready: boolean; detail: string } } } };
      },
      (answer) => answer.status === 200,
      30_000,
    );
    expect(readiness.body.checks?.cache).toEqual({ ready: true, detail: 'cache warmed (2 of 2 nodes)' });
    expect((await statusOf(restarted)).counters).toMatchObject({ warmed: 2, refolds: 2 });
    expect(await httpAnswers(restarted)).toEqual(expected);
    // Every answer came from the warmed states: no log was read and folded again.
    expect((await statusOf(restarted)).counters).toMatchObject({ warmed: 2, refolds: 2 });

    // Without the warm-up the same queries read the logs.
    await harness.stop();
    const cold = await harness.start({ CHANFITNESS_WARM_NODES: '0' });
    const coldReadiness = (await (await fetch(`${cold.http?.url ?? ''}/health/ready`)).json()) as { checks?: { cache?: unknown } };
    expect(coldReadiness.checks?.cache).toEqual({ ready: true, detail: 'cache warm-up off (CHANFITNESS_WARM_NODES=0)' });
    expect((await statusOf(cold)).counters).toMatchObject({ warmed: 0, refolds: 0 });
    expect(await httpAnswers(cold)).toEqual(expected);
    expect((await statusOf(cold)).counters.refolds).toBeGreaterThan(0);
  });

  it('gives the same answers when the stream holds the history out of order, with copies, some of it late', async () => {
    // Half the history arrives shuffled before the service starts (one reordered batch), with
    // copies stored under new JetStream ids; the rest arrives later, shuffled, some of it older
    // than what the service has already seen.
    const [early, late] = [history.filter((_, i) => i % 2 === 0), history.filter((_, i) => i % 2 === 1)];
    const firstBatch = shuffled([...early, ...early.slice(0, 8)], 7);
    await harness.provision();
    const seen = new Map<string, number>();
    for (const event of firstBatch) {
      const copies = seen.get(event.id) ?? 0;
      if (copies === 0) await harness.publisher.publish(event);
      else await harness.publishCopy(event, copies);
      seen.set(event.id, copies + 1);
    }
    const service = await harness.start();
    await harness.caughtUp();
    for (const [i, event] of shuffled(late, 11).entries()) {
      await harness.publisher.publish(event);
      if (i % 5 === 0) await harness.publishCopy(event, 1);
    }
    await harness.caughtUp();
    expect(await httpAnswers(service)).toEqual(expected);
    const counters = harness.service === undefined ? undefined : ((await (await fetch(`${harness.service.http?.url ?? ''}/status`)).json()) as { events: number });
    expect(counters?.events).toBe(history.length);
    expect(unfitOnly(lastVerdicts(await harness.fitnessChanges()))).toEqual(expectedVerdicts(history));
  });

  it('answers 404 for an unknown node, peer or channel and 400 for bad input, over HTTP and NATS', async () => {
    const service = await harness.start();
    await harness.publishAll(history);
    await harness.caughtUp();
    const base = service.http?.url ?? '';
    const get = async (path: string): Promise<{ status: number; body: { error?: { code: string; message: string; field?: string } } }> => {
      const response = await fetch(`${base}${path}`);
      return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string; field?: string } } };
    };
    expect(await get(`/nodes/${UNKNOWN_NODE}/peers`)).toEqual({
      status: 404,
      body: { error: { code: 'NODE_NOT_FOUND', message: `node ${UNKNOWN_NODE} not found in fitness store` } },
    });
    const stranger: Pubkey = `02${'9'.repeat(64)}`;
    expect(await get(`/nodes/${NODE_A}/peers/${stranger}`)).toEqual({
      status: 404,
      body: { error: { code: 'PEER_NOT_FOUND', message: `peer ${stranger} not found in fitness store` } },
    });
    expect(await get(`/nodes/${NODE_A}/channels/${C4}`)).toEqual({
      status: 404,
      body: { error: { code: 'CHANNEL_NOT_FOUND', message: `channel ${C4} not found in fitness store` } },
    });
    expect(await get(`/nodes/not-a-key/peers`)).toMatchObject({ status: 400, body: { error: { code: 'INVALID_QUERY', field: 'nodeId' } } });
    expect(await get(`/nodes/${NODE_A}/peers?windowMs=-5`)).toMatchObject({ status: 400, body: { error: { field: 'windowMs' } } });
    expect(await get(`/nodes/${NODE_A}/peers?at=yesterday`)).toMatchObject({ status: 400, body: { error: { field: 'at' } } });

    const ask = async (name: string, payload: string): Promise<unknown> =>
      (await harness.nats.connection.request(harness.nats.topology.querySubject('chanfitness', name), payload, { timeout: 5_000 })).json();
    expect(await ask('peer', JSON.stringify({ nodeId: NODE_A, peer: stranger }))).toEqual({
      ok: false,
      status: 404,
      error: { code: 'PEER_NOT_FOUND', message: `peer ${stranger} not found in fitness store` },
    });
    expect(await ask('channel', '{not json')).toMatchObject({ ok: false, status: 400, error: { code: 'INVALID_QUERY' } });
    expect(await ask('peers', JSON.stringify({ nodeId: NODE_B, limit: 1 }))).toMatchObject({ ok: true, result: { total: 3, peers: [{ rank: 1 }] } });
  });

  it('publishes PeerFitnessChanged for a peer crossing a threshold and back, with a deterministic id and its cause', async () => {
    const service = await harness.start();
    // Up to the snapshot at 8 h: the vanishing peer has been offline for 3 h.
    const snapshotAt = history.findIndex((e) => e.type === 'NodeStateSnapshot');
    await harness.publishAll(history.slice(0, snapshotAt + 1));
    await harness.caughtUp();
    const before = await harness.fitnessChanges();
    const vanishingUnfit = before.filter((c) => c.data.peer === VANISHING);
    expect(vanishingUnfit.map((c) => c.data)).toEqual([
      {
        peer: VANISHING,
        fit: false,
        reasons: ['LOW_UPTIME'],
        previousReasons: [],
        flapCount: 1,
        maxFlapCount: 5,
        uptimeRatio: 0,
        minUptimeRatio: 0.5,
        uptimeWindowMs: 3_600_000,
        openChannels: 1,
      },
    ]);
    expect(vanishingUnfit[0]?.occurredAt).toBe(history[snapshotAt]?.occurredAt);
    expect(vanishingUnfit[0]?.causationId).toBe(history[snapshotAt]?.id);
    // Its channel closes at 10 h: nothing left to hold against it.
    await harness.publishAll(history.slice(snapshotAt + 1));
    await harness.caughtUp();
    const changes = await harness.fitnessChanges();
    expect(changes.filter((c) => c.data.peer === VANISHING).at(-1)?.data).toMatchObject({ fit: true, reasons: [], previousReasons: ['LOW_UPTIME'], openChannels: 0 });
    const flappy = changes.filter((c) => c.nodeId === NODE_A && c.data.peer === FLAPPY);
    expect(flappy.length).toBeGreaterThan(0);
    const firstFlapping = flappy.find((c) => c.data.reasons.includes('FLAPPING'));
    expect(firstFlapping).toMatchObject({ type: 'PeerFitnessChanged', data: { fit: false, maxFlapCount: 5 } });
    expect(firstFlapping?.data.flapCount).toBeGreaterThan(5);
    // Caused by an event about the peer (which one depends on how deliveries were batched).
    const aboutFlappy = history.filter((e) => e.nodeId === NODE_A && (e.type === 'NodeStateSnapshot' || e.data.peer === FLAPPY)).map((e) => e.id);
    expect(aboutFlappy).toContain(firstFlapping?.causationId);
    // Node B's peers were cut off by B's own outage, which is not held against them.
    expect(changes.filter((c) => c.nodeId === NODE_B && c.data.reasons.includes('LOW_UPTIME') && Date.parse(c.occurredAt) < END - 6 * 3_600_000)).toEqual([]);
    const subjects = new Set(changes.map((c) => harness.nats.topology.derivedSubject('chanfitness', c.nodeId, c.type)));
    expect([...subjects].every((s) => s.includes('.drv.chanfitness.'))).toBe(true);
    await service.stop();
    harness.service = undefined;
  });

  it('judges silent peers again on a sweep: one that went offline and stays silent turns LOW_UPTIME', async () => {
    const service = await harness.start();
    await harness.publishAll(history);
    // The steady peer drops at the end of the history and says nothing more.
    await harness.publisher.publish(offline(NODE_A, STEADY, END));
    await harness.caughtUp();
    const before = await harness.fitnessChanges();
    expect(before.filter((c) => c.data.peer === STEADY)).toEqual([]);
    const sweep = service.http?.app.get(FitnessSweep);
    if (sweep === undefined) throw new Error('no sweep provider');
    harness.clock.set(END + 2 * 3_600_000 + 1_234);
    expect(await sweep.sweep()).toBeGreaterThan(0);
    const swept = (await harness.fitnessChanges()).slice(before.length);
    const steady = swept.filter((c) => c.nodeId === NODE_A && c.data.peer === STEADY);
    expect(steady).toHaveLength(1);
    expect(steady[0]).toMatchObject({
      occurredAt: new Date(END + 2 * 3_600_000).toISOString(),
      causationId: null,
      data: { fit: false, reasons: ['LOW_UPTIME'], uptimeRatio: 0 },
    });
    // The same period again: nothing new to say.
    expect(await sweep.sweep()).toBe(0);
    expect(await harness.fitnessChanges()).toHaveLength(before.length + swept.length);
  });
});
