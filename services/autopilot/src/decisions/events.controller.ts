/**
 * AutopilotEventsController feeds the node facts and policies the autopilot folds to the engine.
 * A handler that throws (database or NATS unavailable) makes the transport retry the message
 * with backoff; the engine's idempotency makes the retry safe. A redelivered message tells the
 * engine an earlier attempt may have published a decision for its node.
 */
import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { MessageByType } from '@lnfleet/contracts';
import { JetStreamContext, OnMessage } from '@lnfleet/messaging';
import { AutopilotEngine } from './autopilot-engine.js';

@Controller()
export class AutopilotEventsController {
  constructor(private readonly engine: AutopilotEngine) {}

  @OnMessage('ChannelOpenPending')
  async channelOpenPending(@Payload() message: MessageByType<'ChannelOpenPending'>, @Ctx() context: JetStreamContext): Promise<void> {
    await this.engine.onEvent({ message, sequence: context.streamSequence }, 'events', context.deliveryCount > 1);
  }

  @OnMessage('ChannelOpened')
  async channelOpened(@Payload() message: MessageByType<'ChannelOpened'>, @Ctx() context: JetStreamContext): Promise<void> {
    await this.engine.onEvent({ message, sequence: context.streamSequence }, 'events', context.deliveryCount > 1);
  }

  @OnMessage('ChannelClosed')
  async channelClosed(@Payload() message: MessageByType<'ChannelClosed'>, @Ctx() context: JetStreamContext): Promise<void> {
    await this.engine.onEvent({ message, sequence: context.streamSequence }, 'events', context.deliveryCount > 1);
  }

  @OnMessage('ChannelOpenRequested')
  async channelOpenRequested(@Payload() message: MessageByType<'ChannelOpenRequested'>, @Ctx() context: JetStreamContext): Promise<void> {
    await this.engine.onEvent({ message, sequence: context.streamSequence }, 'events', context.deliveryCount > 1);
  }

  @OnMessage('ChannelOpenFailed')
  async channelOpenFailed(@Payload() message: MessageByType<'ChannelOpenFailed'>, @Ctx() context: JetStreamContext): Promise<void> {
    await this.engine.onEvent({ message, sequence: context.streamSequence }, 'events', context.deliveryCount > 1);
  }

  @OnMessage('BalanceChanged')
  async balanceChanged(@Payload() message: MessageByType<'BalanceChanged'>, @Ctx() context: JetStreamContext): Promise<void> {
    await this.engine.onEvent({ message, sequence: context.streamSequence }, 'events', context.deliveryCount > 1);
  }

  @OnMessage('NodeStateSnapshot')
  async nodeStateSnapshot(@Payload() message: MessageByType<'NodeStateSnapshot'>, @Ctx() context: JetStreamContext): Promise<void> {
    await this.engine.onEvent({ message, sequence: context.streamSequence }, 'events', context.deliveryCount > 1);
  }

  @OnMessage('AutopilotDecision')
  async autopilotDecision(@Payload() message: MessageByType<'AutopilotDecision'>, @Ctx() context: JetStreamContext): Promise<void> {
    await this.engine.onEvent({ message, sequence: context.streamSequence }, 'derived', context.deliveryCount > 1);
  }

  @OnMessage('PeerFitnessChanged')
  async peerFitnessChanged(@Payload() message: MessageByType<'PeerFitnessChanged'>, @Ctx() context: JetStreamContext): Promise<void> {
    await this.engine.onEvent({ message, sequence: context.streamSequence }, 'derived', context.deliveryCount > 1);
  }

  @OnMessage('AutopilotPolicySet')
  async autopilotPolicySet(@Payload() message: MessageByType<'AutopilotPolicySet'>, @Ctx() context: JetStreamContext): Promise<void> {
    await this.engine.onEvent({ message, sequence: context.streamSequence }, 'derived', context.deliveryCount > 1);
  }
}
