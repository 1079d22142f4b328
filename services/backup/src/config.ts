/**
 * The backup service's settings, read from the environment and validated at start: a bad value
 * stops the service with a ConfigError naming the variable. The master key is never echoed.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { booleanFlag, ConfigError, parseEnv, type Env } from '@lnfleet/config';
import { parseMasterKey, type MasterKey } from './crypto/backup-crypto.js';
import { isBackupError } from './errors.js';
import type { RetentionPolicy } from './retention/retention.js';

/** BACKUP_HTTP_PORT is the service's default HTTP port (HTTP_PORT overrides it). */
export const BACKUP_HTTP_PORT = 8_084;

/** BACKUP_CONFIG is the injection token of the service's BackupConfig. */
export const BACKUP_CONFIG = 'BACKUP_CONFIG';

/** DEFAULT_BACKUP_DIR is the target directory when BACKUP_DIR is unset, relative to the working directory. */
export const DEFAULT_BACKUP_DIR = 'data/backup';

/** DEV_KEY_FILE is the generated key's file name under BACKUP_DIR when BACKUP_INSECURE_DEV_KEY is on. */
export const DEV_KEY_FILE = 'dev-master.key';

/** MasterKeySource says where the master key came from, for the start-up log (never the key). */
export type MasterKeySource =
  | { readonly kind: 'env' }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'insecure-dev'; readonly path: string; readonly generated: boolean };

/** BackupConfig is the validated backup configuration. */
export interface BackupConfig {
  /** directory is the absolute target directory (one sub-directory per node). */
  readonly directory: string;
  readonly masterKey: MasterKey;
  readonly masterKeySource: MasterKeySource;
  readonly retention: RetentionPolicy;
  /**
   * testRenameDelayMs (BACKUP_TEST_RENAME_DELAY_MS, tests only) holds every file write between the
   * fsync of its temp file and the rename, so a test can kill the process mid-write. 0 in service.
   */
  readonly testRenameDelayMs: number;
  /** batchSize is the most node events one transaction applies (BACKUP_BATCH_SIZE). */
  readonly batchSize: number;
}

const DurableName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ -')
  .default('backup');

const Concurrency = z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(8_192, 'at most 8192').default(1_024);

const BatchSize = z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(4_096, 'at most 4096').default(512);

const AckWaitMs = z.coerce
  .number()
  .int('must be a whole number of milliseconds')
  .min(1_000, 'must be at least 1000 (1 s)')
  .max(3_600_000, 'at most 3600000 (1 h)')
  .default(30_000);

/** ConsumerSettings are what the bindings need: they are read before the rest of the config. */
export interface ConsumerSettings {
  /** consumer is the durable consumer on the events stream; a new one (with a new DATABASE_SCHEMA) rebuilds. */
  readonly consumer: string;
  /** concurrency is how many node events one replica holds at once (waiting for or in a batch). */
  readonly concurrency: number;
  /** ackWaitMs is how long JetStream waits for an event's ack before redelivering it (after a crash, say). */
  readonly ackWaitMs: number;
}

/** consumerSettings reads BACKUP_CONSUMER (default `backup`), BACKUP_CONCURRENCY (default 1024) and BACKUP_ACK_WAIT_MS (default 30 s). */
export function consumerSettings(env: Env): ConsumerSettings {
  const parsed = parseEnv(z.object({ BACKUP_CONSUMER: DurableName, BACKUP_CONCURRENCY: Concurrency, BACKUP_ACK_WAIT_MS: AckWaitMs }), env);
  return { consumer: parsed.BACKUP_CONSUMER, concurrency: parsed.BACKUP_CONCURRENCY, ackWaitMs: parsed.BACKUP_ACK_WAIT_MS };
}

/** BackupEnv lists the variables and their defaults. */
export const BackupEnv = z.object({
  BACKUP_DIR: z.string().min(1).default(DEFAULT_BACKUP_DIR),
  BACKUP_MASTER_KEY: z.string().optional(),
  BACKUP_MASTER_KEY_FILE: z.string().min(1).optional(),
  BACKUP_INSECURE_DEV_KEY: booleanFlag.default(false),
  BACKUP_RETAIN_LATEST: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').default(100),
  BACKUP_RETAIN_DAYS: z.coerce.number().min(0, 'must not be negative').default(90),
  BACKUP_CONSUMER: DurableName,
  BACKUP_CONCURRENCY: Concurrency,
  BACKUP_ACK_WAIT_MS: AckWaitMs,
  BACKUP_BATCH_SIZE: BatchSize,
  BACKUP_TEST_RENAME_DELAY_MS: z.coerce
    .number()
    .int('must be a whole number of milliseconds')
    .min(0, 'must not be negative')
    .max(10_000, 'at most 10000 (it is for tests only)')
    .default(0),
});

/**
 * loadBackupConfig validates the variables, makes sure the target directory exists and is
 * writable, and reads the master key: from BACKUP_MASTER_KEY or BACKUP_MASTER_KEY_FILE (exactly
 * one), or, only with BACKUP_INSECURE_DEV_KEY=true and neither set, from a key generated once
 * under the target directory (a demo convenience: whoever reads the directory reads the backups).
 */
