import { Controller, Get, Inject, Optional, ServiceUnavailableException } from '@nestjs/common';
import { ServiceContext } from './runtime.js';

/** ServiceReadiness is the readiness probe's answer: whether NATS and PostgreSQL answer this replica. */
export interface ServiceReadiness {
  readonly status: 'ok' | 'unavailable';
  readonly nats: 'connected' | 'unreachable';
  readonly database: 'reachable' | 'unreachable';
  /** checks holds the service's own readiness conditions (see READINESS_CHECKS), by name, when it has any. */
  readonly checks?: Readonly<Record<string, ReadinessState>>;
}

/** ReadinessState is one of a service's own readiness conditions: met or not, and what it found. */
export interface ReadinessState {
  readonly ready: boolean;
  readonly detail: string;
}

/** ReadinessCheck is a condition a service needs besides NATS and PostgreSQL to do its work (e.g. the autopilot's channel graph). */
export interface ReadinessCheck {
  readonly name: string;
  check(): ReadinessState;
}

/** READINESS_CHECKS provides a service's {@link ReadinessCheck}s to the ServiceHealthController (optional). */
export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

/** READINESS_TIMEOUT_MS bounds each check, so a probe answers before Kubernetes' own timeout (1 s default, we set 3 s). */
const READINESS_TIMEOUT_MS = 2_000;

/**
 * ServiceHealthController gives a service with an HTTP API the probes Kubernetes and compose use:
 * GET /health answers 200 while the process serves HTTP (liveness); GET /health/ready answers
 * 200 when a NATS round trip and a PostgreSQL query succeed and the service's own
 * READINESS_CHECKS (if it provides any) are met, else 503 with what failed (readiness). A service adds it to its module's controllers (the node-gateway has its own,
 * which also reports each node's connection).
 */
@Controller('health')
export class ServiceHealthController {
  constructor(
    private readonly context: ServiceContext,
    @Optional() @Inject(READINESS_CHECKS) private readonly checks: readonly ReadinessCheck[] | null = null,
  ) {}

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
    const own = (this.checks ?? []).map((check) => [check.name, check.check()] as const);
    const answer: ServiceReadiness = {
      status: nats && database && own.every(([, state]) => state.ready) ? 'ok' : 'unavailable',
      nats: nats ? 'connected' : 'unreachable',
      database: database ? 'reachable' : 'unreachable',
      ...(own.length > 0 ? { checks: Object.fromEntries(own) } : {}),
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
