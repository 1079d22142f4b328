import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { NodeFleet, type NodeHealth } from './fleet.js';

/** FleetHealth is the health endpoint's answer: overall state and each node's connection. */
export interface FleetHealth {
  /** status is 'ok' when every node is connected (or none is configured) and no replica disagrees on the replica count, else 'degraded'. */
  readonly status: 'ok' | 'degraded';
  readonly nodes: readonly NodeHealth[];
  /** conflicts, present when there are some, describe live replicas started with another NODE_GATEWAY_REPLICAS. */
  readonly conflicts?: readonly string[];
}

/**
 * HealthController reports each node's connection state. GET /health always answers 200 (the
 * process is alive; use it as the liveness probe). GET /health/ready answers 503 while any node
 * this replica serves is not connected (the readiness probe); nodes another replica serves
 * (`not-owner`, e.g. during a rollout of a new replica count) do not hold readiness back, so that
 * the rollout can go on and restart the replica that still holds them.
 */
@Controller('health')
export class HealthController {
  constructor(private readonly fleet: NodeFleet) {}

  @Get()
  health(): FleetHealth {
    const nodes = this.fleet.health();
    const conflicts = this.fleet.conflicts;
    const ok = conflicts.length === 0 && nodes.every((n) => n.status === 'connected');
    return { status: ok ? 'ok' : 'degraded', nodes, ...(conflicts.length > 0 ? { conflicts } : {}) };
  }

  @Get('ready')
  ready(): FleetHealth {
    const answer = this.health();
    if (!answer.nodes.every((n) => n.status === 'connected' || n.status === 'not-owner')) throw new ServiceUnavailableException(answer);
    return answer;
  }
}
