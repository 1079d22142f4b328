import { Module } from '@nestjs/common';
import type { ServiceDefinition } from '@lnfleet/service-kit';

/** AutopilotModule holds the autopilot service's handlers and providers. */
@Module({})
export class AutopilotModule {}

/**
 * autopilotService defines the autopilot service. lnd's autopilot as a fleet service: decides which channels each managed node opens.
 * It has no consumers yet: binding a durable without handlers would acknowledge (and so skip)
 * events the real projection will need.
 */
export const autopilotService: ServiceDefinition = {
  name: 'autopilot',
  module: AutopilotModule,
  database: {},
  bindings: () => [],
};
