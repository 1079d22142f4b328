import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { MessageByType } from '@lnfleet/contracts';
import { JetStreamServer, type JetStreamContext } from '@lnfleet/messaging';
import { ServiceContext } from '@lnfleet/service-kit';
import { loadCommandAckWaitMs } from '../config/gateway-config.js';
import { GATEWAY_OPTIONS, NodeFleet, type NodeGatewayOptions } from './fleet.js';
import { OpenChannelExecutor } from './open-channel.executor.js';

/** perNodeDurable is the durable consumer of one node's commands when the fleet is sharded. */
export function perNodeDurable(nodeId: string): string {
  return `node-gateway-${nodeId}`;
}

/**
 * ShardedCommandConsumers reads commands when several gateway replicas share the fleet. NATS 2.9
 * allows one filter subject per consumer, so a replica cannot ask one shared durable for "the
 * commands of my nodes"; instead, once a node it serves has identified itself, the replica binds
 * that node's own durable (`cmd.<nodeId>.OpenChannel`). Every node is served by exactly one
 * replica, so each command is read by the replica that can execute it. With one replica this
 * does nothing: the shared `node-gateway` durable is used (the two must not coexist on the work
 * queue; switching modes means deleting the other durables).
 */
@Injectable()
export class ShardedCommandConsumers implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ShardedCommands');
  private readonly servers = new Map<string, Promise<JetStreamServer | undefined>>();

  constructor(
    private readonly fleet: NodeFleet,
    private readonly executor: OpenChannelExecutor,
    private readonly context: ServiceContext,
    @Inject(GATEWAY_OPTIONS) private readonly options: NodeGatewayOptions,
  ) {}

  onApplicationBootstrap(): void {
    if (this.fleet.shard.replicas === 1) return;
    this.fleet.onNodeConnected((nodeId) => {
      this.ensure(nodeId);
    });
    // A node this replica stops serving (another replica owns it now): stop reading its commands.
    this.fleet.onNodeReleased((nodeId) => {
      void this.unbind(nodeId);
    });
  }

  private async unbind(nodeId: string): Promise<void> {
    const server = this.servers.get(nodeId);
    if (server === undefined) return;
    this.servers.delete(nodeId);
    await (await server)?.close();
  }

  async onModuleDestroy(): Promise<void> {
    const servers = await Promise.all(this.servers.values());
    await Promise.all(servers.map(async (server) => server?.close()));
  }

  /** durables lists the per-node durables this replica has bound. */
  async durables(): Promise<string[]> {
    const bound: string[] = [];
    for (const [nodeId, server] of this.servers) if ((await server) !== undefined) bound.push(perNodeDurable(nodeId));
    return bound.sort();
  }

  private ensure(nodeId: string): void {
    if (this.servers.has(nodeId)) return;
    this.servers.set(nodeId, this.bind(nodeId));
  }

  private async bind(nodeId: string): Promise<JetStreamServer | undefined> {
    const { topology } = this.context;
    const server = new JetStreamServer({
      service: this.context.name,
      topology,
      connection: this.context.connection,
      provisionStreams: false,
      bindings: [
        {
          stream: topology.streamName('commands'),
          durable: perNodeDurable(nodeId),
          filterSubject: topology.commandSubject(nodeId, 'OpenChannel'),
          ackWaitMs: loadCommandAckWaitMs(this.context.env),
          ...(this.options.commandRedelivery !== undefined ? { redelivery: this.options.commandRedelivery } : {}),
        },
      ],
    });
    server.addHandler(
      'OpenChannel',
      (data: MessageByType<'OpenChannel'>, context?: JetStreamContext) => this.executor.handle(data, context?.deliveryCount ?? 1),
      true,
    );
    try {
      await new Promise<void>((resolve, reject) => {
        void server.listen((error?: unknown) => {
          if (error === undefined) resolve();
          else reject(error instanceof Error ? error : new Error('the consumer did not start'));
        });
      });
      return server;
    } catch (error) {
      this.logger.error(`cannot consume the commands of node ${nodeId} (will retry on its next connect): ${error instanceof Error ? error.message : String(error)}`);
      this.servers.delete(nodeId);
      return undefined;
    }
  }
}
