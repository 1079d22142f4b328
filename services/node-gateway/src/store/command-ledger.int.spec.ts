import type { DataSource } from 'typeorm';
import { openDatabase } from '@lnfleet/service-kit';
import { testSchema, waitFor, type TestSchema } from '@lnfleet/testing';
import type { OpenOutcome } from '../gateway/open-channel.js';
import type { PublishedState } from '../gateway/published-state.js';
import { CommandInProgressError, CommandLedger, type CommandSteps } from './command-ledger.js';
import { OpenChannelCommandRow, PublishedNodeStateRow } from './entities.js';
import { NODE_GATEWAY_MIGRATIONS } from './migrations.js';
import { PublishedStateStore } from './published-state-store.js';

const NODE = `02${'1'.repeat(64)}`;
const POINT = `${'a'.repeat(64)}:0`;
const T0 = Date.UTC(2025, 9, 25);

/** CountingSteps counts how often the node would have been asked. */
class CountingSteps implements CommandSteps {
  executed = 0;
  recovered = 0;
  claimedSeen: ReadonlySet<string> = new Set();
  constructor(private readonly outcome: OpenOutcome = { kind: 'requested', channelPoint: POINT, decidedAtMs: T0 }) {}
  execute(): Promise<OpenOutcome> {
    this.executed++;
    return Promise.resolve(this.outcome);
  }
  recover(claimed: ReadonlySet<string>): Promise<OpenOutcome> {
    this.recovered++;
    this.claimedSeen = claimed;
    return Promise.resolve({ kind: 'failed', reason: 'NODE_ERROR', message: 'interrupted', retryableAfterMs: null, decidedAtMs: T0 });
  }
}

describe('CommandLedger and PublishedStateStore in PostgreSQL', () => {
  let schema: TestSchema;
  let dataSource: DataSource;
  let ledger: CommandLedger;

  beforeEach(async () => {
    schema = await testSchema('gwledger');
    dataSource = await openDatabase({ url: schema.databaseUrl, schema: schema.schema }, { schema: schema.schema, entities: [PublishedNodeStateRow, OpenChannelCommandRow], migrations: NODE_GATEWAY_MIGRATIONS });
    ledger = new CommandLedger(dataSource);
  });

  afterEach(async () => {
    await dataSource.destroy();
    await schema.drop();
  });

  it('executes a command once and afterwards only returns the recorded outcome', async () => {
    const steps = new CountingSteps();
    expect(await ledger.run('cmd-1', NODE, steps)).toEqual({ outcome: { kind: 'requested', channelPoint: POINT, decidedAtMs: T0 }, path: 'executed' });
    expect(await ledger.run('cmd-1', NODE, steps)).toMatchObject({ path: 'recorded' });
    expect(steps.executed).toBe(1);
    expect(await ledger.row('cmd-1')).toMatchObject({ status: 'done', channelPoint: POINT, nodeId: NODE });
  });

  it('never asks the node again for a claim whose execution was interrupted: it recovers instead', async () => {
    await ledger.run('cmd-0', NODE, new CountingSteps());
    await dataSource.query(`INSERT INTO open_channel_command (command_id, node_id, status, started_at) VALUES ('cmd-2', $1, 'started', now())`, [NODE]);
    const steps = new CountingSteps();
    expect(await ledger.run('cmd-2', NODE, steps)).toMatchObject({ path: 'recovered', outcome: { kind: 'failed', reason: 'NODE_ERROR' } });
    expect(steps).toMatchObject({ executed: 0, recovered: 1 });
    expect([...steps.claimedSeen]).toEqual([POINT]);
    expect(await ledger.row('cmd-2')).toMatchObject({ status: 'done' });
  });

  it('lets only one of two concurrent handlers work on a command; the other is told to retry', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow: CommandSteps = {
      execute: async () => {
        await gate;
        return { kind: 'requested', channelPoint: POINT, decidedAtMs: T0 };
      },
      recover: () => Promise.reject(new Error('not expected')),
    };
    const first = ledger.run('cmd-3', NODE, slow);
    // The first run holds the lock once its claim row exists.
    await waitFor('the first run to claim the command', () => ledger.row('cmd-3'), (row) => row !== null);
    const steps = new CountingSteps();
    await expect(ledger.run('cmd-3', NODE, steps)).rejects.toThrow(CommandInProgressError);
    release();
    await first;
    expect(await ledger.run('cmd-3', NODE, steps)).toMatchObject({ path: 'recorded' });
    expect(steps.executed).toBe(0);
  });

  it('stores and reloads the published state per node', async () => {
    const store = new PublishedStateStore(dataSource);
    expect(await store.load(NODE)).toBeUndefined();
    const state = { channels: { [POINT]: 'open' as const }, chanIds: { [POINT]: '880000000000000001' }, onlinePeers: [NODE], balance: null, unresolved: [] };
    await store.save(NODE, 'sim-0', state, new Date(T0));
    await store.save(NODE, 'sim-0', { ...state, onlinePeers: [] }, new Date(T0 + 1));
    expect(await store.load(NODE)).toEqual({ ...state, onlinePeers: [] });
  });

  it('completes a state saved before `unresolved` and `chanIds` existed', async () => {
    const store = new PublishedStateStore(dataSource);
    await dataSource.getRepository(PublishedNodeStateRow).save({ nodeId: NODE, configId: 'sim-0', state: { channels: { [POINT]: 'open' }, onlinePeers: [], balance: null } as unknown as PublishedState, updatedAt: new Date(T0) });
    expect(await store.load(NODE)).toEqual({ channels: { [POINT]: 'open' }, onlinePeers: [], balance: null, unresolved: [], chanIds: {} });
  });
});
