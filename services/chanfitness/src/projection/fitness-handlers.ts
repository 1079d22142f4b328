import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { MessageByType } from '@lnfleet/contracts';
import { OnMessage, type JetStreamContext } from '@lnfleet/messaging';
import { FitnessProjection } from './fitness-projection.js';

/**
 * FitnessEventHandlers feed the node events the fitness store reacts to into the projection.
 * Each handler resolves once its event is stored, so the transport acknowledges only then; a
 * failed write makes it nak the message and try again later.
 */
@Controller()
export class FitnessEventHandlers {
  constructor(private readonly projection: FitnessProjection) {}

  @OnMessage('ChannelOpened')
  channelOpened(@Payload() message: MessageByType<'ChannelOpened'>, @Ctx() context: JetStreamContext): Promise<void> {
    return this.projection.record(message, context.streamSequence);
  }

  @OnMessage('ChannelClosed')
  channelClosed(@Payload() message: MessageByType<'ChannelClosed'>, @Ctx() context: JetStreamContext): Promise<void> {
    return this.projection.record(message, context.streamSequence);
  }

  @OnMessage('PeerOnline')
  peerOnline(@Payload() message: MessageByType<'PeerOnline'>, @Ctx() context: JetStreamContext): Promise<void> {
    return this.projection.record(message, context.streamSequence);
  }

  @OnMessage('PeerOffline')
  peerOffline(@Payload() message: MessageByType<'PeerOffline'>, @Ctx() context: JetStreamContext): Promise<void> {
    return this.projection.record(message, context.streamSequence);
  }

  @OnMessage('NodeStateSnapshot')
  nodeStateSnapshot(@Payload() message: MessageByType<'NodeStateSnapshot'>, @Ctx() context: JetStreamContext): Promise<void> {
    return this.projection.record(message, context.streamSequence);
  }
}
