/**
 * Acceptance (issue 7): the whole fleet runs on a simulated network for a fixed simulated period
 * against real NATS JetStream and PostgreSQL, then
 * 1. every service's projection equals a from-scratch replay of the streams;
 * 2. every node's latest backup holds exactly its channel set;
 * 3. every channel the autopilot opened traces back to an AutopilotDecision (command id);
 * 4. an audit at a mid-run instant gives the state the projections had at that instant.
 */
import pg from 'pg';
import type { KnownMessage, MessageByType } from '@lnfleet/contracts';
import { onlinePeers } from '@lnfleet/chanfitness/projection';
import { projectionSnapshot, readAll, runAudit, runReplay, type AuditReport, type ProjectionSnapshot, type ReplayService } from '@lnfleet/cli';
import { uniqueName, waitFor } from '@lnfleet/testing';
import { join } from 'node:path';
import { verifyBackups } from '../../../services/backup/src/index.js';
import { AutopilotEngine } from '../../../services/autopilot/src/decisions/autopilot-engine.js';
import { FitnessQueries } from '../../../services/chanfitness/src/api/fitness-queries.js';
import { FitnessProjection } from '../../../services/chanfitness/src/projection/fitness-projection.js';
import { E2eFleet, type AutopilotPolicy } from './fleet-harness.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The simulated period the fleet runs for, and the instant the projections are captured at. */
const PERIOD_MS = 12 * HOUR;
const MID_RUN_MS = 6 * HOUR;
/** Each step of simulated time is followed by a wait until every service has handled it. */
const STEP_MS = 15 * MINUTE;

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

/** readStream decodes every message of a stream, in order, up to its current end (the CLI's reader). */
async function readStream(fleet: E2eFleet, role: 'events' | 'derived'): Promise<Stored[]> {
  const spec = fleet.topology.streams()[role];
  const read = await readAll(fleet.js, { stream: spec.name, filterSubject: spec.subjects[0]! });
  return read.map((r) => {
    if (r.message === undefined) throw new Error(`undecodable message #${r.sequence} in ${spec.name}`);
    return { sequence: r.sequence, message: r.message };
  });
}

