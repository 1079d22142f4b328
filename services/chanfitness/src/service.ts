import { Module } from '@nestjs/common';
import type { ServiceDefinition } from '@lnfleet/service-kit';

/** ChanfitnessModule holds the chanfitness service's handlers and providers. */
@Module({})
export class ChanfitnessModule {}

/**
 * chanfitnessService defines the chanfitness service. lnd's channel event store as a fleet service: peer uptime, flaps and channel lifetimes.
 * It has no consumers yet: binding a durable without handlers would acknowledge (and so skip)
 * events the real projection will need.
 */
export const chanfitnessService: ServiceDefinition = {
  name: 'chanfitness',
  module: ChanfitnessModule,
  database: {},
  bindings: () => [],
};
