/**
 * The terminal summary, rendered from a FleetState. Pure: the dashboard decides where it goes
 * (redrawn in place on a terminal, one line at a time otherwise).
 */
import { SERVICES } from './plan.js';
import { eventsPerSecond, type FleetState } from './state.js';

/** SummaryFigures are the summary's numbers, also printed as JSON by the scripted mode. */
export interface SummaryFigures {
  readonly uptimeS: number;
  readonly simulatedTime: string | null;
  readonly nodes: { readonly configured: number; readonly reporting: number; readonly autopilotEnabled: number };
  readonly channels: { readonly open: number; readonly openedByAutopilot: number; readonly requestedByAutopilot: number; readonly openFailures: number };
  readonly autopilot: { readonly decisions: number; readonly openCommands: number };
  readonly peers: { readonly online: number; readonly flaps: number; readonly fitnessChanges: number };
  readonly backups: { readonly stored: number; readonly nodesBackedUp: number; readonly maxVersion: number };
  readonly eventsTotal: number;
  readonly eventsPerSecond: number;
  readonly consumerLag: { readonly total: number; readonly consumers: FleetState['consumerLag'] };
  readonly fitnessLeaders: FleetState['fitnessLeaders'];
  readonly services: FleetState['services'];
}

/** summaryFigures computes the numbers at wall time `nowMs`. */
export function summaryFigures(state: FleetState, nowMs: number): SummaryFigures {
  let open = 0;
  for (const set of state.channels.values()) open += set.size;
  let online = 0;
  for (const set of state.onlinePeers.values()) online += set.size;
  const versions = [...state.latestBackupVersion.values()];
  return {
    uptimeS: Math.max(0, Math.round((nowMs - state.startedAtMs) / 1000)),
    simulatedTime: state.simNowMs > 0 ? new Date(state.simNowMs).toISOString() : null,
    nodes: { configured: state.configuredNodes, reporting: state.nodesSeen.size, autopilotEnabled: state.policiesEnabled.size },
    channels: { open, openedByAutopilot: state.autopilotOpened.size, requestedByAutopilot: state.autopilotRequested.size, openFailures: state.openFailures },
    autopilot: { decisions: state.decisions, openCommands: state.openCommands },
    peers: { online, flaps: state.flaps, fitnessChanges: state.fitnessChanges },
    backups: { stored: state.backupsStored, nodesBackedUp: versions.length, maxVersion: versions.reduce((a, b) => Math.max(a, b), 0) },
    eventsTotal: state.eventsTotal,
    eventsPerSecond: Math.round(eventsPerSecond(state, nowMs) * 10) / 10,
    consumerLag: { total: state.consumerLag.reduce((sum, c) => sum + c.pending + c.ackPending, 0), consumers: state.consumerLag },
    fitnessLeaders: state.fitnessLeaders,
    services: state.services,
  };
}

/**
 * fleetWorking tells whether the figures show the whole fleet working: every configured node
 * reporting with the autopilot enabled, a channel the autopilot opened, a peer that went offline,
 * a backup stored, and every consumer caught up at the last look (there was one).
 */
export function fleetWorking(figures: SummaryFigures): boolean {
  const { nodes, channels, peers, backups, consumerLag } = figures;
  return (
    nodes.reporting === nodes.configured &&
    nodes.autopilotEnabled === nodes.configured &&
    channels.openedByAutopilot > 0 &&
    peers.flaps > 0 &&
    backups.stored > 0 &&
    consumerLag.consumers.length > 0 &&
    consumerLag.total === 0
  );
}

/** renderSummary is the summary as lines of at most `width` characters. */
export function renderSummary(state: FleetState, nowMs: number, width = 100): string[] {
  const f = summaryFigures(state, nowMs);
  const lines: string[] = [];
  const sim = f.simulatedTime === null ? 'not started' : f.simulatedTime.replace('T', ' ').slice(0, 19);
  lines.push(`lnfleet  up ${duration(f.uptimeS)}  simulated time ${sim} UTC  NATS ${state.infrastructure.nats}  PostgreSQL ${state.infrastructure.postgres}`);
  lines.push(`services ${SERVICES.map((s) => `${s} ${f.services[s]}`).join(' | ')}`);
  lines.push('');
  lines.push(`nodes        ${f.nodes.reporting}/${f.nodes.configured} reporting, autopilot enabled on ${f.nodes.autopilotEnabled}`);
  lines.push(
    `channels     ${f.channels.open} open; autopilot: ${f.channels.openedByAutopilot} opened, ${f.channels.requestedByAutopilot - f.channels.openedByAutopilot} pending, ${f.channels.openFailures} failed` +
      ` (${f.autopilot.decisions} decisions, ${f.autopilot.openCommands} OpenChannel commands)`,
  );
  lines.push(`peers        ${f.peers.online} online, ${f.peers.flaps} went offline, ${f.peers.fitnessChanges} fitness verdicts changed`);
  lines.push(
    f.backups.stored === 0
      ? `backups      ${f.services.backup === 'ready' ? '0 versions stored yet' : 'backup not ready'}`
      : `backups      ${f.backups.stored} versions stored for ${f.backups.nodesBackedUp} nodes (latest version up to ${f.backups.maxVersion})`,
  );
  lines.push(`events       ${f.eventsPerSecond}/s, ${f.eventsTotal} in total`);
  const lagged = f.consumerLag.consumers.filter((c) => c.pending + c.ackPending > 0);
  lines.push(
    `consumer lag ${f.consumerLag.total} message(s)` +
      (f.consumerLag.consumers.length === 0 ? '' : lagged.length === 0 ? `, all ${f.consumerLag.consumers.length} consumers caught up` : `: ${lagged.map((c) => `${c.durable} ${c.pending + c.ackPending}`).join(', ')}`),
  );
  lines.push('fitness leaders (chanfitness, fittest peers of fleet nodes):');
  if (f.fitnessLeaders.length === 0) lines.push('  none ranked yet');
  for (const leader of f.fitnessLeaders) {
    const uptime = leader.uptimeRatio === null ? 'uptime n/a' : `uptime ${(leader.uptimeRatio * 100).toFixed(1)}%`;
    lines.push(`  ${short(leader.peer)} (peer of ${short(leader.nodeId)})  ${uptime}, ${leader.flapCount} flaps`);
  }
  if (state.recentErrors.length > 0) {
    lines.push('recent errors (full output in the log file):');
    for (const error of state.recentErrors) lines.push(`  ${error}`);
  }
  return lines.map((line) => (line.length > width ? `${line.slice(0, width - 1)}…` : line));
}

/** summaryLine is the one-line form for output that is not a terminal. */
export function summaryLine(state: FleetState, nowMs: number): string {
  const f = summaryFigures(state, nowMs);
  return (
    `[${duration(f.uptimeS)}] nodes ${f.nodes.reporting}/${f.nodes.configured} autopilot ${f.nodes.autopilotEnabled}; ` +
    `channels ${f.channels.open} (autopilot opened ${f.channels.openedByAutopilot}, pending ${f.channels.requestedByAutopilot - f.channels.openedByAutopilot}); ` +
    `peers online ${f.peers.online} (flaps ${f.peers.flaps}); backups ${f.backups.stored === 0 && f.services.backup !== 'ready' ? 'not ready' : f.backups.stored}; ` +
    `events ${f.eventsPerSecond}/s; lag ${f.consumerLag.total}`
  );
}

function duration(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return m === 0 ? `${s}s` : `${m}m${String(s).padStart(2, '0')}s`;
}

function short(pubkey: string): string {
  return pubkey.length > 16 ? `${pubkey.slice(0, 12)}…` : pubkey;
}
