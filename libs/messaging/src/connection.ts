import { readFile } from 'node:fs/promises';
import {
  credsAuthenticator,
  nkeyAuthenticator,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
  type Authenticator,
  type ConnectionOptions,
  type NatsConnection,
} from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { redactUrl, type NatsConnectionConfig } from '@lnfleet/config';

/** NatsUnavailableError says NATS could not be reached at start, and where it was looked for. */
export class NatsUnavailableError extends Error {
  override readonly name = 'NatsUnavailableError';
  /** servers are the URLs tried, with any password in them hidden (errors get logged). */
  readonly servers: readonly string[];
  constructor(servers: readonly string[], cause: unknown) {
    const shown = servers.map(redactUrl);
    super(
      `cannot connect to NATS at ${shown.join(', ')}: ${cause instanceof Error ? cause.message : String(cause)}. ` +
        'Is nats-server running with JetStream (-js)? Set NATS_URL to point elsewhere.',
      { cause },
    );
    this.servers = shown;
  }
}

/**
 * connectNats opens a connection that reconnects forever once established: a service outlives a
 * NATS restart. The first connection attempt fails fast with a NatsUnavailableError instead.
 */
export async function connectNats(config: NatsConnectionConfig, name: string): Promise<NatsConnection> {
  const options: ConnectionOptions = {
    servers: [...config.servers],
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1_000,
    timeout: 5_000,
    // Without this every request and publish builds an Error up front for its stack trace in
    // case it fails: a few percent of a busy service's CPU. Failures still say what failed.
    noAsyncTraces: true,
    authenticator: await authenticatorFor(config.auth),
  };
  if (config.tls !== undefined) {
    options.tls = {
      ...(config.tls.caFile !== undefined ? { caFile: config.tls.caFile } : {}),
      ...(config.tls.certFile !== undefined ? { certFile: config.tls.certFile } : {}),
      ...(config.tls.keyFile !== undefined ? { keyFile: config.tls.keyFile } : {}),
    };
  }
  try {
    return await connect(options);
  } catch (cause) {
    throw new NatsUnavailableError(config.servers, cause);
  }
}

async function authenticatorFor(auth: NatsConnectionConfig['auth']): Promise<Authenticator | undefined> {
  switch (auth.kind) {
    case 'none':
      return undefined;
    case 'userPassword':
      return usernamePasswordAuthenticator(auth.user, auth.password);
    case 'token':
      return tokenAuthenticator(auth.token);
    case 'nkey':
      return nkeyAuthenticator(new TextEncoder().encode(auth.seed));
    case 'credsFile':
      return credsAuthenticator(await readFile(auth.path));
    default: {
      const unreachable: never = auth;
      return unreachable;
    }
  }
}
