import { Catch, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

/**
 * RethrowingRpcExceptionFilter hands a handler's error to the JetStream transport unchanged.
 * Nest's default RPC filter replaces unknown errors by "Internal server error", which would leave
 * the retry logs and dead letters without the real cause.
 */
@Catch()
export class RethrowingRpcExceptionFilter implements RpcExceptionFilter {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}
