import { execFile } from 'node:child_process';
import { connect as tcpConnect } from 'node:net';
import { promisify } from 'node:util';
import { DEFAULT_DATABASE_URL, DEFAULT_NATS_URL } from '@lnfleet/config';

/** TestInfrastructure is a real NATS (with JetStream) and a real PostgreSQL for integration tests. */
export interface TestInfrastructure {
  readonly natsUrl: string;
  readonly databaseUrl: string;
  /** source says where they came from: env vars, the local services, or containers. */
  readonly source: 'env' | 'local' | 'testcontainers';
}

/** InfrastructureUnavailableError says no NATS/Postgres could be found and what to do about it. */
export class InfrastructureUnavailableError extends Error {
  override readonly name = 'InfrastructureUnavailableError';
}

let shared: Promise<TestInfrastructure> | undefined;

/**
 * testInfrastructure finds NATS and Postgres for a test, in this order:
 * 1. `NATS_URL` / `DATABASE_URL` when set;
 * 2. the local services on 127.0.0.1:4222 and 127.0.0.1:5432;
 * 3. containers started with testcontainers when a Docker engine answers (stopped at exit);
 * otherwise it fails with a message saying what to install. One answer per test process.
 */
export function testInfrastructure(): Promise<TestInfrastructure> {
  shared ??= locate();
  return shared;
}

async function locate(): Promise<TestInfrastructure> {
  const envNats = nonEmpty(process.env.NATS_URL);
  const envDatabase = nonEmpty(process.env.DATABASE_URL);
  if (envNats !== undefined && envDatabase !== undefined) {
    return { natsUrl: envNats, databaseUrl: envDatabase, source: 'env' };
  }
  const natsUrl = envNats ?? ((await answers('127.0.0.1', 4222)) ? DEFAULT_NATS_URL : undefined);
  const databaseUrl = envDatabase ?? ((await answers('127.0.0.1', 5432)) ? DEFAULT_DATABASE_URL : undefined);
  if (natsUrl !== undefined && databaseUrl !== undefined) {
    return { natsUrl, databaseUrl, source: envNats !== undefined || envDatabase !== undefined ? 'env' : 'local' };
  }
  if (await dockerAnswers()) {
    return startContainers(natsUrl, databaseUrl);
  }
  const missing = [natsUrl === undefined ? 'NATS with JetStream on 127.0.0.1:4222 (nats-server -js)' : '', databaseUrl === undefined ? 'PostgreSQL on 127.0.0.1:5432' : '']
    .filter((part) => part !== '')
    .join(' and ');
  throw new InfrastructureUnavailableError(
    `integration tests need ${missing}. Start them (see README "Prerequisites"), set NATS_URL / DATABASE_URL, ` +
      'or run a Docker engine so testcontainers can start them.',
  );
}

async function startContainers(natsUrl: string | undefined, databaseUrl: string | undefined): Promise<TestInfrastructure> {
  // Loaded only here: testcontainers is for laptops with Docker and must not be needed otherwise.
  const { GenericContainer, Wait } = await import('testcontainers');
  let nats = natsUrl;
  let database = databaseUrl;
  if (nats === undefined) {
    const container = await new GenericContainer('nats:2.10-alpine').withCommand(['-js']).withExposedPorts(4222).withWaitStrategy(Wait.forLogMessage(/Server is ready/)).start();
    nats = `nats://${container.getHost()}:${container.getMappedPort(4222)}`;
  }
  if (database === undefined) {
    const container = await new GenericContainer('postgres:15-alpine')
      .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .start();
    database = `postgres://postgres@${container.getHost()}:${container.getMappedPort(5432)}/postgres`;
  }
  return { natsUrl: nats, databaseUrl: database, source: 'testcontainers' };
}

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port, timeout: 1_000 });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => {
      done(true);
    });
    socket.once('error', () => {
      done(false);
    });
    socket.once('timeout', () => {
      done(false);
    });
  });
}

async function dockerAnswers(): Promise<boolean> {
  try {
    await promisify(execFile)('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
