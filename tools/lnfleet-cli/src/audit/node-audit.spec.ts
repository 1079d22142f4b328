import { DEFAULT_FITNESS_THRESHOLDS } from '@lnfleet/chanfitness/projection';
import type { ReadMessage } from '../stream-reader.js';
import { CHANNEL_A, COMMAND_LATER, EXPECTED_AT_MID, MID, minute, NODE, OTHER_NODE, PEER_A, SCRIPT, T0 } from '../scripted-fleet.fixture.js';
import { auditNode } from './node-audit.js';
import { renderAudit } from './render-audit.js';

/** asRead numbers the script's messages per stream, as JetStream would store them. */
function asRead(script = SCRIPT): ReadMessage[] {
  const next = { events: 0, derived: 0 };
  return script.map(({ stream, message }) => ({
    stream: stream === 'events' ? 'LNFLEET_EVENTS' : 'LNFLEET_DERIVED',
    sequence: ++next[stream],
    storedAtMs: Date.parse(message.occurredAt),
    message,
    error: undefined,
    skipped: false,
  }));
}

const audit = (atMs: number, messages = asRead()) => auditNode({ nodeId: NODE, atMs, messages, thresholds: DEFAULT_FITNESS_THRESHOLDS });

describe('auditNode', () => {
  it('rebuilds the scripted node at MID exactly as worked out by hand', () => {
    expect(audit(MID)).toEqual(EXPECTED_AT_MID);
  });

  it('gives the same state whatever order the messages are read in', () => {
    expect(audit(MID, asRead().reverse())).toEqual(EXPECTED_AT_MID);
  });

  it('knows nothing before the first message, and counts every message as later', () => {
    const report = audit(T0 - 1);
    expect(report.messages).toEqual({ counted: 0, later: 14, undecodable: 0, lastAt: null });
    expect(report.backups).toEqual([]);
    expect(report.balance).toBeNull();
    expect(report.channels).toEqual([]);
    expect(report.onlinePeers).toEqual([]);
    expect(report.fitness).toEqual([]);
    expect(report.autopilot).toEqual({ policy: null, opensInFlight: [], decisions: [] });
  });

  it('after the whole script: the channel to A closed, the later decision still waiting for its outcome', () => {
    const report = audit(minute(20));
    expect(report.messages.counted).toBe(14);
    expect(report.backups.map((b) => b.version)).toEqual([3]);
    expect(report.balance?.confirmedSat).toBe(3_000_000);
    expect(report.channels.find((c) => c.channelPoint === CHANNEL_A)).toMatchObject({ status: 'closed', localBalanceSat: 0 });
    expect(report.autopilot.decisions.map((d) => d.chosen.map((c) => c.outcome))).toEqual([['requested'], ['no-outcome-yet']]);
    expect(report.autopilot.opensInFlight).toEqual([{ commandId: COMMAND_LATER, peer: PEER_A, amountSat: 500_000, expiresAt: '2026-01-01T00:42:00.000Z' }]);
  });

  it('leaves out other nodes and counts undecodable messages without folding them', () => {
    const messages = asRead();
    const report = audit(MID, [...messages, { stream: 'LNFLEET_EVENTS', sequence: 99, storedAtMs: T0, message: undefined, error: { code: 'MALFORMED_JSON', field: '', message: 'bad' }, skipped: false }]);
    expect(report.messages.undecodable).toBe(1);
    expect(report.messages.counted).toBe(10);
    expect(auditNode({ nodeId: OTHER_NODE, atMs: MID, messages, thresholds: DEFAULT_FITNESS_THRESHOLDS }).balance?.confirmedSat).toBe(9_000_000);
  });

  it('renders a readable report: each section, the decision with what it saw and what became of it', () => {
    const text = renderAudit(audit(MID));
    expect(text).toContain(`Node ${NODE} at 2026-01-01T00:08:00.000Z`);
    expect(text).toContain('rebuilt from 10 messages up to then (newest 2026-01-01T00:07:30.000Z); 4 later messages left out');
    expect(text).toContain(`CHANNEL_SET: version 2 (2 channels, sha256 ${'2'.repeat(12)}…) at 2026-01-01T00:07:30.000Z`);
    expect(text).toContain('confirmed 5,000,000 sat, unconfirmed 1,000 sat, locked 2,000 sat');
    expect(text).toContain('Channels (2 open or pending, 0 closed)');
    expect(text).toMatch(new RegExp(`${PEER_A.slice(0, 12)}… +no +fit +2 +50\\.0% +1 +unfit at 2026-01-01T00:07:00\\.000Z`));
    expect(text).toContain('saw: wallet 4,998,000 sat, 1 channels, 0 opens in flight');
    expect(text).toContain('-> requested');
    expect(text).toContain('stopped by: candidates-exhausted');
  });
});