export function loadBackupConfig(env: Env): BackupConfig {
  const parsed = parseEnv(BackupEnv, env);
  const directory = resolve(parsed.BACKUP_DIR);
  ensureWritableDirectory(directory);
  const { masterKey, masterKeySource } = readMasterKey(parsed, directory);
  return {
    directory,
    masterKey,
    masterKeySource,
    retention: { retainLatest: parsed.BACKUP_RETAIN_LATEST, retainMs: Math.round(parsed.BACKUP_RETAIN_DAYS * 86_400_000) },
    testRenameDelayMs: parsed.BACKUP_TEST_RENAME_DELAY_MS,
    batchSize: parsed.BACKUP_BATCH_SIZE,
  };
}

/**
 * masterKeyFromEnv reads the master key the way the tools do: BACKUP_MASTER_KEY or
 * BACKUP_MASTER_KEY_FILE (exactly one); ConfigError naming the variable otherwise.
 */
export function masterKeyFromEnv(env: Env): MasterKey {
  const parsed = parseEnv(BackupEnv.pick({ BACKUP_MASTER_KEY: true, BACKUP_MASTER_KEY_FILE: true }), env);
  if (parsed.BACKUP_MASTER_KEY !== undefined && parsed.BACKUP_MASTER_KEY_FILE !== undefined) {
    throw new ConfigError('BACKUP_MASTER_KEY', 'set either BACKUP_MASTER_KEY or BACKUP_MASTER_KEY_FILE, not both');
  }
  if (parsed.BACKUP_MASTER_KEY !== undefined) return keyFrom('BACKUP_MASTER_KEY', parsed.BACKUP_MASTER_KEY);
  if (parsed.BACKUP_MASTER_KEY_FILE !== undefined) return keyFrom('BACKUP_MASTER_KEY_FILE', readSecretFile('BACKUP_MASTER_KEY_FILE', parsed.BACKUP_MASTER_KEY_FILE));
  throw new ConfigError(
    'BACKUP_MASTER_KEY',
    'is required: 32 bytes as 64 hex characters or base64 (or BACKUP_MASTER_KEY_FILE naming a file that holds it)',
  );
}

function readMasterKey(parsed: z.infer<typeof BackupEnv>, directory: string): { masterKey: MasterKey; masterKeySource: MasterKeySource } {
  const given = parsed.BACKUP_MASTER_KEY !== undefined || parsed.BACKUP_MASTER_KEY_FILE !== undefined;
  if (parsed.BACKUP_INSECURE_DEV_KEY && given) {
    throw new ConfigError('BACKUP_INSECURE_DEV_KEY', 'must not be set together with BACKUP_MASTER_KEY or BACKUP_MASTER_KEY_FILE');
  }
  if (!given && !parsed.BACKUP_INSECURE_DEV_KEY) {
    throw new ConfigError(
      'BACKUP_MASTER_KEY',
      'is required: 32 bytes as 64 hex characters or base64 (or BACKUP_MASTER_KEY_FILE naming a file that holds it; ' +
        'for a throw-away demo only, BACKUP_INSECURE_DEV_KEY=true generates one under BACKUP_DIR)',
    );
  }
  if (parsed.BACKUP_INSECURE_DEV_KEY) return devKey(directory);
  const masterKey = masterKeyFromEnv({ BACKUP_MASTER_KEY: parsed.BACKUP_MASTER_KEY, BACKUP_MASTER_KEY_FILE: parsed.BACKUP_MASTER_KEY_FILE });
  return {
    masterKey,
    masterKeySource: parsed.BACKUP_MASTER_KEY_FILE !== undefined ? { kind: 'file', path: parsed.BACKUP_MASTER_KEY_FILE } : { kind: 'env' },
  };
}

/** devKey reads the development key under the target directory, generating it (mode 0600) the first time. */
function devKey(directory: string): { masterKey: MasterKey; masterKeySource: MasterKeySource } {
  const path = join(directory, DEV_KEY_FILE);
  let generated = false;
  try {
    writeFileSync(path, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
    generated = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new ConfigError('BACKUP_INSECURE_DEV_KEY', `cannot create ${path}: ${(error as Error).message}`);
    }
  }
  return { masterKey: keyFrom('BACKUP_INSECURE_DEV_KEY', readSecretFile('BACKUP_INSECURE_DEV_KEY', path)), masterKeySource: { kind: 'insecure-dev', path, generated } };
}

function keyFrom(field: string, secret: string): MasterKey {
  try {
    return parseMasterKey(secret);
  } catch (error) {
    // The parser's messages describe the value's shape, never the value.
    if (isBackupError(error)) throw new ConfigError(field, error.message);
    throw error;
  }
}

function readSecretFile(field: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(field, `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function ensureWritableDirectory(directory: string): void {
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    if (!statSync(directory).isDirectory()) throw new Error('not a directory');
    accessSync(directory, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new ConfigError('BACKUP_DIR', `${directory} is not a writable directory: ${(error as Error).message}`);
  }
}
