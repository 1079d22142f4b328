import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ServiceContext } from './runtime.js';

/** ServiceReadiness is the readiness probe's answer: whether NATS and PostgreSQL answer this replica. */
export interface ServiceReadiness {
  readonly status: 'ok' | 'unavailable';
  readonly nats: 'connected' | 'unreachable';
  readonly database: 'reachable' | 'unreachable';
}

/** READINESS_TIMEOUT_MS bounds each check, so a probe answers before Kubernetes' own timeout (1 s default, we set 3 s). */
const READINESS_TIMEOUT_MS = 2_000;

/**
 * ServiceHealthController gives a service with an HTTP API the probes Kubernetes and compose use:
 * GET /health answers 200 while the process serves HTTP (liveness); GET /health/ready answers
 * 200 when a NATS round trip and a PostgreSQL query succeed, else 503 with what failed
 * (readiness). A service adds it to its module's controllers (the node-gateway has its own,
 * which also reports each node's connection).
 */
@Controller('health')
export class ServiceHealthController {
  constructor(private readonly context: ServiceContext) {}

  @Get()
  live(): { readonly status: 'ok'; readonly service: string } {
    return { status: 'ok', service: this.context.name };
  }

  @Get('ready')
  async ready(): Promise<ServiceReadiness> {
    const [nats, database] = await Promise.all([
      answersWithin(this.context.connection.rtt(), READINESS_TIMEOUT_MS),
      answersWithin(this.context.dataSource.query('SELECT 1'), READINESS_TIMEOUT_MS),
    ]);
    const answer: ServiceReadiness = {
      status: nats && database ? 'ok' : 'unavailable',
      nats: nats ? 'connected' : 'unreachable',
      database: database ? 'reachable' : 'unreachable',
    };
    if (answer.status !== 'ok') throw new ServiceUnavailableException(answer);
    return answer;
  }
}

/** answersWithin is true when the promise resolves before the timeout, false when it rejects or is late. */
async function answersWithin(promise: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => {
      resolve(false);
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise.then(() => true, () => false), late]);
  } finally {
    clearTimeout(timer);
  }
}
