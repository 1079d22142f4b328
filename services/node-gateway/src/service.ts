import { Module } from '@nestjs/common';
import type { ServiceDefinition } from '@lnfleet/service-kit';

/** NodeGatewayModule holds the node-gateway service's handlers and providers. */
@Module({})
export class NodeGatewayModule {}

/**
 * nodeGatewayService defines the node-gateway service. The only part that talks to Lightning nodes: publishes their facts, executes commands.
 * It has no consumers yet: binding a durable without handlers would acknowledge (and so skip)
 * events the real projection will need.
 */
export const nodeGatewayService: ServiceDefinition = {
  name: 'node-gateway',
  module: NodeGatewayModule,
  database: {},
  bindings: () => [],
};