function ofType<T extends KnownMessage['type']>(stored: readonly Stored[], type: T): MessageByType<T>[] {
  return stored.map((s) => s.message).filter((m): m is MessageByType<T> => m.type === type);
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * NodeView is what the services' projections say about one node at an instant, in the terms of an
 * audit report, so the two can be compared field by field.
 */
interface NodeView {
  readonly balance: AuditReport['balance'];
  readonly channels: AuditReport['channels'];
  readonly policy: AuditReport['autopilot']['policy'];
  readonly opensInFlight: AuditReport['autopilot']['opensInFlight'];
  /** autopilotVerdicts are the peer verdicts the autopilot folded from chanfitness's PeerFitnessChanged. */
  readonly autopilotVerdicts: readonly { readonly peer: string; readonly fit: boolean }[];
  readonly onlinePeers: readonly string[];
  readonly fitness: readonly FitnessView[];
  /** backups are the latest stored version of each kind of the node's backups. */
  readonly backups: readonly BackupView[];
}

interface BackupView {
  readonly backup: string;
  readonly version: number;
  readonly contentHash: string;
  readonly channelCount: number;
}

interface FitnessView {
  readonly peer: string;
  readonly fit: boolean;
  readonly reasons: readonly string[];
  readonly flapCount: number;
  readonly lastFlapAt: string | null;
  readonly uptimeRatio: number | null;
  readonly openChannels: number;
}

/** projectionsView reads a node's state at `atMs` from the running autopilot, chanfitness and backup. */
async function projectionsView(fleet: E2eFleet, nodeId: string, atMs: number): Promise<NodeView> {
  const backupSchema = schemaOf(fleet, 'backup');
  const latest = await fleet.query<{ backup: string; version: number; content_hash: string; channel_count: number }>(
    `SELECT * FROM (
       (SELECT 'CHANNEL_SET' AS backup, version, content_hash, channel_count FROM "${backupSchema}".backup_version WHERE node_id = $1 ORDER BY version DESC LIMIT 1)
       UNION ALL
       (SELECT 'NODE_PACKED' AS backup, version, content_hash, channel_count FROM "${backupSchema}".backup_own WHERE node_id = $1 ORDER BY version DESC LIMIT 1)
     ) latest ORDER BY backup`,
    [nodeId],
  );
  const projection = await fleet.service('autopilot').app.get(AutopilotEngine, { strict: false }).projection(nodeId);
  const chanfitness = fleet.service('chanfitness').app;
  const { state } = await chanfitness.get(FitnessProjection, { strict: false }).nodeState(nodeId, atMs);
  const ranked = await chanfitness.get(FitnessQueries, { strict: false }).peers({ nodeId, at: new Date(atMs).toISOString() });
  return {
    balance: projection.balance === null ? null : { confirmedSat: projection.balance.confirmedSat, unconfirmedSat: projection.balance.unconfirmedSat, lockedSat: projection.balance.lockedSat },
    channels: [...projection.channels.values()]
      .map(({ channelPoint, peer, capacitySat, localBalanceSat, status }) => ({ channelPoint, peer, capacitySat, localBalanceSat, status }))
      .sort((a, b) => byText(a.channelPoint, b.channelPoint)),
    policy: projection.policy === null ? null : { enabled: projection.policy.enabled, dryRun: projection.policy.dryRun, constraints: projection.policy.constraints, heuristics: projection.policy.heuristics },
    // In flight at the instant: sent, no outcome yet, not expired.
    opensInFlight: [...projection.pendingOpens.values()]
      .filter((open) => open.status === 'in-flight' && open.expiresAtMs > atMs)
      .map((open) => ({ commandId: open.commandId, peer: open.peer, amountSat: open.amountSat, expiresAt: new Date(open.expiresAtMs).toISOString() }))
      .sort((a, b) => byText(a.commandId, b.commandId)),
    autopilotVerdicts: [...projection.fitness.values()].map(({ peer, fit }) => ({ peer, fit })).sort((a, b) => byText(a.peer, b.peer)),
    onlinePeers: onlinePeers(state.presence).sort(byText),
    fitness: ranked.peers
      .map((p) => ({ peer: p.peer, fit: p.fit, reasons: p.reasons, flapCount: p.cooledFlapCount, lastFlapAt: p.lastFlap, uptimeRatio: p.uptimeRatio, openChannels: p.openChannels }))
      .sort((a, b) => byText(a.peer, b.peer)),
    backups: latest.map((row) => ({ backup: row.backup, version: row.version, contentHash: row.content_hash, channelCount: row.channel_count })),
  };
}

/** auditView puts an audit report in the same terms. */
function auditView(report: AuditReport): NodeView {
  return {
    balance: report.balance,
    channels: report.channels,
    policy: report.autopilot.policy,
    opensInFlight: report.autopilot.opensInFlight,
    autopilotVerdicts: report.fitness
      .flatMap((f) => (f.lastPublished === null ? [] : [{ peer: f.peer, fit: f.lastPublished.fit }]))
      .sort((a, b) => byText(a.peer, b.peer)),
    onlinePeers: report.onlinePeers,
    fitness: report.fitness
      .map((f) => ({ peer: f.peer, fit: f.fit, reasons: f.reasons, flapCount: f.flapCount, lastFlapAt: f.lastFlapAt, uptimeRatio: f.uptimeRatio, openChannels: f.openChannels }))
      .sort((a, b) => byText(a.peer, b.peer)),
    backups: report.backups.map(({ backup, version, contentHash, channelCount }) => ({ backup, version, contentHash, channelCount })),
  };
}

/** snapshotOf reads every row of a service's projection tables in a schema (the CLI's comparison). */
async function snapshotOf(fleet: E2eFleet, service: ReplayService, schema: string): Promise<ProjectionSnapshot> {
  const client = new pg.Client({ connectionString: fleet.databaseUrl });
  await client.connect();
  try {
    return await projectionSnapshot(client, service, schema);
  } finally {
    await client.end();
  }
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
    // Mid-run: what the projections say now, and how far the derived stream went.
    const midRunMs = f.simNow();
    const derivedHeadThen = await f.streamHead('derived');
    const viewsThen = new Map<string, NodeView>();
    for (const nodeId of f.nodeIds()) viewsThen.set(nodeId, await projectionsView(f, nodeId, midRunMs));
    await f.advance(PERIOD_MS - MID_RUN_MS, STEP_MS, closeSomething);
    await f.settle();
    expect(f.simNow()).toBe(startMs + PERIOD_MS);
    expect(closes).toBeGreaterThan(0);

    // 1. A from-scratch replay of the streams into a fresh schema (the CLI's `lnfleet replay
    // <service> --no-switch`, folding with each service's own code) gives every row of the live
    // projection, bookkeeping counters aside.
    for (const service of ['autopilot', 'chanfitness'] as const) {
      const live = schemaOf(f, service);
      const rebuilt = uniqueName(`e2e_${service}_replay`);
      f.schemas.add(rebuilt);
      const outcome = await runReplay({ service, switchOver: false, schema: rebuilt }, f.env(live));
      expect(outcome.events).toBeGreaterThan(0);
      const [replayed, projected] = [await snapshotOf(f, service, rebuilt), await snapshotOf(f, service, live)];
      expect(Object.values(projected).some((rows) => rows.length > 0)).toBe(true);
      expect({ service, tables: replayed }).toEqual({ service, tables: projected });
    }

    // 1 (backup). The backup service rebuilds with its own mechanism: a fresh schema, a new
    // durable consumer and directory, from the start of the stream. It must store the same
    // versions, byte for byte (the time a version was stored aside: that is the rebuild's clock).
    {
      const rebuiltSchema = uniqueName('e2e_backup_replay');
      const rebuild = await f.startBackup(rebuiltSchema, { BACKUP_CONSUMER: 'backup-e2e-rebuild', BACKUP_DIR: join(f.backupRoot, 'rebuild') });
      try {
        const eventsHead = await f.streamHead('events');
        await waitFor(
          'the backup rebuild to catch up',
          () => f.jsm.consumers.info(f.topology.streamName('events'), 'backup-e2e-rebuild'),
          (info) => info.ack_floor.stream_seq >= eventsHead && info.num_ack_pending === 0,
          300_000,
        );
      } finally {
        await rebuild.stop();
      }
      const [replayed, stored] = [await backupTables(f, rebuiltSchema), await backupTables(f, schemaOf(f, 'backup'))];
      expect(stored.backup_version?.length).toBeGreaterThan(f.nodeIds().length);
      expect(replayed).toEqual(stored);
    }

    // 2. Every node's latest backup holds exactly the channels the event stream says it has
    // (the backup service's verifyBackups: decrypts each latest version with the master key and
    // compares it with the channel set it folds from the stream; the file in the directory too).
    const verification = await verifyBackups({
      masterKey: f.backupMasterKey,
      database: { url: f.databaseUrl, schema: schemaOf(f, 'backup') },
      connection: f.connection,
      namespace: f.namespace,
      directory: f.backupDir,
      consumer: 'backup',
    });
    expect(verification.lagging).toBe(false);
    expect(verification.nodes.filter((node) => !node.ok)).toEqual([]);
    expect(verification.nodes.map((node) => node.nodeId).sort()).toEqual(f.nodeIds().sort());
    expect(verification.nodes.every((node) => node.file === 'ok' && node.backupVersion !== null && node.expectedChannels > 0)).toBe(true);
    expect(verification.ok).toBe(true);

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

    // 4. An audit at the mid-run instant, rebuilt from the streams alone (the CLI's `lnfleet audit
    // <nodeId> --at`), says what the projections said then: channels, balance, policy, opens in
    // flight, online peers, each peer's fitness and the verdicts the autopilot had, the latest
    // backup of each kind, and exactly the decisions stored by then.
    const decisionsThen = derived.filter((s) => s.sequence <= derivedHeadThen && s.message.type === 'AutopilotDecision');
    expect(decisionsThen.length).toBeGreaterThan(0);
    const chanfitnessEnv = f.env(schemaOf(f, 'chanfitness'), f.chanfitnessSettings());
    for (const nodeId of f.nodeIds()) {
      const report = await runAudit({ nodeId, atMs: midRunMs }, chanfitnessEnv);
      expect({ nodeId, view: auditView(report) }).toEqual({ nodeId, view: viewsThen.get(nodeId) });
      expect(report.autopilot.decisions.map((d) => d.messageId)).toEqual(decisionsThen.filter((s) => s.message.nodeId === nodeId).map((s) => s.message.id));
    }
    const seen = [...viewsThen.values()];
    expect(seen.some((v) => v.channels.some((c) => c.status === 'open'))).toBe(true);
    expect(seen.some((v) => v.fitness.length > 0 && v.onlinePeers.length > 0)).toBe(true);
    expect(seen.every((v) => v.backups.some((b) => b.backup === 'CHANNEL_SET' && b.version > 0))).toBe(true);
    // The run takes about a minute on a quiet machine; the shared CI machine can be much slower.
  }, 600_000);
});

/** backupTables reads every row of the backup service's tables in a schema, in key order, without the time a version was stored. */
async function backupTables(fleet: E2eFleet, schema: string): Promise<Record<string, Record<string, unknown>[]>> {
  const tables: Record<string, Record<string, unknown>[]> = {};
  for (const [table, order] of [
    ['backup_node', 'node_id'],
    ['backup_channel', 'node_id, channel_point'],
    ['backup_version', 'node_id, version'],
    ['backup_own', 'node_id, version'],
  ] as const) {
    const rows = await fleet.query(`SELECT * FROM "${schema}"."${table}" ORDER BY ${order}`);
    tables[table] = rows.map(({ created_at: _storedAt, ...row }) => row);
  }
  return tables;
}

function schemaOf(fleet: E2eFleet, service: 'autopilot' | 'chanfitness' | 'backup'): string {
  return (fleet.service(service).context.dataSource.options as { schema: string }).schema;
}
