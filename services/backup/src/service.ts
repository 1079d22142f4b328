import { Module } from '@nestjs/common';
import type { ServiceDefinition } from '@lnfleet/service-kit';

/** BackupModule holds the backup service's handlers and providers. */
@Module({})
export class BackupModule {}

/**
 * backupService defines the backup service. lnd's channel-backup swapper as a fleet service: versioned, encrypted backups of every node.
 * It has no consumers yet: binding a durable without handlers would acknowledge (and so skip)
 * events the real projection will need.
 */
export const backupService: ServiceDefinition = {
  name: 'backup',
  module: BackupModule,
  database: {},
  bindings: () => [],
};
