import { FixedClock } from '../clock.js';
import { channelPoint, offline, online, opened, pubkey } from '../fitness/events.fixture.js';
import {
  ChannelNotFoundError,
  DEFAULT_FITNESS_THRESHOLDS,
  foldLog,
  HOUR,
  InvalidWindowError,
  loggedEvent,
  MINUTE,
  NodeNotFoundError,
  PeerNotFoundError,
  type FitnessEvent,
} from '../fitness/index.js';
import type { FitnessProjection, NodeState } from '../projection/fitness-projection.js';
import { errorAnswer, FitnessQueries, InvalidQueryError } from './fitness-queries.js';

const t0 = Date.UTC(2026, 0, 1);
const node = pubkey(1, '03');
const alice = pubkey(2);
const bob = pubkey(3);
const chanA = channelPoint(1);
const chanB = channelPoint(2);

const events: FitnessEvent[] = [
  online(node, alice, t0),
  opened(node, alice, chanA, t0),
  opened(node, bob, chanB, t0),
  offline(node, alice, t0 + HOUR),
  online(node, alice, t0 + HOUR + 30 * MINUTE),
];

/** InMemoryStates answers nodeState by folding the events above, as the projection does from its tables. */
class InMemoryStates {
  readonly asked: { nodeId: string; at: number }[] = [];
  nodeState(nodeId: string, at: number): Promise<NodeState> {
    this.asked.push({ nodeId, at });
    if (nodeId !== node) return Promise.reject(new NodeNotFoundError(nodeId));
    const log = events.map((e, i) => loggedEvent(e, i + 1)).filter((e) => e.at <= at);
    return Promise.resolve({ nodeId, state: foldLog(log), version: { nodeId, version: log.length, events: log.length, lastOccurredMs: at, lastSequence: log.length } });
  }
}

function queries(clockAt = t0 + 2 * HOUR): { api: FitnessQueries; states: InMemoryStates } {
  const states = new InMemoryStates();
  return { api: new FitnessQueries(states as unknown as FitnessProjection, new FixedClock(clockAt), DEFAULT_FITNESS_THRESHOLDS), states };
}

describe('FitnessQueries', () => {
  it('answers a channel query with lifetime, uptime and ratio, finding the channel’s peer', async () => {
    const { api } = queries();
    await expect(api.channel({ nodeId: node, channelPoint: chanA })).resolves.toEqual({
      nodeId: node,
      channelPoint: chanA,
      peer: alice,
      at: new Date(t0 + 2 * HOUR).toISOString(),
      lifetimeMs: 2 * HOUR,
      uptimeMs: HOUR + 30 * MINUTE,
      ownOutageMs: 0,
      uptimeRatio: 0.75,
    });
  });

  it('answers as of `at` when given, and at the clock otherwise', async () => {
    const { api, states } = queries();
    const early = await api.channel({ nodeId: node, channelPoint: chanA, at: new Date(t0 + HOUR).toISOString() });
    expect(early).toMatchObject({ lifetimeMs: HOUR, uptimeMs: HOUR, uptimeRatio: 1 });
    await api.channel({ nodeId: node, channelPoint: chanA });
    expect(states.asked.map((a) => a.at)).toEqual([t0 + HOUR, t0 + 2 * HOUR]);
  });

  it('answers a peer query with lnd’s flap count, the cooled count, last flap and uptime over the window', async () => {
    const { api } = queries();
    const answer = await api.peer({ nodeId: node, peer: alice, windowMs: String(HOUR) });
    expect(answer).toMatchObject({
      flapCount: 2,
      cooledFlapCount: 2,
      lastFlap: new Date(t0 + HOUR + 30 * MINUTE).toISOString(),
      uptime: { windowMs: HOUR, observedMs: HOUR, onlineMs: 30 * MINUTE, ratio: 0.5 },
      fit: false,
      reasons: ['LOW_UPTIME'],
      channels: [chanA],
    });
  });

  it('ranks peers and cuts the list at the limit', async () => {
    const { api } = queries();
    const all = await api.peers({ nodeId: node });
    expect(all.total).toBe(2);
    expect(all.peers.map((p) => [p.rank, p.peer])).toEqual([
      [1, alice],
      [2, bob],
    ]);
    expect((await api.peers({ nodeId: node, limit: '1' })).peers).toHaveLength(1);
  });

  it.each<[string, unknown, string]>([
    ['a malformed node id', { nodeId: 'nope', channelPoint: chanA }, 'nodeId'],
    ['a malformed channel point', { nodeId: node, channelPoint: 'x:1' }, 'channelPoint'],
    ['a time without an offset', { nodeId: node, channelPoint: chanA, at: '2026-01-01T00:00:00' }, 'at'],
    ['no object at all', 'channel', '(query)'],
  ])('rejects %s, naming the field', async (_label, input, field) => {
    const { api } = queries();
    await expect(api.channel(input)).rejects.toMatchObject({ name: 'InvalidQueryError', field });
  });

  it('throws the core’s not-found errors for unknown node, peer and channel', async () => {
    const { api } = queries();
    await expect(api.peers({ nodeId: pubkey(9, '03') })).rejects.toThrow(NodeNotFoundError);
    await expect(api.peer({ nodeId: node, peer: pubkey(9) })).rejects.toThrow(PeerNotFoundError);
    await expect(api.channel({ nodeId: node, channelPoint: channelPoint(9) })).rejects.toThrow(ChannelNotFoundError);
  });
});

describe('errorAnswer', () => {
  it.each<[string, unknown, number, string]>([
    ['unknown node', new NodeNotFoundError(node), 404, 'NODE_NOT_FOUND'],
    ['unknown peer', new PeerNotFoundError(alice), 404, 'PEER_NOT_FOUND'],
    ['unknown channel', new ChannelNotFoundError(chanA), 404, 'CHANNEL_NOT_FOUND'],
    ['a bad window', new InvalidWindowError('end time 1 is before start time 2'), 400, 'INVALID_WINDOW'],
    ['bad input', new InvalidQueryError('peer', 'must be a pubkey'), 400, 'INVALID_QUERY'],
    ['anything else', new Error('connection terminated'), 500, 'INTERNAL'],
  ])('answers %s with %i %s', (_label, error, status, code) => {
    const answer = errorAnswer(error);
    expect(answer.status).toBe(status);
    expect(answer.body.error.code).toBe(code);
  });

  it('keeps internals out of 500 answers and names the field of a bad input', () => {
    expect(errorAnswer(new Error('password=hunter2')).body.error.message).not.toContain('hunter2');
    expect(errorAnswer(new InvalidQueryError('windowMs', 'must be positive')).body.error).toEqual({
      code: 'INVALID_QUERY',
      message: 'invalid query: windowMs: must be positive',
      field: 'windowMs',
    });
  });
});
