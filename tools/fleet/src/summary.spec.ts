import { newFleetState, observe, parseEnvelope, recordError, type Envelope, type FleetState } from './state.js';
import { fleetWorking, renderSummary, summaryFigures, summaryLine } from './summary.js';

const T0 = Date.UTC(2026, 10, 22, 1, 0, 0);
const NODE_A = `02${'a'.repeat(64)}`;
const NODE_B = `03${'b'.repeat(64)}`;
const PEER_1 = `02${'1'.repeat(64)}`;
const PEER_2 = `02${'2'.repeat(64)}`;

function message(type: string, nodeId: string, data: Record<string, unknown>, occurredAt = new Date(T0).toISOString()): Envelope {
  return { type, nodeId, occurredAt, data };
}

function fleet(): FleetState {
  return newFleetState(T0, 2, { nats: 'nats://127.0.0.1:4222', postgres: 'embedded (PGlite)' });
}

describe('parseEnvelope', () => {
  it('reads an envelope and refuses anything else', () => {
    expect(parseEnvelope(JSON.stringify({ id: 'x', type: 'PeerOnline', nodeId: NODE_A, occurredAt: 'now', data: { peer: PEER_1 } }))).toEqual({
      type: 'PeerOnline',
      nodeId: NODE_A,
      occurredAt: 'now',
      data: { peer: PEER_1 },
    });
    expect(parseEnvelope('not json')).toBeUndefined();
    expect(parseEnvelope('[1]')).toBeUndefined();
    expect(parseEnvelope(JSON.stringify({ type: 'PeerOnline', nodeId: NODE_A, occurredAt: 'now' }))).toBeUndefined();
  });
});

describe('the fleet state', () => {
  it('counts a channel as opened by the autopilot only once the channel its command requested is open', () => {
    const state = fleet();
    observe(state, message('OpenChannel', NODE_A, { peer: PEER_1 }), T0);
    observe(state, message('ChannelOpenRequested', NODE_A, { commandId: 'c1', peer: PEER_1, localFundingSat: 100_000, channelPoint: 'f1:0' }), T0);
    observe(state, message('ChannelOpened', NODE_A, { channelPoint: 'other:1', peer: PEER_2 }), T0);
    expect(summaryFigures(state, T0).channels).toEqual({ open: 1, openedByAutopilot: 0, requestedByAutopilot: 1, openFailures: 0 });
    observe(state, message('ChannelOpened', NODE_A, { channelPoint: 'f1:0', peer: PEER_1 }), T0);
    observe(state, message('ChannelOpenFailed', NODE_B, { commandId: 'c2' }), T0);
    expect(summaryFigures(state, T0).channels).toEqual({ open: 2, openedByAutopilot: 1, requestedByAutopilot: 1, openFailures: 1 });
    observe(state, message('ChannelClosed', NODE_A, { channelPoint: 'other:1' }), T0);
    expect(summaryFigures(state, T0).channels.open).toBe(1);
  });

  it('takes channels and online peers from a snapshot, then follows peer events and counts flaps', () => {
    const state = fleet();
    observe(state, message('NodeStateSnapshot', NODE_A, { openChannels: [{ channelPoint: 'a:0' }, { channelPoint: 'b:0' }], onlinePeers: [PEER_1, PEER_2] }), T0);
    observe(state, message('PeerOffline', NODE_A, { peer: PEER_1 }), T0);
    observe(state, message('PeerOnline', NODE_B, { peer: PEER_1 }), T0);
    const figures = summaryFigures(state, T0);
    expect(figures.nodes).toEqual({ configured: 2, reporting: 1, autopilotEnabled: 0 });
    expect(figures.channels.open).toBe(2);
    expect(figures.peers).toEqual({ online: 2, flaps: 1, fitnessChanges: 0 });
  });

  it('tracks enabled policies, decisions, fitness changes and backup versions', () => {
    const state = fleet();
    observe(state, message('AutopilotPolicySet', NODE_A, { enabled: true }), T0);
    observe(state, message('AutopilotPolicySet', NODE_B, { enabled: true }), T0);
    observe(state, message('AutopilotPolicySet', NODE_B, { enabled: false }), T0);
    observe(state, message('AutopilotDecision', NODE_A, {}), T0);
    observe(state, message('PeerFitnessChanged', NODE_A, {}), T0);
    observe(state, message('BackupStored', NODE_A, { version: 1 }), T0);
    observe(state, message('BackupStored', NODE_A, { version: 2 }), T0);
    observe(state, message('BackupStored', NODE_B, { version: 1 }), T0);
    const figures = summaryFigures(state, T0);
    expect(figures.nodes.autopilotEnabled).toBe(1);
    expect(figures.autopilot.decisions).toBe(1);
    expect(figures.peers.fitnessChanges).toBe(1);
    expect(figures.backups).toEqual({ stored: 3, nodesBackedUp: 2, maxVersion: 2 });
  });

  it('measures events per second over the last complete seconds and follows simulated time', () => {
    const state = fleet();
    for (let i = 0; i < 10; i++) observe(state, message('PeerOnline', NODE_A, { peer: PEER_1 }, new Date(T0 + 3_600_000 + i).toISOString()), T0 + 10_000 + i);
    for (let i = 0; i < 20; i++) observe(state, message('PeerOnline', NODE_A, { peer: PEER_1 }), T0 + 11_000 + i);
    // At T0+12.5 s the last five complete seconds hold 30 messages.
    const figures = summaryFigures(state, T0 + 12_500);
    expect(figures.eventsPerSecond).toBe(6);
    expect(figures.eventsTotal).toBe(30);
    expect(figures.simulatedTime).toBe(new Date(T0 + 3_600_009).toISOString());
    expect(figures.uptimeS).toBe(13);
  });
});

