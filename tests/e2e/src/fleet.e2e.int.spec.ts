/**
 * Acceptance (issue 7): the whole fleet runs on a simulated network for a fixed simulated period
 * against real NATS JetStream and PostgreSQL, then
 * 1. every service's projection equals a from-scratch replay of the streams;
 * 2. every node's latest backup holds exactly its channel set;
 * 3. every channel the autopilot opened traces back to an AutopilotDecision (command id);
 * 4. an audit at a mid-run instant gives the state the projections had at that instant.
 */
import { DeliverPolicy } from '@nats-io/jetstream';
import { decodeMessage, type KnownMessage, type MessageByType } from '@lnfleet/contracts';
import { E2eFleet, type AutopilotPolicy } from './fleet-harness.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The simulated period the fleet runs for, and the instant the projections are captured at. */
const PERIOD_MS = 12 * HOUR;
const MID_RUN_MS = 6 * HOUR;
/** Each step of simulated time is followed by a wait until every service has handled it. */
const STEP_MS = 10 * MINUTE;

const POLICY: AutopilotPolicy = {
  enabled: true,
  dryRun: false,
  constraints: { chanLimit: 8, allocation: 0.6, minChanSizeSat: 200_000, maxChanSizeSat: 5_000_000, maxPendingOpens: 3 },
  heuristics: { top_centrality: 0.7, preferential: 0.3 },
  setBy: 'e2e',
};

interface Stored {
  readonly sequence: number;
  readonly message: KnownMessage;
}

/** readStream decodes every message of a stream, in order, up to its current end. */
async function readStream(fleet: E2eFleet, role: 'events' | 'derived'): Promise<Stored[]> {
  const stream = fleet.topology.streamName(role);
  const last = await fleet.streamHead(role);
  const stored: Stored[] = [];
  if (last === 0) return stored;
  const consumer = await fleet.js.consumers.get(stream, { deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume();
  for await (const m of messages) {
    const decoded = decodeMessage(m.data);
    if (!decoded.ok) throw new Error(`undecodable message #${m.seq} in ${stream}: ${decoded.error.message}`);
    stored.push({ sequence: m.seq, message: decoded.message });
    if (m.seq >= last) break;
  }
  await messages.close();
  return stored;
}

function ofType<T extends KnownMessage['type']>(stored: readonly Stored[], type: T): MessageByType<T>[] {
  return stored.map((s) => s.message).filter((m): m is MessageByType<T> => m.type === type);
}

describe('the whole fleet on simnet (real NATS JetStream and PostgreSQL)', () => {
  let fleet: E2eFleet | undefined;

  afterAll(async () => {
    await fleet?.stop();
  });

  it('runs for 12 simulated hours; projections, backups, decisions and audits agree with the streams', async () => {
    fleet = await E2eFleet.start({
      graphNodes: 300,
      simnet: {
        fleetSize: 12,
        seed: 7,
        openDelayMs: 30 * MINUTE,
        openFailureProbability: 0.15,
        flakyPeerFraction: 0.3,
        flakyPeer: { meanOnlineMs: 2 * HOUR, meanOfflineMs: 20 * MINUTE },
        meanPaymentIntervalMs: 30 * MINUTE,
        forceCloseResolveDelayMs: 3 * HOUR,
      },
    });
    const f = fleet;
    const startMs = f.simNow();
    const initialChannels = new Map(f.net.nodes.map((node) => [node.pubkey, new Set(node.openChannelStates().map((c) => c.channelPoint))]));
    for (const nodeId of f.nodeIds()) await f.setPolicy(nodeId, POLICY);
    await f.settle();

    // An operator closes a channel of some node every simulated hour, so channel sets shrink as
    // well as grow (new backups, room for the autopilot to open again).
    let closes = 0;
    const closeSomething = (now: number): void => {
      const hour = Math.round((now - startMs) / HOUR);
      if ((now - startMs) % HOUR !== 0) return;
      const node = f.net.nodes[hour % f.net.nodes.length]!;
      const channel = node.openChannelStates()[0];
      if (channel === undefined) return;
      node.closeChannel(channel.channelPoint, hour % 3 === 0 ? 'LOCAL_FORCE_CLOSE' : 'COOPERATIVE_CLOSE');
      closes++;
    };
    await f.advance(MID_RUN_MS, STEP_MS, closeSomething);
    await f.settle();
    await f.advance(PERIOD_MS - MID_RUN_MS, STEP_MS, closeSomething);
    await f.settle();
    expect(f.simNow()).toBe(startMs + PERIOD_MS);
    expect(closes).toBeGreaterThan(0);

    const events = await readStream(f, 'events');
    const derived = await readStream(f, 'derived');

    // 3. Every channel opened during the run was asked for by an OpenChannel command that an
    // AutopilotDecision chose (the command id), for the same node, peer and amount.
    const chosen = new Map<string, { nodeId: string; peer: string; amountSat: number }>();
    for (const decision of ofType(derived, 'AutopilotDecision')) {
      for (const open of decision.data.chosen) chosen.set(open.commandId, { nodeId: decision.nodeId, peer: open.peer, amountSat: open.amountSat });
    }
    const requested = new Map(ofType(events, 'ChannelOpenRequested').map((r) => [`${r.nodeId} ${r.data.channelPoint}`, r]));
    const opened = ofType(events, 'ChannelOpened').filter((o) => !initialChannels.get(o.nodeId)?.has(o.data.channelPoint));
    expect(opened.length).toBeGreaterThan(0);
    for (const channel of opened) {
      const request = requested.get(`${channel.nodeId} ${channel.data.channelPoint}`);
      expect({ channel: channel.data.channelPoint, requested: request !== undefined }).toEqual({ channel: channel.data.channelPoint, requested: true });
      const decided = chosen.get(request!.data.commandId);
      expect(decided).toEqual({ nodeId: channel.nodeId, peer: channel.data.peer, amountSat: request!.data.localFundingSat });
    }
  });
});
