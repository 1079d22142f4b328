/**
 * The embedded NATS fallback: when nothing answers at NATS_URL, a `nats-server` binary found on
 * the machine is started with JetStream in a temporary directory on a free port, and removed
 * with its data when the fleet stops.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, statSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { LineBuffer } from '../services.js';
import { freePort, isListening } from './probe.js';

/** NATS_INSTALL_HINT says exactly what to install when neither NATS nor nats-server is there. */
export const NATS_INSTALL_HINT =
  'Install NATS: `apt-get install nats-server` (Debian/Ubuntu; the fleet then starts it by itself), or run a NATS server ' +
  '>= 2.9 with JetStream (`nats-server -js`) and set NATS_URL, or point LNFLEET_NATS_SERVER at a nats-server binary.';

/** EXTRA_NATS_DIRS are searched after PATH: Debian installs nats-server to /usr/sbin, often not on a user's PATH. */
export const EXTRA_NATS_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/bin'];

/**
 * findNatsServer returns the nats-server to start: `explicit` if given (it must be executable),
 * else the first on PATH, else in EXTRA_NATS_DIRS; undefined when there is none.
 */
export function findNatsServer(explicit: string | undefined, pathEnv: string | undefined, isExecutable: (path: string) => boolean = executable): string | undefined {
  if (explicit !== undefined) return isExecutable(explicit) ? explicit : undefined;
  const dirs = [...(pathEnv ?? '').split(delimiter).filter((d) => d !== ''), ...EXTRA_NATS_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, 'nats-server');
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** EmbeddedNats is a nats-server this process started. */
export interface EmbeddedNats {
  readonly url: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** startEmbeddedNats runs `binary` with JetStream on a free port, its output going to `log`. */
// detached: Ctrl-C must not stop NATS before the services have drained their work.
export async function startEmbeddedNats(binary: string, log: WriteStream, timeoutMs = 15_000): Promise<EmbeddedNats> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lnfleet-nats-'));
  const port = await freePort();
  const child = spawn(binary, ['-js', '-sd', dataDir, '-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  for (const stream of [child.stdout, child.stderr]) {
    const lines = new LineBuffer((line) => log.write(`[nats-server ] ${line}\n`));
    stream.setEncoding('utf8').on('data', (chunk: string) => {
      lines.push(chunk);
    });
  }
  const nats = { exited: false };
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      nats.exited = true;
      resolve();
    });
  });
  const stop = async (): Promise<void> => {
    if (!nats.exited) child.kill('SIGTERM');
    await exit;
    rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  while (!(await isListening({ host: '127.0.0.1', port }, 500))) {
    if (nats.exited || Date.now() > deadline) {
      await stop();
      throw new Error(`${binary} did not start listening on 127.0.0.1:${port} (see the log)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url: `nats://127.0.0.1:${port}`, dataDir, stop };
}
