import type { DataSource, QueryRunner } from 'typeorm';
import type { OpenOutcome } from '../gateway/open-channel.js';
import { OpenChannelCommandRow } from './entities.js';

/** CommandInProgressError says another handler holds the command right now; retry later. */
export class CommandInProgressError extends Error {
  override readonly name = 'CommandInProgressError';
  constructor(readonly commandId: string) {
    super(`command ${commandId} is being executed by another handler; will retry`);
  }
}

/** LedgerExecution says how an outcome was reached. */
export type LedgerPath = 'executed' | 'recorded' | 'recovered';

/** CommandSteps are the two ways of reaching an outcome. */
export interface CommandSteps {
  /** execute asks the node; called at most once per command id, ever. */
  execute(): Promise<OpenOutcome>;
  /** recover decides the outcome of an execution that was interrupted before it was recorded, without asking the node to act. */
  recover(claimedChannelPoints: ReadonlySet<string>): Promise<OpenOutcome>;
}

/**
 * CommandLedger executes each command id at most once. For one command id it:
 * 1. takes a PostgreSQL session advisory lock on the id (held only by this connection, released
 *    if the process dies), so two handlers never work on one command at the same time;
 * 2. returns the recorded outcome if there is one;
 * 3. if a claim exists without an outcome, the previous executor died mid-call: recover;
 * 4. otherwise commits a claim ('started') BEFORE asking the node, then records the outcome.
 * A crash between 4's node call and its record leaves the claim, so the node is never asked twice.
 */
export class CommandLedger {
  constructor(private readonly dataSource: DataSource) {}

  /** run reaches the command's outcome (executing, reading it back, or recovering it). */
  async run(commandId: string, nodeId: string, steps: CommandSteps, now: () => Date = () => new Date()): Promise<{ outcome: OpenOutcome; path: LedgerPath }> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const locked = (await runner.query('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [commandId])) as Array<{ locked: boolean }>;
      if (locked[0]?.locked !== true) throw new CommandInProgressError(commandId);
      try {
        return await this.underLock(runner, commandId, nodeId, steps, now);
      } finally {
        await runner.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [commandId]);
      }
    } finally {
      await runner.release();
    }
  }

  /** outcomeOf reads a command's recorded row (for tests and tools). */
  async row(commandId: string): Promise<OpenChannelCommandRow | null> {
    return this.dataSource.getRepository(OpenChannelCommandRow).findOneBy({ commandId });
  }

  private async underLock(runner: QueryRunner, commandId: string, nodeId: string, steps: CommandSteps, now: () => Date): Promise<{ outcome: OpenOutcome; path: LedgerPath }> {
    const repository = runner.manager.getRepository(OpenChannelCommandRow);
    const existing = await repository.findOneBy({ commandId });
    if (existing?.status === 'done' && existing.outcome !== null) return { outcome: existing.outcome, path: 'recorded' };
    if (existing !== null) {
      const claimed = await repository.find({ select: { channelPoint: true }, where: { nodeId } });
      const points = new Set(claimed.flatMap((row) => (row.channelPoint === null ? [] : [row.channelPoint])));
      const outcome = await steps.recover(points);
      await this.finish(runner, commandId, outcome, now());
      return { outcome, path: 'recovered' };
    }
    await repository.insert({ commandId, nodeId, status: 'started', outcome: null, channelPoint: null, startedAt: now(), finishedAt: null });
    const outcome = await steps.execute();
    await this.finish(runner, commandId, outcome, now());
    return { outcome, path: 'executed' };
  }

  private async finish(runner: QueryRunner, commandId: string, outcome: OpenOutcome, at: Date): Promise<void> {
    await runner.manager.getRepository(OpenChannelCommandRow).update(
      { commandId },
      { status: 'done', outcome, channelPoint: outcome.kind === 'requested' ? outcome.channelPoint : null, finishedAt: at },
    );
  }
}
