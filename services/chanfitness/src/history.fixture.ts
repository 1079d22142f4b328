import type { ChannelPoint, Pubkey } from '@lnfleet/contracts';
import { channelPoint, closed, offline, online, opened, pubkey, snapshot } from './fitness/events.fixture.js';
import { HOUR, MINUTE, type FitnessEvent } from './fitness/index.js';

/*
 * A scripted fleet history for the chanfitness integration tests and benchmarks: two nodes with
 * opens, closes, flaps, a reconnect snapshot and an outage of our own node, and the queries to
 * ask about it. Times are fixed, ids deterministic, so every run publishes the same facts.
 */

/** T0 is when the history starts. */
export const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);

/** NODE_A is a node with steady, flappy, vanishing and silent peers. */
export const NODE_A: Pubkey = pubkey(0xa1, '03');
/** NODE_B is a node that loses all of its peers at once (its own outage). */
export const NODE_B: Pubkey = pubkey(0xb1, '03');
/** UNKNOWN_NODE has no events at all. */
export const UNKNOWN_NODE: Pubkey = pubkey(0xc1, '03');

export const STEADY = pubkey(0x01);
export const FLAPPY = pubkey(0x02);
export const VANISHING = pubkey(0x03);
export const SILENT = pubkey(0x04);
export const STRANGER = pubkey(0x05);
export const B_PEERS: readonly Pubkey[] = [pubkey(0x11), pubkey(0x12), pubkey(0x13)];

export const C1 = channelPoint(1);
export const C2 = channelPoint(2);
export const C3 = channelPoint(3);
export const C4 = channelPoint(4);
export const C5 = channelPoint(5);
export const B_CHANNELS: readonly ChannelPoint[] = [channelPoint(11), channelPoint(12), channelPoint(13)];

const at = (hours: number, minutes = 0): number => T0 + hours * HOUR + minutes * MINUTE;

/** scriptedHistory returns the history in the order it happened. */
export function scriptedHistory(): FitnessEvent[] {
  const a: FitnessEvent[] = [
    online(NODE_A, STEADY, at(0)),
    online(NODE_A, FLAPPY, at(0)),
    online(NODE_A, VANISHING, at(0)),
    online(NODE_A, STRANGER, at(0, 5)),
    opened(NODE_A, STEADY, C1, at(0, 1)),
    opened(NODE_A, FLAPPY, C2, at(0, 2)),
    opened(NODE_A, VANISHING, C3, at(0, 3)),
    opened(NODE_A, STEADY, C4, at(0, 4)),
    offline(NODE_A, FLAPPY, at(1)),
    online(NODE_A, FLAPPY, at(1, 10)),
    offline(NODE_A, FLAPPY, at(2)),
    online(NODE_A, FLAPPY, at(2, 30)),
    offline(NODE_A, FLAPPY, at(3)),
    online(NODE_A, FLAPPY, at(3, 5)),
    offline(NODE_A, FLAPPY, at(4)),
    online(NODE_A, FLAPPY, at(4, 1)),
    offline(NODE_A, VANISHING, at(5)),
    closed(NODE_A, STEADY, C4, at(6)),
    offline(NODE_A, STEADY, at(7)),
    online(NODE_A, STEADY, at(7, 30)),
    snapshot(NODE_A, [[STEADY, C1], [FLAPPY, C2], [VANISHING, C3]], [STEADY, FLAPPY, STRANGER], at(8)),
    opened(NODE_A, SILENT, C5, at(9)),
    closed(NODE_A, VANISHING, C3, at(10)),
  ];
  const b: FitnessEvent[] = [
    ...B_PEERS.map((peer) => online(NODE_B, peer, at(0))),
    ...B_PEERS.map((peer, i) => opened(NODE_B, peer, B_CHANNELS[i] ?? C1, at(0, 10 + i))),
    // Our node B drops off: all three peers go within a minute, and come back an hour later.
    ...B_PEERS.map((peer, i) => offline(NODE_B, peer, at(2, i * 0.25))),
    ...B_PEERS.map((peer, i) => online(NODE_B, peer, at(3, i))),
    offline(NODE_B, B_PEERS[0] ?? STEADY, at(6)),
  ];
  return [...a, ...b];
}

/** QUERY_INSTANTS are the instants the tests ask about: early, mid-flapping, after closes, the end. */
export const QUERY_INSTANTS: readonly number[] = [at(0, 30), at(2, 15), at(6, 30), at(12)];

/** END is the clock's time in the tests (queries without `at`). */
export const END = at(12);

/** QuerySpec is one query of the test matrix: its kind and its input (as the APIs take it). */
export interface QuerySpec {
  readonly kind: 'channel' | 'peer' | 'peers';
  readonly input: Readonly<Record<string, string | number>>;
}

/** scriptedQueries lists every query the tests compare: known and unknown nodes, peers and channels. */
export function scriptedQueries(): QuerySpec[] {
  const queries: QuerySpec[] = [];
  const channels: [Pubkey, ChannelPoint][] = [
    [NODE_A, C1],
    [NODE_A, C2],
    [NODE_A, C3],
    [NODE_A, C4],
    [NODE_A, C5],
    ...B_CHANNELS.map((c): [Pubkey, ChannelPoint] => [NODE_B, c]),
    [UNKNOWN_NODE, C1],
  ];
  const peers: [Pubkey, Pubkey][] = [
    [NODE_A, STEADY],
    [NODE_A, FLAPPY],
    [NODE_A, VANISHING],
    [NODE_A, SILENT],
    [NODE_A, STRANGER],
    ...B_PEERS.map((p): [Pubkey, Pubkey] => [NODE_B, p]),
    [UNKNOWN_NODE, STEADY],
  ];
  for (const instant of QUERY_INSTANTS) {
    const atIso = new Date(instant).toISOString();
    for (const [nodeId, channelPoint] of channels) queries.push({ kind: 'channel', input: { nodeId, channelPoint, at: atIso } });
    for (const [nodeId, peer] of peers) {
      queries.push({ kind: 'peer', input: { nodeId, peer, at: atIso } });
      queries.push({ kind: 'peer', input: { nodeId, peer, at: atIso, windowMs: HOUR } });
    }
    for (const nodeId of [NODE_A, NODE_B, UNKNOWN_NODE]) queries.push({ kind: 'peers', input: { nodeId, at: atIso } });
  }
  // Without `at`: answered at the clock's time.
  queries.push({ kind: 'peers', input: { nodeId: NODE_A } });
  queries.push({ kind: 'channel', input: { nodeId: NODE_A, channelPoint: C1 } });
  return queries;
}
