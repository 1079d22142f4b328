import { BaseRpcContext } from '@nestjs/microservices';

/** DeliveryFacts is what a handler may need to know about the message it is handling. */
export interface DeliveryFacts {
  readonly stream: string;
  readonly consumer: string;
  readonly subject: string;
  /** streamSequence is the message's global position; projections store it to stay idempotent. */
  readonly streamSequence: number;
  /** deliveryCount is 1 on first delivery, more on redeliveries. */
  readonly deliveryCount: number;
  /** publishedAtMs is when JetStream stored the message. */
  readonly publishedAtMs: number;
}

/** JetStreamContext is the second argument of every `@EventPattern` handler (`@Ctx()`). */
export class JetStreamContext extends BaseRpcContext<[DeliveryFacts]> {
  get facts(): DeliveryFacts {
    return this.args[0];
  }

  get streamSequence(): number {
    return this.args[0].streamSequence;
  }

  get subject(): string {
    return this.args[0].subject;
  }

  get deliveryCount(): number {
    return this.args[0].deliveryCount;
  }
}
