import { Controller, Get, Injectable, Module, NotFoundException } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { ConfigError } from '@lnfleet/config';
import { createMessage, deterministicId, PeerOffline, PeerOnline, type MessageByType } from '@lnfleet/contracts';
import { OnMessage, readDeadLetter, type JetStreamContext } from '@lnfleet/messaging';
import { testInfrastructure, uniqueName, waitFor } from '@lnfleet/testing';
import { bootstrapService, describeConnections, ServiceContext, type RunningService, type ServiceDefinition } from './runtime.js';

const NODE = `02${'c'.repeat(64)}`;

/** Seen is one provider shared by the HTTP controller and the message handler. */
@Injectable()
class Seen {
  readonly sequences: number[] = [];
}

@Controller()
class HybridController {
  constructor(
    private readonly seen: Seen,
    private readonly context: ServiceContext,
  ) {}

  @Get('seen')
  list(): { service: string; sequences: number[]; greeting: string | undefined } {
    return { service: this.context.name, sequences: this.seen.sequences, greeting: this.context.env.KIT_GREETING };
  }

  @Get('missing')
  missing(): never {
    throw new NotFoundException('no such thing');
  }

  @Get('broken')
  broken(): never {
    throw new Error('secret internals');
  }

  @OnMessage('PeerOffline')
  onPeerOffline(@Payload() message: MessageByType<'PeerOffline'>): never {
    throw new Error(`handler failed on ${message.id}`);
  }

  @OnMessage('PeerOnline')
  onPeerOnline(@Payload() _message: MessageByType<'PeerOnline'>, @Ctx() context: JetStreamContext): void {
    this.seen.sequences.push(context.streamSequence);
  }
}

@Module({ controllers: [HybridController], providers: [Seen] })
class HybridModule {}

const definition: ServiceDefinition = {
  name: 'kit-http',
  module: HybridModule,
  database: {},
  bindings: (topology, env) => [
    { stream: topology.streamName('events'), durable: env.KIT_DURABLE ?? 'kit-http', redelivery: { maxDeliveries: 1 } },
  ],
  http: { defaultPort: 18_080 },
};

/** stopAndClean stops the service, then deletes its streams and schema over connections of its own. */
async function stopAndClean(service: RunningService): Promise<void> {
  await service.stop();
  const { natsUrl, databaseUrl } = await testInfrastructure();
  const connection = await connect({ servers: natsUrl });
  const jsm = await jetstreamManager(connection);
  for (const spec of Object.values(service.context.topology.streams())) await jsm.streams.delete(spec.name);
  await connection.close();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`DROP SCHEMA "${(service.context.dataSource.options as { schema: string }).schema}" CASCADE`);
  await client.end();
}

describe('bootstrapService with an HTTP API', () => {
  it('serves HTTP and consumes JetStream with one set of providers, then closes the port', async () => {
    const { natsUrl, databaseUrl } = await testInfrastructure();
    const env = {
      NATS_URL: natsUrl,
      DATABASE_URL: databaseUrl,
      LNFLEET_NAMESPACE: uniqueName('kithttp'),
      DATABASE_SCHEMA: uniqueName('kithttp'),
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      KIT_DURABLE: 'kit-http-from-env',
      KIT_GREETING: 'hello',
    };
    const service = await bootstrapService(definition, env, { logger: false });
    const http = service.http;
    if (http === undefined) throw new Error('the service has no HTTP endpoint');
    try {
      expect(http.port).toBeGreaterThan(0);
      expect(http.url).toBe(`http://127.0.0.1:${http.port}`);
      expect(describeConnections(service, env)).toMatch(new RegExp(`; HTTP on port ${http.port}$`));
      expect(Object.keys(service.server.counters())).toEqual([`${service.context.topology.streamName('events')}/kit-http-from-env`]);

      const message = createMessage(PeerOnline, { id: deterministicId('PeerOnline', NODE, 1), nodeId: NODE, occurredAt: '2026-01-01T00:00:00.000Z', causationId: null, data: { peer: NODE } });
      const receipt = await service.context.publisher.publish(message);
      const body = await waitFor(
        'the handled message to show over HTTP',
        async () => (await fetch(`${http.url}/seen`)).json() as Promise<{ sequences: number[] }>,
        (seen) => seen.sequences.length === 1,
      );
      expect(body).toEqual({ service: 'kit-http', sequences: [receipt.sequence], greeting: 'hello' });

      // HTTP errors get Nest's usual answers; a handler's error reaches the transport unchanged.
      const missing = await fetch(`${http.url}/missing`);
      expect({ status: missing.status, body: (await missing.json()) }).toEqual({
        status: 404,
        body: { statusCode: 404, message: 'no such thing', error: 'Not Found' },
      });
      const broken = await fetch(`${http.url}/broken`);
      expect({ status: broken.status, body: (await broken.json()) }).toEqual({
        status: 500,
        body: { statusCode: 500, message: 'Internal server error' },
      });
      const failing = createMessage(PeerOffline, { id: 'failing-1', nodeId: NODE, occurredAt: '2026-01-01T00:00:00.000Z', causationId: null, data: { peer: NODE } });
      await service.context.publisher.publish(failing);
      await waitFor('the failing message to be dead-lettered', () => Object.values(service.server.counters())[0]?.deadLettered ?? 0, (n) => n === 1);
      const jsm = await jetstreamManager(service.context.connection);
      const letter = await jsm.streams.getMessage(service.context.topology.streamName('deadLetter'), { seq: 1 });
      if (letter === null) throw new Error('no dead letter stored');
      expect(readDeadLetter(letter).error).toContain('handler failed on failing-1');
    } finally {
      await stopAndClean(service);
    }
    await expect(fetch(`${http.url}/seen`)).rejects.toThrow();
    expect(service.context.connection.isClosed()).toBe(true);
  });

  it('fails before connecting when HTTP_PORT is invalid, naming the variable', async () => {
    const attempt = bootstrapService(definition, { NATS_URL: 'nats://127.0.0.1:1', HTTP_PORT: '70000' }, { logger: false });
    await expect(attempt).rejects.toThrow(ConfigError);
    await expect(attempt).rejects.toThrow(/HTTP_PORT/);
  });

  it('does not open a port for a service without http', async () => {
    const { natsUrl, databaseUrl } = await testInfrastructure();
    const { http: _http, ...withoutHttp } = definition;
    const service = await bootstrapService(
      { ...withoutHttp, name: 'kit-nohttp' },
      { NATS_URL: natsUrl, DATABASE_URL: databaseUrl, LNFLEET_NAMESPACE: uniqueName('kitnohttp'), DATABASE_SCHEMA: uniqueName('kitnohttp') },
      { logger: false },
    );
    try {
      expect(service.http).toBeUndefined();
      expect(service.context.env.NATS_URL).toBe(natsUrl);
    } finally {
      await stopAndClean(service);
    }
  });
});
