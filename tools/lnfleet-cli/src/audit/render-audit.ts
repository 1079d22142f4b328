import type { AuditDecision, AuditReport } from './node-audit.js';

/** TOP_CANDIDATES is how many of a decision's recorded candidates the text report shows (JSON has all). */
const TOP_CANDIDATES = 3;

/** renderAudit writes the report for a person: sections, aligned columns, short peer keys. */
export function renderAudit(report: AuditReport): string {
  const lines: string[] = [];
  lines.push(`Node ${report.nodeId} at ${report.at}`);
  const { counted, later, undecodable, lastAt } = report.messages;
  lines.push(
    `  rebuilt from ${counted} message${plural(counted)} up to then (newest ${lastAt ?? '-'}); ${later} later message${plural(later)} left out` +
      (undecodable > 0 ? `; ${undecodable} undecodable skipped` : ''),
  );
  lines.push('');

  lines.push('Balance');
  if (report.balance === null) lines.push('  unknown (no balance reported by then)');
  else lines.push(`  confirmed ${sat(report.balance.confirmedSat)}, unconfirmed ${sat(report.balance.unconfirmedSat)}, locked ${sat(report.balance.lockedSat)}`);
  lines.push('');

  const live = report.channels.filter((c) => c.status !== 'closed');
  lines.push(`Channels (${live.length} open or pending, ${report.channels.length - live.length} closed)`);
  if (report.channels.length === 0) lines.push('  none');
  lines.push(
    ...table(
      ['status', 'channel point', 'peer', 'capacity', 'local'],
      report.channels.map((c) => [c.status, c.channelPoint, short(c.peer), sat(c.capacitySat), sat(c.localBalanceSat)]),
    ),
  );
  lines.push('');

  lines.push(`Online peers (${report.onlinePeers.length})`);
  lines.push(report.onlinePeers.length === 0 ? '  none' : `  ${report.onlinePeers.map(short).join(' ')}`);
  lines.push('');

  lines.push(`Peer fitness (${report.fitness.length} tracked peers, fittest first)`);
  if (report.fitness.length === 0) lines.push('  none');
  lines.push(
    ...table(
      ['peer', 'online', 'verdict', 'flaps', 'uptime', 'channels', 'last published'],
      report.fitness.map((f) => [
        short(f.peer),
        f.online ? 'yes' : 'no',
        f.fit ? 'fit' : `unfit (${f.reasons.join(', ')})`,
        f.flapCount.toFixed(f.flapCount % 1 === 0 ? 0 : 2),
        f.uptimeRatio === null ? '-' : `${(f.uptimeRatio * 100).toFixed(1)}%`,
        String(f.openChannels),
        f.lastPublished === null ? '-' : `${f.lastPublished.fit ? 'fit' : 'unfit'} at ${f.lastPublished.at}`,
      ]),
    ),
  );
  lines.push('');

  lines.push('Backups');
  if (report.backups.length === 0) lines.push('  none stored by then');
  for (const b of report.backups) lines.push(`  ${b.backup}: version ${b.version} (${b.channelCount} channels, sha256 ${b.contentHash.slice(0, 12)}…) at ${b.at}`);
  lines.push('');

  const { policy, opensInFlight, decisions } = report.autopilot;
  lines.push('Autopilot');
  if (policy === null) lines.push('  no policy set by then');
  else {
    const c = policy.constraints;
    lines.push(
      `  policy: ${policy.enabled ? 'enabled' : 'disabled'}${policy.dryRun ? ' (dry run)' : ''}; chanLimit ${c.chanLimit}, allocation ${c.allocation}, ` +
        `channel size ${sat(c.minChanSizeSat)}-${sat(c.maxChanSizeSat)}, maxPendingOpens ${c.maxPendingOpens}; heuristics ${JSON.stringify(policy.heuristics)}`,
    );
  }
  lines.push(`  opens in flight: ${opensInFlight.length === 0 ? 'none' : opensInFlight.map((o) => `${short(o.peer)} ${sat(o.amountSat)}`).join(', ')}`);
  lines.push(`  decisions: ${decisions.length}`);
  for (const decision of decisions) lines.push(...renderDecision(decision));
  return `${lines.join('\n')}\n`;
}

function renderDecision(d: AuditDecision): string[] {
  const trigger =
    d.trigger.kind === 'heartbeat' ? 'heartbeat' : `${d.trigger.kind} ${d.trigger.messageType ?? '?'} #${d.trigger.streamSequence ?? '?'}`;
  const i = d.inputs;
  const lines = [
    '',
    `  ${d.at}  decision ${d.messageId} (derived #${d.streamSequence})${d.dryRun ? ' [dry run]' : ''}`,
    `    trigger: ${trigger}`,
    `    saw: wallet ${sat(i.walletBalanceSat)}, ${i.channelCount} channels, ${i.pendingOpenCount} opens in flight, ` +
      `${i.failedPeerCount} failed / ${i.unfitPeerCount} unfit / ${i.crowdedPeerCount} crowded peers skipped`,
    `    budget: ${sat(d.budget.amountSat)} for ${d.budget.channels} channel${plural(d.budget.channels)} of ${sat(d.chanSizeSat)}; ` +
      `${d.candidateCount} candidates on graph ${d.graphVersion}, seed ${d.seed}`,
  ];
  if (d.candidates.length > 0) {
    lines.push(`    best: ${d.candidates.slice(0, TOP_CANDIDATES).map((c) => `${short(c.peer)} ${c.score.toFixed(3)}`).join(', ')}`);
  }
  if (d.chosen.length === 0) lines.push('    chose: nobody');
  for (const open of d.chosen) lines.push(`    chose: ${short(open.peer)} ${sat(open.amountSat)} (score ${open.score.toFixed(3)}) -> ${open.outcome}`);
  lines.push(`    stopped by: ${d.stoppedBy}`);
  return lines;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  if (rows.length === 0) return [];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const format = (row: readonly string[]) => `  ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ')}`.trimEnd();
  return [format(header), ...rows.map(format)];
}

function short(pubkey: string): string {
  return pubkey.length > 16 ? `${pubkey.slice(0, 12)}…` : pubkey;
}

function sat(amount: number): string {
  return `${amount.toLocaleString('en-US')} sat`;
}

function plural(count: number): string {
  return count === 1 ? '' : 's';
}
