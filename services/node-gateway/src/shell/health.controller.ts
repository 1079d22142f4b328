import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { NodeFleet, type NodeHealth } from './fleet.js';

/** FleetHealth is the health endpoint's answer: overall state and each node's connection. */
export interface FleetHealth {
  /** status is 'ok' when every node is connected (or none is configured), else 'degraded'. */
  readonly status: 'ok' | 'degraded';
  readonly nodes: readonly NodeHealth[];
}

/**
 * HealthController reports each node's connection state. GET /health always answers 200 (the
 * process is alive; use it as the liveness probe); GET /health/ready answers 503 while any node
 * is not connected (the readiness probe).
 */
@Controller('health')
export class HealthController {
  constructor(private readonly fleet: NodeFleet) {}

  @Get()
  health(): FleetHealth {
    const nodes = this.fleet.health();
    return { status: nodes.every((n) => n.status === 'connected') ? 'ok' : 'degraded', nodes };
  }

  @Get('ready')
  ready(): FleetHealth {
    const answer = this.health();
    if (answer.status !== 'ok') throw new ServiceUnavailableException(answer);
    return answer;
  }
}
