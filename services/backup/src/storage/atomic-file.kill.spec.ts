import { spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackupChannel } from '../channel-set/backup-channel.js';
import { deriveNodeKey, encryptBackup, parseMasterKey } from '../crypto/backup-crypto.js';
import { contentHash, serializeChannelSet } from '../format/serialize.js';
import { openBackup } from '../restore/restore.js';
import { ARCHIVE_DIR, TEMP_SUFFIX, readIfExists, writeAtomically } from './atomic-file.js';

/*
 * The acceptance test of the file discipline: a child process runs the real writeAtomically in a
 * loop of megabyte-sized backup writes and is SIGKILLed, again and again, during a write. After
 * every kill the target directory must hold a complete backup that decrypts and parses, and every
 * archived file must too. No sleeps: the test reacts to the child's own lines ("writing <n>") and
 * to the file system (inotify via fs.watch) telling it the temp file is being written.
 */

const NODE = `03${'5e'.repeat(32)}`;
const master = parseMasterKey('42'.repeat(32));
const key = deriveNodeKey(master, NODE);
const FILE = 'lnfleet-channels.backup';
const ROUNDS = 16;
const fixture = fileURLToPath(new URL('./kill-writer.fixture.mjs', import.meta.url));
const source = fileURLToPath(new URL('./atomic-file.ts', import.meta.url));

/** bigChannelSet returns `count` distinct channels, about 130 bytes each once serialized. */
function bigChannelSet(count: number, seed: number): BackupChannel[] {
  return Array.from({ length: count }, (_, i) => ({
    channelPoint: `${(seed * 1_000_000 + i).toString(16).padStart(64, '0')}:${i % 4}`,
    peer: `02${(i + 1).toString(16).padStart(64, '0')}`,
    peerAddresses: [`198.51.${i % 250}.${(i * 7) % 250}:9735`, `[2001:db8::${(i % 65_535).toString(16)}]:9735`],
    capacitySat: 100_000 + i,
    initiator: i % 2 === 0 ? 'LOCAL' : 'REMOTE',
    commitmentType: 'ANCHORS',
    shortChannelId: String(800_000n * 2n ** 40n + BigInt(i)),
  }));
}

interface Payload {
  readonly path: string;
  readonly version: number;
  readonly contentHash: string;
}

let work: string;
let target: string;
let payloads: Payload[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'lnfleet-backup-kill-'));
  target = join(work, 'target');
  payloads = [];
  for (const [version, count] of [
    [1, 10_000],
    [2, 14_000],
    [3, 18_000],
  ] as const) {
    const plaintext = serializeChannelSet({ nodeId: NODE, channels: bigChannelSet(count, version) });
    const path = join(work, `payload-${version}.bin`);
    await writeFile(path, encryptBackup(plaintext, key, version));
    payloads.push({ path, version, contentHash: contentHash(plaintext) });
  }
  // The first backup exists before any kill: from then on, a complete file must always be there.
  await writeAtomically(target, FILE, await readFile(payloads[0]!.path));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/**
 * KillMoment says when to kill, during the child's write number `write`: as it announces the write
 * (usually before it touched the disk), when the temp file is created, or when data is written to
 * it (then the kill lands during the write or the fsync, before the rename).
 */
interface KillMoment {
  readonly write: number;
  readonly on: 'announce' | 'temp-created' | 'temp-written';
}

const MOMENTS: readonly KillMoment['on'][] = ['temp-written', 'temp-created', 'temp-written', 'announce'];

/** runAndKill starts the writer, SIGKILLs it at `moment`, and resolves once the child is dead. */
function runAndKill(moment: KillMoment): Promise<NodeJS.Signals | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, source, work, target, FILE, ...payloads.map((payload) => payload.path)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let armed = false;
    const watcher = watch(target, (event, name) => {
      if (!armed || name !== FILE + TEMP_SUFFIX) return;
      if (moment.on === 'temp-created' || event === 'change') child.kill('SIGKILL');
    });
    let buffered = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line === `writing ${moment.write}`) {
          if (moment.on === 'announce') child.kill('SIGKILL');
          else armed = true;
        }
        newline = buffered.indexOf('\n');
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      watcher.close();
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own (code ${code}, signal ${signal}): ${stderr}`));
      else resolve(signal);
    });
  });
}

/** expectCompleteBackup asserts that a file is one of the payloads, whole: it decrypts and parses. */
async function expectCompleteBackup(path: string): Promise<number> {
  const restored = openBackup(new Uint8Array(await readFile(path)), master, NODE);
  const payload = payloads.find((candidate) => candidate.version === restored.backupVersion);
  expect(payload).toBeDefined();
  expect(restored.contentHash).toBe(payload?.contentHash);
  return restored.backupVersion;
}

describe('atomic file: killed mid-write', () => {
  it('always leaves a complete, decryptable backup in the target directory', async () => {
    let staleTemps = 0;
    let staleTempsWithData = 0;
    const versionsSeen = new Set<number>();
    for (let round = 0; round < ROUNDS; round += 1) {
      // Kill during the first, second or third write of a run (different payloads; runs with
      // completed writes, so with archives), at one of the moments.
      const signal = await runAndKill({ write: round % 3, on: MOMENTS[round % MOMENTS.length]! });
      expect(signal).toBe('SIGKILL');

      versionsSeen.add(await expectCompleteBackup(join(target, FILE)));
      const stale = await readIfExists(join(target, FILE + TEMP_SUFFIX));
      if (stale !== null) staleTemps += 1;
      if (stale !== null && stale.length > 0) staleTempsWithData += 1;
    }
    // Archived files appear by rename of a link to a complete file: all of them are complete too.
    const archived = (await readdir(join(target, ARCHIVE_DIR))).filter((name) => !name.endsWith(TEMP_SUFFIX));
    expect(archived.length).toBeGreaterThan(0);
    for (const name of archived) await expectCompleteBackup(join(target, ARCHIVE_DIR, name));
    // The kills did land mid-write: temp files were left behind, some with data written but never
    // renamed into place. And the file moved on between kills.
    expect(staleTemps).toBeGreaterThan(0);
    expect(staleTempsWithData).toBeGreaterThan(0);
    expect(versionsSeen.size).toBeGreaterThan(1);

    // The next write cleans up the partial temp file and succeeds.
    await writeAtomically(target, FILE, await readFile(payloads[2]!.path));
    expect(await readdir(target)).not.toContain(FILE + TEMP_SUFFIX);
    expect(await expectCompleteBackup(join(target, FILE))).toBe(3);
  });
});
