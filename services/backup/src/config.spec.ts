import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@lnfleet/config';
import { DEV_KEY_FILE, consumerSettings, loadBackupConfig, masterKeyFromEnv } from './config.js';

const HEX = 'a1'.repeat(32);
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lnfleet-backup-config-'));
});

afterEach(async () => {
  await chmod(dir, 0o700).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

/** configError runs `load` and returns the ConfigError it throws. */
function configError(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('backup config', () => {
  it('reads the key, the directory and the retention defaults', () => {
    const config = loadBackupConfig({ BACKUP_DIR: join(dir, 'target'), BACKUP_MASTER_KEY: HEX });
    expect(config.directory).toBe(join(dir, 'target'));
    expect(Buffer.from(config.masterKey.bytes()).toString('hex')).toBe(HEX);
    expect(config.masterKeySource).toEqual({ kind: 'env' });
    expect(config.retention).toEqual({ retainLatest: 100, retainMs: 90 * 86_400_000 });
  });

  it('refuses to start without a master key, naming the variable', () => {
    const error = configError(() => loadBackupConfig({ BACKUP_DIR: dir }));
    expect(error.field).toBe('BACKUP_MASTER_KEY');
    expect(error.message).toContain('BACKUP_MASTER_KEY_FILE');
  });

  it('names a malformed key without repeating it', () => {
    const secret = 'not-a-key-but-a-secret-all-the-same';
    const error = configError(() => loadBackupConfig({ BACKUP_DIR: dir, BACKUP_MASTER_KEY: secret }));
    expect(error.field).toBe('BACKUP_MASTER_KEY');
    expect(error.message).not.toContain(secret);
    expect(configError(() => loadBackupConfig({ BACKUP_DIR: dir, BACKUP_MASTER_KEY: HEX.slice(2) })).message).toContain('32 bytes');
  });

  it('reads the key from a file (a mounted secret, trailing newline and all)', async () => {
    const path = join(dir, 'master.key');
    await writeFile(path, `${HEX}\n`);
    const config = loadBackupConfig({ BACKUP_DIR: join(dir, 'target'), BACKUP_MASTER_KEY_FILE: path });
    expect(Buffer.from(config.masterKey.bytes()).toString('hex')).toBe(HEX);
    expect(config.masterKeySource).toEqual({ kind: 'file', path });
    expect(configError(() => loadBackupConfig({ BACKUP_DIR: dir, BACKUP_MASTER_KEY_FILE: join(dir, 'absent') })).field).toBe('BACKUP_MASTER_KEY_FILE');
  });

  it('refuses two sources of the key', () => {
    const error = configError(() => masterKeyFromEnv({ BACKUP_MASTER_KEY: HEX, BACKUP_MASTER_KEY_FILE: '/dev/null' }));
    expect(error.field).toBe('BACKUP_MASTER_KEY');
    expect(configError(() => loadBackupConfig({ BACKUP_DIR: dir, BACKUP_MASTER_KEY: HEX, BACKUP_INSECURE_DEV_KEY: 'true' })).field).toBe('BACKUP_INSECURE_DEV_KEY');
  });

  it('generates a development key only when asked, once, readable by the owner alone', async () => {
    const first = loadBackupConfig({ BACKUP_DIR: dir, BACKUP_INSECURE_DEV_KEY: 'true' });
    const path = join(dir, DEV_KEY_FILE);
    expect(first.masterKeySource).toEqual({ kind: 'insecure-dev', path, generated: true });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readFile(path, 'utf8')).trim()).toMatch(/^[0-9a-f]{64}$/);
    const second = loadBackupConfig({ BACKUP_DIR: dir, BACKUP_INSECURE_DEV_KEY: 'true' });
    expect(second.masterKeySource).toEqual({ kind: 'insecure-dev', path, generated: false });
    expect(second.masterKey.bytes()).toEqual(first.masterKey.bytes());
    expect(String(second.masterKey)).toBe('[MasterKey]');
  });

  it('names BACKUP_DIR when it cannot be written', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    expect(configError(() => loadBackupConfig({ BACKUP_DIR: file, BACKUP_MASTER_KEY: HEX })).field).toBe('BACKUP_DIR');
  });

  it('names a bad retention or consumer setting', () => {
    const base = { BACKUP_DIR: dir, BACKUP_MASTER_KEY: HEX };
    expect(configError(() => loadBackupConfig({ ...base, BACKUP_RETAIN_LATEST: '0' })).field).toBe('BACKUP_RETAIN_LATEST');
    expect(configError(() => loadBackupConfig({ ...base, BACKUP_RETAIN_DAYS: '-1' })).field).toBe('BACKUP_RETAIN_DAYS');
    expect(loadBackupConfig({ ...base, BACKUP_RETAIN_LATEST: '3', BACKUP_RETAIN_DAYS: '0.5' }).retention).toEqual({ retainLatest: 3, retainMs: 43_200_000 });
    expect(consumerSettings({})).toEqual({ consumer: 'backup', concurrency: 1_024, ackWaitMs: 30_000 });
    expect(consumerSettings({ BACKUP_ACK_WAIT_MS: '2000' }).ackWaitMs).toBe(2_000);
    expect(configError(() => consumerSettings({ BACKUP_CONCURRENCY: '9000' })).field).toBe('BACKUP_CONCURRENCY');
    expect(configError(() => consumerSettings({ BACKUP_CONSUMER: 'a b' })).field).toBe('BACKUP_CONSUMER');
    expect(configError(() => consumerSettings({ BACKUP_ACK_WAIT_MS: '500' })).field).toBe('BACKUP_ACK_WAIT_MS');
  });

  it('holds writes before the rename only when the test setting asks, and validates it', () => {
    const base = { BACKUP_DIR: dir, BACKUP_MASTER_KEY: HEX };
    expect(loadBackupConfig(base).testRenameDelayMs).toBe(0);
    expect(loadBackupConfig({ ...base, BACKUP_TEST_RENAME_DELAY_MS: '250' }).testRenameDelayMs).toBe(250);
    expect(configError(() => loadBackupConfig({ ...base, BACKUP_TEST_RENAME_DELAY_MS: '-1' })).field).toBe('BACKUP_TEST_RENAME_DELAY_MS');
    expect(configError(() => loadBackupConfig({ ...base, BACKUP_TEST_RENAME_DELAY_MS: 'soon' })).field).toBe('BACKUP_TEST_RENAME_DELAY_MS');
  });

  it('reads and validates the batch size', () => {
    const base = { BACKUP_DIR: dir, BACKUP_MASTER_KEY: HEX };
    expect(loadBackupConfig(base).batchSize).toBe(512);
    expect(loadBackupConfig({ ...base, BACKUP_BATCH_SIZE: '1' }).batchSize).toBe(1);
    expect(configError(() => loadBackupConfig({ ...base, BACKUP_BATCH_SIZE: '0' })).field).toBe('BACKUP_BATCH_SIZE');
  });
});
