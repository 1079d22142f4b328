import { Catch, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { throwError, type Observable } from 'rxjs';
import { z } from 'zod';
import { parseEnv, type Env } from '@lnfleet/config';

/** HttpOptions turns on a service's HTTP API (its Nest controllers with HTTP routes). */
export interface HttpOptions {
  /** defaultPort is used when HTTP_PORT is unset; give each service its own so they can share a host. */
  readonly defaultPort: number;
}

/** HttpConfig is where a service's HTTP API listens. */
export interface HttpConfig {
  /** port is the TCP port; 0 picks a free one (tests), the chosen port is reported once listening. */
  readonly port: number;
  /** host is the interface to bind; 0.0.0.0 (default) so probes and peers in a pod network reach it. */
  readonly host: string;
}

const port = z.coerce
  .number()
  .int('must be a whole number')
  .min(0, 'must be a port number from 0 to 65535')
  .max(65_535, 'must be a port number from 0 to 65535');

/** HttpEnv names the HTTP variables (HTTP_PORT's default is the service's own, see loadHttpConfig). */
export const HttpEnv = z.object({
  HTTP_PORT: port.optional(),
  HTTP_HOST: z.string().min(1).max(255).default('0.0.0.0'),
});

/**
 * loadHttpConfig reads HTTP_PORT (0-65535, default `defaultPort`) and HTTP_HOST (default 0.0.0.0),
 * throwing a ConfigError that names the variable when one is invalid.
 */
export function loadHttpConfig(env: Env, defaultPort: number): HttpConfig {
  const parsed = parseEnv(HttpEnv.extend({ HTTP_PORT: port.default(defaultPort) }), env);
  return { port: parsed.HTTP_PORT, host: parsed.HTTP_HOST };
}

/**
 * HybridExceptionFilter is the global filter of a service with both transports: errors of message
 * handlers go to the JetStream transport unchanged (as RethrowingRpcExceptionFilter does, so retry
 * logs and dead letters keep the real cause), and HTTP errors get Nest's usual HTTP answers.
 */
@Catch()
export class HybridExceptionFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): Observable<never> | undefined {
    if (host.getType() === 'rpc') return throwError(() => exception);
    super.catch(exception, host);
    return undefined;
  }
}