describe('the summary', () => {
  it('renders every figure the issue asks for, with "backup not ready" until the backup service is', () => {
    const state = fleet();
    observe(state, message('NodeStateSnapshot', NODE_A, { openChannels: [{ channelPoint: 'a:0' }], onlinePeers: [PEER_1] }), T0);
    observe(state, message('AutopilotPolicySet', NODE_A, { enabled: true }), T0);
    state.consumerLag = [
      { stream: 'LNFLEET_EVENTS', durable: 'autopilot-events', pending: 7, ackPending: 1 },
      { stream: 'LNFLEET_EVENTS', durable: 'chanfitness', pending: 0, ackPending: 0 },
    ];
    state.fitnessLeaders = [{ nodeId: NODE_A, peer: PEER_1, uptimeRatio: 0.9876, flapCount: 2 }];
    state.services['node-gateway'] = 'ready';
    const text = renderSummary(state, T0 + 65_000, 200).join('\n');
    expect(text).toContain('lnfleet  up 1m05s');
    expect(text).toContain('PostgreSQL embedded (PGlite)');
    expect(text).toContain('node-gateway ready | autopilot starting | chanfitness starting | backup starting');
    expect(text).toContain('nodes        1/2 reporting, autopilot enabled on 1');
    expect(text).toContain('channels     1 open; autopilot: 0 opened, 0 pending, 0 failed (0 decisions, 0 OpenChannel commands)');
    expect(text).toContain('peers        1 online, 0 went offline, 0 fitness verdicts changed');
    expect(text).toContain('backups      backup not ready');
    expect(text).toContain('consumer lag 8 message(s): autopilot-events 8');
    expect(text).toContain(`  ${PEER_1.slice(0, 12)}… (peer of ${NODE_A.slice(0, 12)}…)  uptime 98.8%, 2 flaps`);
    state.services.backup = 'ready';
    expect(renderSummary(state, T0, 200).join('\n')).toContain('backups      0 versions stored yet');
    observe(state, message('BackupStored', NODE_A, { version: 3 }), T0);
    expect(renderSummary(state, T0, 200).join('\n')).toContain('backups      1 versions stored for 1 nodes (latest version up to 3)');
  });

  it('says when every consumer is caught up, shows recent errors and cuts lines to the width', () => {
    const state = fleet();
    state.consumerLag = [{ stream: 'S', durable: 'd', pending: 0, ackPending: 0 }];
    recordError(state, 'a');
    recordError(state, 'b');
    recordError(state, 'c');
    recordError(state, 'd');
    const lines = renderSummary(state, T0, 40);
    expect(lines).toContain('consumer lag 0 message(s), all 1 consum…');
    expect(lines.slice(-3)).toEqual(['  b', '  c', '  d']);
    expect(lines.every((line) => line.length <= 40)).toBe(true);
  });

  it('says the fleet works once every node reports with the autopilot on, it opened a channel, a peer flapped, a backup is stored and nothing lags', () => {
    const state = fleet();
    const steps: [string, () => void][] = [
      ['both nodes report', () => {
        observe(state, message('NodeStateSnapshot', NODE_A, { openChannels: [], onlinePeers: [PEER_1] }), T0);
        observe(state, message('NodeStateSnapshot', NODE_B, { openChannels: [], onlinePeers: [PEER_2] }), T0);
      }],
      ['the autopilot is on for both', () => {
        observe(state, message('AutopilotPolicySet', NODE_A, { enabled: true }), T0);
        observe(state, message('AutopilotPolicySet', NODE_B, { enabled: true }), T0);
      }],
      ['it opened a channel', () => {
        observe(state, message('ChannelOpenRequested', NODE_A, { commandId: 'c1', peer: PEER_2, localFundingSat: 100_000, channelPoint: 'f1:0' }), T0);
        observe(state, message('ChannelOpened', NODE_A, { channelPoint: 'f1:0', peer: PEER_2 }), T0);
      }],
      ['a peer flapped', () => {
        observe(state, message('PeerOffline', NODE_B, { peer: PEER_2 }), T0);
      }],
      ['a backup is stored', () => {
        observe(state, message('BackupStored', NODE_A, { version: 1 }), T0);
      }],
      ['the consumers were looked at', () => (state.consumerLag = [{ stream: 'S', durable: 'd', pending: 2, ackPending: 0 }])],
    ];
    for (const [what, step] of steps) {
      expect({ before: what, working: fleetWorking(summaryFigures(state, T0)) }).toEqual({ before: what, working: false });
      step();
    }
    // Lagging still: not yet.
    expect(fleetWorking(summaryFigures(state, T0))).toBe(false);
    state.consumerLag = [{ stream: 'S', durable: 'd', pending: 0, ackPending: 0 }];
    expect(fleetWorking(summaryFigures(state, T0))).toBe(true);
  });

  it('has a one-line form for logs', () => {
    const state = fleet();
    expect(summaryLine(state, T0 + 5_000)).toBe(
      '[5s] nodes 0/2 autopilot 0; channels 0 (autopilot opened 0, pending 0); peers online 0 (flaps 0); backups not ready; events 0/s; lag 0',
    );
  });
});
