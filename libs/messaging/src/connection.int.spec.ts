import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection, Status } from '@nats-io/nats-core';
import { createUser } from '@nats-io/nkeys';
import { loadNatsConfig, type Env } from '@lnfleet/config';
import { createMessage, deterministicId, encodeMessage, PeerOnline, Topology, type MessageByType } from '@lnfleet/contracts';
import { testNats, uniqueName, waitFor, type TestNats } from '@lnfleet/testing';
import { connectNats, NatsUnavailableError } from './connection.js';
import { JetStreamPublisher, PublishFailedError } from './publisher.js';
import { ensureStreams } from './streams.js';

/*
 * These tests start their own nats-server processes (v2.9, as in production) on free ports of
 * 127.0.0.1, so they can configure auth and kill a server; each has JetStream in a temp store dir.
 */

const NODE = `02${'b'.repeat(64)}`;

function peerOnline(i: number): MessageByType<'PeerOnline'> {
  return createMessage(PeerOnline, {
    id: deterministicId('PeerOnline', NODE, i),
    nodeId: NODE,
    occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    causationId: null,
    data: { peer: `03${i.toString(16).padStart(64, '0')}` },
  });
}

/** natsServerBinary finds nats-server on PATH; its absence fails the suite instead of skipping it. */
function natsServerBinary(): string {
  try {
    const path = execFileSync('which', ['nats-server'], { encoding: 'utf8' }).trim();
    if (path !== '') return path;
  } catch {
    // Reported below.
  }
  throw new Error(
    'nats-server was not found on PATH (`which nats-server` found nothing). connection.int.spec.ts starts private ' +
      'nats-server processes (v2.9 with JetStream) to test authentication and restarts: install nats-server ' +
      '(apt-get install nats-server, or a release from https://github.com/nats-io/nats-server/releases) and put it on PATH.',
  );
}

/** freePort asks the kernel for a port that nothing listens on, then releases it. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  if (address === null || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}

/** answers says whether something accepts TCP connections on 127.0.0.1:port. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** PrivateNats is one nats-server child process this test file owns. */
interface PrivateNats {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** stop kills the server (SIGKILL simulates a crash) and waits until it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const servers = new Set<PrivateNats>();
const tempDirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lnfleet-nats-'));
  tempDirs.push(dir);
  return dir;
}

/** startNatsServer runs nats-server with JetStream and `args`, and resolves once its port answers. */
async function startNatsServer(binary: string, args: readonly string[], at: { port?: number; storeDir?: string } = {}): Promise<PrivateNats> {
  const port = at.port ?? (await freePort());
  const storeDir = at.storeDir ?? (await tempDir());
  const child: ChildProcess = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  child.once('error', (error) => (output += `spawn failed: ${error.message}\n`));
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const server: PrivateNats = {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      servers.delete(server);
      if (!hasExited()) {
        child.kill(signal);
        await exited;
      }
    },
  };
  servers.add(server);
  await waitFor(
    `nats-server ${args.join(' ')} to listen on 127.0.0.1:${port}`,
    async () => {
      if (hasExited()) throw new Error(`nats-server ${args.join(' ')} exited (${String(child.exitCode ?? child.signalCode)}) before listening:\n${output}`);
      return answers(port);
    },
    (ok) => ok,
    15_000,
  );
  return server;
}

/** statusSeen resolves when the connection reports a status of `type` (subscribe before causing it). */
function statusSeen(connection: NatsConnection, type: Status['type']): Promise<void> {
  const statuses = connection.status()[Symbol.asyncIterator]();
  return (async () => {
    for (;;) {
      const next = await statuses.next();
      if (next.done === true) throw new Error(`connection closed before a "${type}" status`);
      if (next.value.type === type) {
        await statuses.return?.();
        return;
      }
    }
  })();
}

/** roundTrip provisions a namespace's streams over `connection` and stores one message in JetStream. */
async function roundTrip(connection: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(connection);
  const topology = new Topology({ namespace: uniqueName('conn') });
  await ensureStreams(jsm, Object.values(topology.streams()));
  const publisher = new JetStreamPublisher(jetstream(connection), topology, { attempts: 3, retryDelayMs: 10 });
  const message = peerOnline(1);
  const receipt = await publisher.publish(message);
  expect(receipt).toEqual({ stream: topology.streamName('events'), sequence: 1, duplicate: false });
  const stored = await jsm.streams.getMessage(topology.streamName('events'), { seq: 1 });
  expect(stored?.subject).toBe(topology.nodeEventSubject(NODE, 'PeerOnline'));
  expect(stored?.data).toEqual(encodeMessage(message));
}

/** connectionError returns what connectNats rejected with, failing if it connected. */
async function connectionError(env: Env): Promise<NatsUnavailableError> {
  let connection: NatsConnection;
  try {
    connection = await connectNats(loadNatsConfig(env), 'lnfleet-test-rejected');
  } catch (error) {
    if (error instanceof NatsUnavailableError) return error;
    throw error;
  }
  await connection.close();
  throw new Error(`connected to ${env.NATS_URL ?? '(default)'} although it should have been refused`);
}

