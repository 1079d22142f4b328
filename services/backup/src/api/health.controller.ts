import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { access, constants } from 'node:fs/promises';
import { ServiceContext, ServiceHealthController, type ServiceReadiness } from '@lnfleet/service-kit';
import { BACKUP_CONFIG, type BackupConfig } from '../config.js';

/** BackupReadiness is the common readiness answer plus the target directory's state. */
export interface BackupReadiness extends ServiceReadiness {
  readonly directory: 'writable' | 'unwritable';
}

/**
 * BackupHealthController is the services' common probes (GET /health liveness, GET /health/ready
 * readiness on NATS and PostgreSQL) with one more readiness condition: a backup service that
 * cannot write its target directory is not ready.
 */
@Controller('health')
export class BackupHealthController extends ServiceHealthController {
  constructor(
    context: ServiceContext,
    @Inject(BACKUP_CONFIG) private readonly config: BackupConfig,
  ) {
    super(context);
  }

  @Get('ready')
  override async ready(): Promise<BackupReadiness> {
    const [common, writable] = await Promise.all([
      super.ready().catch((error: unknown) => {
        if (error instanceof ServiceUnavailableException) return error.getResponse() as ServiceReadiness;
        throw error;
      }),
      access(this.config.directory, constants.W_OK).then(
        () => true,
        () => false,
      ),
    ]);
    const answer: BackupReadiness = {
      ...common,
      status: common.status === 'ok' && writable ? 'ok' : 'unavailable',
      directory: writable ? 'writable' : 'unwritable',
    };
    if (answer.status !== 'ok') throw new ServiceUnavailableException(answer);
    return answer;
  }
}
