import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { MessageByType } from '@lnfleet/contracts';
import { JetStreamContext, OnMessage } from '@lnfleet/messaging';
import { OpenChannelExecutor } from './open-channel.executor.js';

/** OpenChannelController feeds OpenChannel commands from the shared `node-gateway` durable (single replica) to the executor. */
@Controller()
export class OpenChannelController {
  constructor(private readonly executor: OpenChannelExecutor) {}

  @OnMessage('OpenChannel')
  async onOpenChannel(@Payload() command: MessageByType<'OpenChannel'>, @Ctx() delivery: JetStreamContext): Promise<void> {
    await this.executor.handle(command, delivery.deliveryCount);
  }
}