const connections: NatsConnection[] = [];

async function connected(env: Env, name: string): Promise<NatsConnection> {
  const connection = await connectNats(loadNatsConfig(env), name);
  connections.push(connection);
  return connection;
}

let binary = '';

/** needsNatsServer makes a describe block fail (not skip) when nats-server is not installed. */
function needsNatsServer(): void {
  beforeAll(() => {
    binary = natsServerBinary();
  });
}

afterAll(async () => {
  for (const connection of connections.splice(0)) await connection.close();
  for (const server of [...servers]) await server.stop();
  for (const dir of tempDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('connectNats with authentication (private nats-server processes)', () => {
  needsNatsServer();
  const AUTHORIZATION = /authori[sz]ation/i;

  describe('user and password', () => {
    let server: PrivateNats;
    beforeAll(async () => {
      server = await startNatsServer(binary, ['--user', 'alice', '--pass', 'secret']);
    });

    it('connects with the right password and stores a message in JetStream', async () => {
      await roundTrip(await connected({ NATS_URL: server.url, NATS_USER: 'alice', NATS_PASSWORD: 'secret' }, 'userpass'));
    });

    it('is refused with a wrong password, naming the server and the authorization failure', async () => {
      const error = await connectionError({ NATS_URL: server.url, NATS_USER: 'alice', NATS_PASSWORD: 'wrong-pw' });
      expect(error.message).toContain(server.url);
      expect(error.message).toMatch(AUTHORIZATION);
      expect(error.message).not.toContain('wrong-pw');
      expect(error.cause).toBeInstanceOf(Error);
    });

    it('is refused without credentials', async () => {
      expect((await connectionError({ NATS_URL: server.url })).message).toMatch(AUTHORIZATION);
    });
  });

  describe('token', () => {
    let server: PrivateNats;
    beforeAll(async () => {
      server = await startNatsServer(binary, ['--auth', 'tok123']);
    });

    it('connects with the right token and stores a message in JetStream', async () => {
      await roundTrip(await connected({ NATS_URL: server.url, NATS_TOKEN: 'tok123' }, 'token'));
    });

    it('is refused with a wrong token', async () => {
      const error = await connectionError({ NATS_URL: server.url, NATS_TOKEN: 'tok999' });
      expect(error.message).toMatch(AUTHORIZATION);
      expect(error.message).not.toContain('tok999');
    });

    it('is refused with a user and password instead of the token', async () => {
      expect((await connectionError({ NATS_URL: server.url, NATS_USER: 'alice', NATS_PASSWORD: 'secret' })).message).toMatch(AUTHORIZATION);
    });
  });

  describe('nkey', () => {
    const user = createUser();
    const seed = new TextDecoder().decode(user.getSeed());
    let server: PrivateNats;
    beforeAll(async () => {
      const dir = await tempDir();
      const port = await freePort();
      const configFile = join(dir, 'nkey.conf');
      await writeFile(configFile, `port: ${port}\nauthorization {\n  users = [\n    { nkey: ${user.getPublicKey()} }\n  ]\n}\n`);
      server = await startNatsServer(binary, ['-c', configFile], { port });
    });

    it('accepts a generated seed in NATS_NKEY_SEED', () => {
      expect(loadNatsConfig({ NATS_NKEY_SEED: seed }).auth).toEqual({ kind: 'nkey', seed });
    });

    it('connects with the user nkey seed and stores a message in JetStream', async () => {
      await roundTrip(await connected({ NATS_URL: server.url, NATS_NKEY_SEED: seed }, 'nkey'));
    });

    it('is refused with another user nkey', async () => {
      const stranger = new TextDecoder().decode(createUser().getSeed());
      const error = await connectionError({ NATS_URL: server.url, NATS_NKEY_SEED: stranger });
      expect(error.message).toMatch(AUTHORIZATION);
      expect(error.message).not.toContain(stranger);
    });

    it('is refused without credentials', async () => {
      expect((await connectionError({ NATS_URL: server.url })).message).toMatch(AUTHORIZATION);
    });
  });
});

describe('connectNats when no NATS answers', () => {
  it('rejects with NatsUnavailableError naming the URL and saying how to fix it', async () => {
    const port = await freePort();
    const url = `nats://127.0.0.1:${port}`;
    const error = await connectionError({ NATS_URL: url });
    expect(error).toBeInstanceOf(NatsUnavailableError);
    expect(error.name).toBe('NatsUnavailableError');
    expect(error.servers).toEqual([url]);
    expect(error.message).toContain(`cannot connect to NATS at ${url}`);
    expect(error.message).toContain('nats-server');
    expect(error.message).toContain('-js');
    expect(error.message).toContain('NATS_URL');
    expect(error.cause).toBeDefined();
  });

  it('names every server of the list', async () => {
    const urls = [`nats://127.0.0.1:${await freePort()}`, `nats://127.0.0.1:${await freePort()}`];
    const error = await connectionError({ NATS_URL: urls.join(',') });
    for (const url of urls) expect(error.message).toContain(url);
  });

  it('does not put a password from the URL into the message', async () => {
    const port = await freePort();
    const error = await connectionError({ NATS_URL: `nats://alice:s3cret-pw@127.0.0.1:${port}` });
    expect(error.message).toContain(`nats://alice:***@127.0.0.1:${port}`);
    expect(error.message).not.toContain('s3cret-pw');
    expect(error.servers).toEqual([`nats://alice:***@127.0.0.1:${port}`]);
  });
});

describe('JetStreamPublisher failures', () => {
  let nats: TestNats;

  beforeEach(async () => {
    nats = await testNats('pub');
  });

  afterEach(async () => {
    await nats.cleanup();
  });

  it('gives up on a subject no stream captures with PublishFailedError naming the subject and attempts', async () => {
    const publisher = new JetStreamPublisher(nats.js, nats.topology, { attempts: 2, retryDelayMs: 10, ackTimeoutMs: 500 });
    const subject = `${nats.topology.namespace}.nowhere.PeerOnline`;
    const message = peerOnline(1);

    const error: unknown = await publisher.publishTo(subject, message).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PublishFailedError);
    const failure = error as PublishFailedError;
    expect(failure.subject).toBe(subject);
    expect(failure.messageId).toBe(message.id);
    expect(failure.attempts).toBe(2);
    expect(failure.message).toContain(subject);
    expect(failure.message).toContain(message.id);
    expect(failure.message).toContain('after 2 attempt(s)');
    expect(failure.message).toContain('no JetStream stream answered');
    expect(failure.cause).toBeInstanceOf(Error);
  });

  it('fails at once on a rejected expectation, reporting the one attempt it made', async () => {
    await ensureStreams(nats.jsm, Object.values(nats.topology.streams()));
    const publisher = new JetStreamPublisher(nats.js, nats.topology, { attempts: 5, retryDelayMs: 1_000 });
    await publisher.publish(peerOnline(1));
    const started = Date.now();

    const error: unknown = await publisher.publish(peerOnline(2), { lastSubjectSequence: 7 }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PublishFailedError);
    expect((error as PublishFailedError).attempts).toBe(1);
    expect((error as PublishFailedError).message).toContain('after 1 attempt(s)');
    // No retry: a retry would have waited retryDelayMs first.
    expect(Date.now() - started).toBeLessThan(1_000);
    const info = await nats.jsm.streams.info(nats.topology.streamName('events'));
    expect(info.state.messages).toBe(1);
  });
});

describe('JetStreamPublisher across a NATS restart (private nats-server)', () => {
  needsNatsServer();

  it('finishes a publish started while NATS is down once a new server comes up on the same port and store', async () => {
    const first = await startNatsServer(binary, []);
    const connection = await connected({ NATS_URL: first.url }, 'restart');
    const jsm = await jetstreamManager(connection);
    const topology = new Topology({ namespace: uniqueName('restart') });
    await ensureStreams(jsm, Object.values(topology.streams()));
    let publishCalls = 0;
    const js = jetstream(connection);
    const countingJs = new Proxy(js, {
      get(target, property, receiver): unknown {
        if (property !== 'publish') return Reflect.get(target, property, receiver) as unknown;
        return (...args: Parameters<JetStreamClient['publish']>) => {
          publishCalls++;
          return target.publish(...args);
        };
      },
    });
    const publisher = new JetStreamPublisher(countingJs, topology, { attempts: 30, retryDelayMs: 50, ackTimeoutMs: 1_000 });
    expect((await publisher.publish(peerOnline(1))).sequence).toBe(1);

    const disconnected = statusSeen(connection, 'disconnect');
    await first.stop('SIGKILL');
    await disconnected;
    expect(await answers(first.port)).toBe(false);

    let settled = false;
    const callsBefore = publishCalls;
    const publishing = publisher.publish(peerOnline(2)).finally(() => {
      settled = true;
    });
    // Let at least one attempt fail while nothing listens: the publish must be retrying, not failed.
    await waitFor('a failed attempt and a retry while NATS is down', () => publishCalls - callsBefore, (n) => n >= 2);
    expect(settled).toBe(false);
    const reconnected = statusSeen(connection, 'reconnect');
    await startNatsServer(binary, [], { port: first.port, storeDir: first.storeDir });
    await reconnected;

    const receipt = await publishing;
    expect(receipt.stream).toBe(topology.streamName('events'));
    expect(receipt.sequence).toBe(2);
    const info = await jsm.streams.info(topology.streamName('events'));
    expect(info.state.messages).toBe(2);
    // The message stored before the crash survived it.
    const stored = await jsm.streams.getMessage(topology.streamName('events'), { seq: 1 });
    expect(stored?.data).toEqual(encodeMessage(peerOnline(1)));
  });
});
