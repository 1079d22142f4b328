import { Injectable, Logger } from '@nestjs/common';
import type { MessageByType } from '@lnfleet/contracts';
import { ServiceContext } from '@lnfleet/service-kit';
import { checkOpenChannel, failure, openRequestOf, outcomeEvent, outcomeOfResult, recoverInterrupted, type OpenOutcome } from '../gateway/open-channel.js';
import { CommandLedger } from '../store/command-ledger.js';
import { NodeFleet } from './fleet.js';

/**
 * GIVE_UP_AFTER_DELIVERIES is the delivery at which a command whose node is still not connected
 * is answered with ChannelOpenFailed (NODE_ERROR, retryable) instead of being retried again, so
 * that it is answered before the consumer's redelivery limit would dead-letter it unanswered.
 */
export const GIVE_UP_AFTER_DELIVERIES = 8;

/** NodeNotReadyError says the command's node is configured but not connected yet; the command is retried. */
export class NodeNotReadyError extends Error {
  override readonly name = 'NodeNotReadyError';
}

/**
 * OpenChannelExecutor executes OpenChannel commands at most once per command id (through the
 * CommandLedger) and answers each with ChannelOpenRequested or ChannelOpenFailed. A redelivered or
 * duplicated command republishes its recorded outcome, whose deterministic id JetStream drops.
 * Both the shared consumer (one replica) and the per-node consumers (sharded) feed it.
 */
@Injectable()
export class OpenChannelExecutor {
  private readonly logger = new Logger('OpenChannel');

  constructor(
    private readonly fleet: NodeFleet,
    private readonly ledger: CommandLedger,
    private readonly context: ServiceContext,
  ) {}

  /** handle executes (or answers again) one delivery of a command; it throws to have it retried. */
  async handle(command: MessageByType<'OpenChannel'>, deliveryCount: number): Promise<void> {
    const target = this.fleet.lookup(command.nodeId);
    const notReady =
      target.kind === 'not-ready'
        ? `node ${command.nodeId} may be one of the nodes still connecting`
        : target.kind === 'managed' && target.session.status !== 'connected'
          ? `node ${target.session.configId} is ${target.session.status}`
          : undefined;
    const givingUp = notReady !== undefined && deliveryCount >= GIVE_UP_AFTER_DELIVERIES;
    if (notReady !== undefined && !givingUp) throw new NodeNotReadyError(notReady);
    const managed = target.kind === 'managed' ? target.session : undefined;
    const { outcome, path } = await this.ledger.run(command.id, command.nodeId, {
      execute: async (): Promise<OpenOutcome> => {
        if (givingUp) return failure('NODE_ERROR', `${notReady} after ${deliveryCount} deliveries`, this.fleet.now());
        const refusal = checkOpenChannel(command, managed !== undefined, this.fleet.channelSize, this.fleet.now());
        if (refusal !== null || managed === undefined) return refusal ?? failure('NODE_NOT_MANAGED', 'not managed here', this.fleet.now());
        return outcomeOfResult(await managed.node.openChannel(openRequestOf(command)), this.fleet.now());
      },
      recover: async (claimed): Promise<OpenOutcome> => {
        if (managed === undefined) return failure('NODE_NOT_MANAGED', `node ${command.nodeId} is not managed by this gateway`, this.fleet.now());
        const channels = [...(await managed.node.pendingChannels()), ...(await managed.node.listChannels())];
        return recoverInterrupted(command, channels, claimed, this.fleet.now());
      },
    });
    if (path !== 'recorded') {
      this.logger.log(`${command.id} (delivery ${deliveryCount}) for node ${command.nodeId}: ${outcome.kind === 'requested' ? `opening ${outcome.channelPoint}` : `failed: ${outcome.reason}`}${path === 'recovered' ? ' (recovered after an interrupted execution)' : ''}`);
    }
    await this.context.publisher.publish(outcomeEvent(command, outcome));
  }
}
