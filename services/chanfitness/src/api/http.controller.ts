import { Catch, Controller, Get, Logger, Param, Query, UseFilters, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { FitnessEventStore, type ProjectionStats } from '../projection/event-store.js';
import { FitnessProjection, type ProjectionCounters } from '../projection/fitness-projection.js';
import { FitnessSignals } from '../signals/fitness-signals.js';
import { errorAnswer, FitnessQueries, type ChannelAnswer, type PeerAnswer, type PeersAnswer } from './fitness-queries.js';

/** HttpResponse is the part of the platform's response object the filter uses. */
interface HttpResponse {
  status(code: number): { json(body: unknown): void };
}

/** QueryErrorFilter answers failed queries with errorAnswer's status and body (404 for unknown node, peer, channel). */
@Catch()
export class QueryErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('chanfitness-http');

  catch(error: unknown, host: ArgumentsHost): void {
    const answer = errorAnswer(error);
    if (answer.status >= 500) this.logger.error(`query failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    host.switchToHttp().getResponse<HttpResponse>().status(answer.status).json(answer.body);
  }
}

/**
 * FitnessHttpController serves the queries over HTTP:
 *
 * - `GET /nodes/:nodeId/channels/:channelPoint[?at=]`: lifetime and uptime of a channel
 * - `GET /nodes/:nodeId/peers/:peer[?windowMs=&at=]`: flap count, last flap, uptime ratio, fitness
 * - `GET /nodes/:nodeId/peers[?windowMs=&at=&limit=]`: peers ranked by fitness
 * - `GET /status`: what the projection holds (nodes, events, highest stream sequence), what this
 *   replica did (counters) and how many PeerFitnessChanged it published
 *
 * Unknown node, peer or channel answer 404 with `{ error: { code, message } }`; bad input 400.
 */
@Controller()
@UseFilters(QueryErrorFilter)
export class FitnessHttpController {
  constructor(
    private readonly queries: FitnessQueries,
    private readonly store: FitnessEventStore,
    private readonly projection: FitnessProjection,
    private readonly signals: FitnessSignals,
  ) {}

  @Get('nodes/:nodeId/channels/:channelPoint')
  channel(@Param('nodeId') nodeId: string, @Param('channelPoint') channelPoint: string, @Query() query: Record<string, unknown>): Promise<ChannelAnswer> {
    return this.queries.channel({ ...query, nodeId, channelPoint });
  }

  @Get('nodes/:nodeId/peers/:peer')
  peer(@Param('nodeId') nodeId: string, @Param('peer') peer: string, @Query() query: Record<string, unknown>): Promise<PeerAnswer> {
    return this.queries.peer({ ...query, nodeId, peer });
  }

  @Get('nodes/:nodeId/peers')
  peers(@Param('nodeId') nodeId: string, @Query() query: Record<string, unknown>): Promise<PeersAnswer> {
    return this.queries.peers({ ...query, nodeId });
  }

  @Get('status')
  async status(): Promise<ProjectionStats & { counters: ProjectionCounters; fitnessChangesPublished: number }> {
    return { ...(await this.store.stats()), counters: this.projection.counters(), fitnessChangesPublished: this.signals.publishedCount };
  }
}
