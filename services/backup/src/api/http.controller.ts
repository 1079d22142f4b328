import { Controller, Get, Param } from '@nestjs/common';
import { BackupEngine, type EngineCounters } from '../engine/backup-engine.js';
import { BackupQueries, type BackupsAnswer, type LatestAnswer } from './backup-queries.js';

/**
 * BackupHttpController serves (HTTP_PORT, default 8084):
 *
 * - `GET /nodes/:nodeId/backups`: every stored version of the node's channel-set and own backups
 * - `GET /nodes/:nodeId/backups/latest`: the newest versions and the channels they hold
 * - `GET /status`: what this replica did (counters)
 *
 * (The probes, `/health` and `/health/ready`, are BackupHealthController's.) A malformed node id answers 400, a node never seen 404, both as `{ error: { code, message } }`.
 */
@Controller()
export class BackupHttpController {
  constructor(
    private readonly queries: BackupQueries,
    private readonly engine: BackupEngine,
  ) {}

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
