/**
 * Test fixture: a deterministic, busy history of a small fleet for replay tests: every node has a
 * balance, channels to several peers that flap online and offline, a close, later balances; some
 * nodes have an autopilot policy (on the derived stream).
 */
import {
  AutopilotPolicySet,
  BalanceChanged,
  ChannelClosed,
  ChannelOpened,
  createMessage,
  deterministicId,
  PeerOffline,
  PeerOnline,
  type MessageDefinition,
  type MessageFields,
  type MessageOf,
} from '@lnfleet/contracts';
import type { ScriptedMessage } from './scripted-fleet.fixture.js';

/** fleetNode is managed node `i` of the history. */
export const fleetNode = (i: number): string => `03${(0xf000 + i).toString(16).padStart(64, '0')}`;
/** fleetPeer is peer `j` (shared by the nodes, as popular peers are). */
export const fleetPeer = (j: number): string => `02${(0xe000 + j).toString(16).padStart(64, '0')}`;
/** fleetChannel is node i's channel to peer j. */
export const fleetChannel = (i: number, j: number, round = 0): string => `${(i * 1_000 + j + round * 100).toString(16).padStart(64, 'c')}:0`;

/** HistoryOptions size the history. */
export interface HistoryOptions {
  readonly nodes: number;
  readonly peers: number;
  readonly flaps: number;
  /** startMs is when the history begins; one step is a second. */
  readonly startMs: number;
  /** round makes ids and channel points distinct from another history's. */
  readonly round?: number;
}

/** fleetHistory builds the history in publishing order. */
export function fleetHistory(options: HistoryOptions): ScriptedMessage[] {
  const round = options.round ?? 0;
  const script: ScriptedMessage[] = [];
  let step = 0;
  const at = <D extends MessageDefinition>(definition: D, nodeId: string, data: MessageFields<D>['data']): MessageOf<D> => {
    step++;
    return createMessage(definition, {
      id: deterministicId(definition.type, nodeId, round, step),
      nodeId,
      occurredAt: new Date(options.startMs + step * 1_000).toISOString(),
      causationId: null,
      data,
    });
  };
  const balance = (nodeId: string, confirmedSat: number) =>
    at(BalanceChanged, nodeId, { confirmedSat, unconfirmedSat: 0, lockedSat: 0, channelLocalSat: 0, channelRemoteSat: 0 });
  for (let i = 0; i < options.nodes; i++) {
    const nodeId = fleetNode(i);
    script.push({ stream: 'events', message: balance(nodeId, 10_000_000 + i * 1_000 + round) });
    if (i % 2 === 0) {
      script.push({
        stream: 'derived',
        message: at(AutopilotPolicySet, nodeId, {
          enabled: true,
          dryRun: i % 4 === 2,
          constraints: { chanLimit: 3, allocation: 0.5, minChanSizeSat: 100_000, maxChanSizeSat: 1_000_000, maxPendingOpens: 2 },
          heuristics: { preferential: 1 },
          setBy: 'replay-test',
        }),
      });
    }
    for (let j = 0; j < options.peers; j++) {
      script.push({
        stream: 'events',
        message: at(ChannelOpened, nodeId, {
          channelPoint: fleetChannel(i, j, round),
          chanId: String(100_000 + i * 1_000 + j + round * 100),
          peer: fleetPeer(j),
          peerAddresses: [],
          capacitySat: 500_000 + j * 1_000,
          localBalanceSat: 400_000,
          remoteBalanceSat: 100_000 + j * 1_000,
          initiator: 'LOCAL',
          private: false,
          commitmentType: 'ANCHORS',
          active: true,
        }),
      });
    }
  }
  for (let f = 0; f < options.flaps; f++) {
    for (let i = 0; i < options.nodes; i++) {
      for (let j = 0; j < options.peers; j++) {
        if ((i + j + f) % 3 === 0) continue;
        const definition = f % 2 === 0 ? PeerOffline : PeerOnline;
        script.push({ stream: 'events', message: at(definition, fleetNode(i), { peer: fleetPeer(j) }) });
      }
    }
  }
  for (let i = 0; i < options.nodes; i++) {
    script.push({
      stream: 'events',
      message: at(ChannelClosed, fleetNode(i), {
        channelPoint: fleetChannel(i, 0, round),
        chanId: String(100_000 + i * 1_000 + round * 100),
        peer: fleetPeer(0),
        capacitySat: 500_000,
        closeType: 'COOPERATIVE_CLOSE',
        closingTxid: null,
        closeHeight: 900_000,
        settledBalanceSat: 400_000,
        openInitiator: 'LOCAL',
        closeInitiator: 'REMOTE',
      }),
    });
    script.push({ stream: 'events', message: balance(fleetNode(i), 10_400_000 + i * 1_000 + round) });
  }
  return script;
}
