import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Msg, Subscription } from '@nats-io/nats-core';
import { ServiceContext } from '@lnfleet/service-kit';
import { errorAnswer, FitnessQueries, InvalidQueryError } from './fitness-queries.js';

/** QueryName names the queries answered over NATS (the last token of their subject). */
export type QueryName = 'channel' | 'peer' | 'peers';

/** QUERY_NAMES lists them. */
export const QUERY_NAMES: readonly QueryName[] = ['channel', 'peer', 'peers'];

/** QueryReply is the JSON a requester gets back: the answer, or the error with an HTTP-style status. */
export type QueryReply<T = unknown> =
  | { readonly ok: true; readonly result: T }
  | { readonly ok: false; readonly status: number; readonly error: { readonly code: string; readonly message: string; readonly field?: string } };

/** QUEUE_GROUP makes replicas share the query subjects: each request is answered once. */
const QUEUE_GROUP = 'chanfitness';

/**
 * QueryResponder answers the queries over core NATS request/reply on
 * `Topology.querySubject('chanfitness', 'channel' | 'peer' | 'peers')`. A request is the JSON
 * query (the same fields as the HTTP API, e.g. `{"nodeId": ..., "peer": ..., "windowMs": 3600000}`);
 * the reply is a QueryReply. Unknown node, peer or channel reply `ok: false, status: 404`.
 */
@Injectable()
export class QueryResponder implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('chanfitness-nats-queries');
  private readonly subscriptions: Subscription[] = [];
  private readonly decoder = new TextDecoder();
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly context: ServiceContext,
    private readonly queries: FitnessQueries,
  ) {}

  onApplicationBootstrap(): void {
    for (const name of QUERY_NAMES) {
      const subject = this.context.topology.querySubject('chanfitness', name);
      this.subscriptions.push(
        this.context.connection.subscribe(subject, {
          queue: QUEUE_GROUP,
          callback: (error, msg) => {
            if (error !== null) {
              this.logger.warn(`subscription to ${subject} failed: ${error.message}`);
              return;
            }
            void this.answer(name, msg);
          },
        }),
      );
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Answer what has arrived, then stop taking requests; other replicas keep answering.
    await Promise.all(this.subscriptions.splice(0).map(async (subscription) => subscription.drain().catch(() => undefined)));
  }

  private async answer(name: QueryName, msg: Msg): Promise<void> {
    let reply: QueryReply;
    try {
      const input = this.parse(msg.data);
      const result = name === 'channel' ? await this.queries.channel(input) : name === 'peer' ? await this.queries.peer(input) : await this.queries.peers(input);
      reply = { ok: true, result };
    } catch (error) {
      const answer = errorAnswer(error);
      if (answer.status >= 500) this.logger.error(`${name} query failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      reply = { ok: false, status: answer.status, error: answer.body.error };
    }
    if (msg.reply === undefined || msg.reply === '') return;
    msg.respond(this.encoder.encode(JSON.stringify(reply)));
  }

  private parse(data: Uint8Array): unknown {
    try {
      return JSON.parse(this.decoder.decode(data)) as unknown;
    } catch {
      throw new InvalidQueryError('(request)', 'must be a JSON object');
    }
  }
}
