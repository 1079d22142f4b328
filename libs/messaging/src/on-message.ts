import { EventPattern } from '@nestjs/microservices';
import type { MessageType } from '@lnfleet/contracts';

/**
 * OnMessage marks a controller method as the handler of one catalogued message type, e.g.
 * `@OnMessage('ChannelOpened') on(@Payload() m: MessageByType<'ChannelOpened'>, @Ctx() c: JetStreamContext)`.
 * Unlike a bare `@EventPattern('...')`, a misspelt type fails to compile.
 */
export function OnMessage(type: MessageType): MethodDecorator {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-arguments -- picks the untyped MethodDecorator overload
  return EventPattern<string>(type);
}
