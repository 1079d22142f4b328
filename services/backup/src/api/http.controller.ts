import { Controller, Get, Param, ServiceUnavailableException } from '@nestjs/common';
import { access, constants } from 'node:fs/promises';
import { Inject } from '@nestjs/common';
import { ServiceContext } from '@lnfleet/service-kit';
import { BACKUP_CONFIG, type BackupConfig } from '../config.js';
import { BackupEngine, type EngineCounters } from '../engine/backup-engine.js';
import { BackupQueries, type BackupsAnswer, type LatestAnswer } from './backup-queries.js';

/** Readiness is the readiness probe's answer: each dependency's state. */
export interface Readiness {
  readonly status: 'ok' | 'unavailable';
  readonly checks: { readonly startupSync: boolean; readonly database: boolean; readonly nats: boolean; readonly directory: boolean };
}

/**
 * BackupHttpController serves (HTTP_PORT, default 8084):
 *
 * - `GET /health`: liveness, 200 while the process runs
 * - `GET /health/ready`: readiness, 503 until the start-up file sync is done, or while PostgreSQL,
 *   NATS or the target directory is unavailable
 * - `GET /nodes/:nodeId/backups`: every stored version of the node's channel-set and own backups
 * - `GET /nodes/:nodeId/backups/latest`: the newest versions and the channels they hold
 * - `GET /status`: what this replica did (counters)
 *
 * A malformed node id answers 400, a node never seen 404, both as `{ error: { code, message } }`.
 */
@Controller()
export class BackupHttpController {
  constructor(
    private readonly queries: BackupQueries,
    private readonly engine: BackupEngine,
    private readonly context: ServiceContext,
    @Inject(BACKUP_CONFIG) private readonly config: BackupConfig,
  ) {}

  @Get('health')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('health/ready')
  async ready(): Promise<Readiness> {
    const [database, directory] = await Promise.all([
      this.context.dataSource.query('SELECT 1').then(
        () => true,
        () => false,
      ),
      access(this.config.directory, constants.W_OK).then(
        () => true,
        () => false,
      ),
    ]);
    const checks = { startupSync: this.engine.ready, database, nats: !this.context.connection.isClosed(), directory };
    const answer: Readiness = { status: Object.values(checks).every(Boolean) ? 'ok' : 'unavailable', checks };
    if (answer.status !== 'ok') throw new ServiceUnavailableException(answer);
    return answer;
  }

  @Get('nodes/:nodeId/backups')
  backups(@Param('nodeId') nodeId: string): Promise<BackupsAnswer> {
    return this.queries.backups(nodeId);
  }

  @Get('nodes/:nodeId/backups/latest')
  latest(@Param('nodeId') nodeId: string): Promise<LatestAnswer> {
    return this.queries.latest(nodeId);
  }

  @Get('status')
  status(): EngineCounters {
    return this.engine.stats();
  }
}
