import { Module } from '@nestjs/common';
import type { ServiceDefinition } from '@lnfleet/service-kit';
import { ServiceContext } from '@lnfleet/service-kit';
import { GATEWAY_OPTIONS, NodeFleet, type NodeGatewayOptions } from './shell/fleet.js';
import { HealthController } from './shell/health.controller.js';
import { OpenChannelController } from './shell/open-channel.controller.js';
import { OpenChannelExecutor } from './shell/open-channel.executor.js';
import { ShardedCommandConsumers } from './shell/sharded-commands.js';
import { loadCommandAckWaitMs, loadShardConfig } from './config/gateway-config.js';
import { CommandLedger } from './store/command-ledger.js';
import { OpenChannelCommandRow, PublishedNodeStateRow } from './store/entities.js';
import { NODE_GATEWAY_MIGRATIONS } from './store/migrations.js';

/** NODE_GATEWAY_HTTP_PORT is the health endpoint's port when HTTP_PORT is unset. */
export const NODE_GATEWAY_HTTP_PORT = 8081;

/** NODE_GATEWAY_DURABLE is the durable consumer all gateway replicas share on the commands stream. */
export const NODE_GATEWAY_DURABLE = 'node-gateway';

/**
 * nodeGatewayDefinition defines the node-gateway service: the only part that talks to Lightning
 * nodes. It publishes their facts and executes OpenChannel commands. Options replace the
 * configured fleet (tests, embedding); without them the fleet comes from NODE_GATEWAY_CONFIG(_FILE).
 * GET /health and /health/ready (HTTP_PORT, default 8081) report each node's connection state.
 */
export function nodeGatewayDefinition(options: NodeGatewayOptions = {}): ServiceDefinition {
  @Module({
    controllers: [OpenChannelController, HealthController],
    providers: [
      { provide: GATEWAY_OPTIONS, useValue: options },
      NodeFleet,
      OpenChannelExecutor,
      ShardedCommandConsumers,
      { provide: CommandLedger, useFactory: (context: ServiceContext) => new CommandLedger(context.dataSource), inject: [ServiceContext] },
    ],
  })
  class NodeGatewayModule {}

  return {
    name: 'node-gateway',
    module: NodeGatewayModule,
    http: { defaultPort: NODE_GATEWAY_HTTP_PORT },
    database: { entities: [PublishedNodeStateRow, OpenChannelCommandRow], migrations: NODE_GATEWAY_MIGRATIONS },
    // One replica reads every node's commands from the shared durable; sharded replicas bind one
    // durable per served node instead (ShardedCommandConsumers), as NATS 2.9 has one filter per consumer.
    bindings: (topology, env) => (loadShardConfig(env).replicas > 1 ? [] : [
      {
        stream: topology.streamName('commands'),
        durable: NODE_GATEWAY_DURABLE,
        filterSubject: topology.commandsOfType('OpenChannel'),
        // An open waits for the peer's answer; keep the command ours (a minute by default) before JetStream redelivers.
        ackWaitMs: loadCommandAckWaitMs(env),
        ...(options.commandRedelivery !== undefined ? { redelivery: options.commandRedelivery } : {}),
      },
    ]),
  };
}

/** nodeGatewayService is the node-gateway as deployed: its fleet comes from the environment. */
export const nodeGatewayService: ServiceDefinition = nodeGatewayDefinition();
