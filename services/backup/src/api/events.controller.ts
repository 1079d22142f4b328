/**
 * BackupEventsController feeds the node facts the backup service folds to the engine. A handler
 * that throws (database, disk or NATS unavailable) makes the transport retry the message with
 * backoff; the engine's idempotency makes the retry safe.
 */
import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { MessageByType } from '@lnfleet/contracts';
import { JetStreamContext, OnMessage } from '@lnfleet/messaging';
import { BackupEngine } from '../engine/backup-engine.js';

@Controller()
export class BackupEventsController {
  constructor(private readonly engine: BackupEngine) {}

  @OnMessage('NodeStateSnapshot')
  async nodeStateSnapshot(@Payload() message: MessageByType<'NodeStateSnapshot'>, @Ctx() context: JetStreamContext): Promise<void> {
    await this.engine.onChannelEvent(message, context.streamSequence);
  }

  @OnMessage('ChannelOpenPending')
  async channelOpenPending(@Payload() message: MessageByType<'ChannelOpenPending'>, @Ctx() context: JetStreamContext): Promise<void> {
    await this.engine.onChannelEvent(message, context.streamSequence);
  }

  @OnMessage('ChannelOpened')
  async channelOpened(@Payload() message: MessageByType<'ChannelOpened'>, @Ctx() context: JetStreamContext): Promise<void> {
    await this.engine.onChannelEvent(message, context.streamSequence);
  }

  @OnMessage('ChannelClosed')
  async channelClosed(@Payload() message: MessageByType<'ChannelClosed'>, @Ctx() context: JetStreamContext): Promise<void> {
    await this.engine.onChannelEvent(message, context.streamSequence);
  }

  @OnMessage('ChannelResolved')
  async channelResolved(@Payload() message: MessageByType<'ChannelResolved'>, @Ctx() context: JetStreamContext): Promise<void> {
    await this.engine.onChannelEvent(message, context.streamSequence);
  }

  @OnMessage('ChannelBackupUpdated')
  async channelBackupUpdated(@Payload() message: MessageByType<'ChannelBackupUpdated'>, @Ctx() context: JetStreamContext): Promise<void> {
    await this.engine.onOwnBackup(message, context.streamSequence);
  }
}
