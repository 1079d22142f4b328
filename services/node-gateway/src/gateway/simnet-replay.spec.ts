import type { KnownMessage } from '@lnfleet/contracts';
import type { LightningNode } from '../node/lightning-node.js';
import { SimGraph } from '../simnet/sim-graph.js';
import { Simnet } from '../simnet/simnet.js';
import { syntheticGraph, syntheticPubkey } from '../simnet/synthetic-graph.js';
import { evolvePublished, initialPublishedState, type PublishedState } from './published-state.js';
import { reconcile, type CurrentNodeState } from './reconcile.js';
import { translateNotification } from './translate.js';

const HOUR = 3_600_000;

async function currentState(node: LightningNode): Promise<CurrentNodeState> {
  return {
    info: await node.getInfo(),
    openChannels: await node.listChannels(),
    pendingChannels: await node.pendingChannels(),
    onlinePeers: await node.onlinePeers(),
    balance: await node.walletBalance(),
    closingChannels: await node.closingChannels(),
    closedChannels: await node.closedChannels(),
  };
}

describe('simnet through the gateway translation', () => {
  it('a 100-node run of simulated hours yields valid events whose replay gives every node final channels, peers and balance', async () => {
    const net = Simnet.create(new SimGraph(syntheticGraph({ nodes: 600, channelsPerNode: 3, seed: 3 })), {
      fleetSize: 100,
      seed: 8,
      openDelayMs: HOUR,
      openFailureProbability: 0.2,
      flakyPeerFraction: 0.3,
      forceCloseResolveDelayMs: 6 * HOUR,
    });
    const log = new Map<string, KnownMessage[]>();
    // The gateway connects: reconcile from nothing, then follow the notifications.
    for (const node of net.nodes) {
      const first = reconcile(node.pubkey, initialPublishedState(), await currentState(node), net.clock.now());
      const events = [...first.missed, first.snapshot];
      log.set(node.pubkey, events);
      node.subscribe((n) => events.push(...translateNotification(node.pubkey, n)));
    }
    for (let hour = 0; hour < 12; hour++) {
      for (const [i, node] of net.nodes.entries()) {
        if ((i + hour) % 4 === 0) {
          await node.openChannel({ peer: syntheticPubkey(3, (i * 13 + hour) % 600), peerAddresses: [], localFundingSat: 250_000, pushSat: 1_000, targetConf: 3, minConfs: 1, private: false });
        }
        const channels = node.openChannelStates();
        if ((i + hour) % 9 === 0 && channels.length > 0) node.closeChannel(channels[0]!.channelPoint, hour % 2 === 0 ? 'LOCAL_FORCE_CLOSE' : 'COOPERATIVE_CLOSE');
      }
      net.advance(HOUR);
    }
    let total = 0;
    for (const node of net.nodes) {
      const events = log.get(node.pubkey)!;
      total += events.length;
      // Replay only the facts (drop the first snapshot): channel events, peer events, balances.
      const replayed = events.filter((e) => e.type !== 'NodeStateSnapshot').reduce<PublishedState>(evolvePublished, initialPublishedState());
      const expectedChannels = Object.fromEntries([
        ...node.pendingChannelPoints().map((p) => [p, 'pending'] as const),
        ...node.openChannelStates().map((c) => [c.channelPoint, 'open'] as const),
      ]);
      expect(replayed.channels).toEqual(expectedChannels);
      expect(replayed.balance).toEqual(node.balance());
      // Peers only through events after the first snapshot, which set the starting point.
      const fromSnapshot = events.reduce<PublishedState>(evolvePublished, initialPublishedState());
      expect(fromSnapshot.onlinePeers).toEqual(node.onlinePeerList());
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    }
    expect(total).toBeGreaterThan(2_000);
  });
});
