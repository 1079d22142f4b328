/**
 * Errors of the backup core. Reading a backup (parse, decrypt, restore) and taking a master key
 * throw them; `evolve` never does for anything a stream can contain, because a close for a channel
 * we never saw or an event delivered twice is normal at-least-once traffic, not a failure.
 */

/** BackupErrorCode names each kind of backup error, for logs, exit codes and API responses. */
export type BackupErrorCode =
  | 'INVALID_MASTER_KEY'
  | 'MALFORMED_BACKUP'
  | 'WRONG_KEY_OR_TAMPERED'
  | 'NODE_MISMATCH'
  | 'INVALID_CHANNEL_SET'
  | 'BACKUP_NOT_FOUND'
  | 'CONTENT_MISMATCH'
  | 'OUTPUT_EXISTS';

/** BackupError is the base class of every error the backup core throws. */
export class BackupError extends Error {
  /** code says which kind of error this is without an `instanceof` check. */
  readonly code: BackupErrorCode;

  constructor(code: BackupErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BackupError';
    this.code = code;
  }
}

/**
 * InvalidMasterKeyError is thrown when the master key secret is not 32 bytes written as hex or
 * base64. The message says what was wrong with its shape but never repeats the secret.
 */
export class InvalidMasterKeyError extends BackupError {
  constructor(message: string) {
    super('INVALID_MASTER_KEY', message);
    this.name = 'InvalidMasterKeyError';
  }
}

/**
 * MalformedBackupError is thrown when bytes are not a backup of a format we read: wrong magic,
 * unsupported format version, truncated, trailing bytes, or a field out of range. `offset` is the
 * byte position where reading failed.
 */
export class MalformedBackupError extends BackupError {
  /** offset is the byte position of the offending field, or -1 when it concerns the whole input. */
  readonly offset: number;

  constructor(message: string, offset = -1) {
    super('MALFORMED_BACKUP', offset >= 0 ? `${message} (at byte ${offset})` : message);
    this.name = 'MalformedBackupError';
    this.offset = offset;
  }
}

/**
 * WrongKeyOrTamperedError is thrown when an encrypted backup fails authentication. AEAD cannot
 * tell a wrong key from modified bytes, so neither do we: both mean "do not trust this file".
 */
export class WrongKeyOrTamperedError extends BackupError {
  /** nodeId is the node the file's header claims to belong to. */
  readonly nodeId: string;
  /** backupVersion is the version the file's header claims. */
  readonly backupVersion: number;

  constructor(nodeId: string, backupVersion: number, options?: ErrorOptions) {
    super(
      'WRONG_KEY_OR_TAMPERED',
      `backup version ${backupVersion} of node ${nodeId} failed authentication: ` +
        'the master key is wrong or the file was modified; do not trust its content',
      options,
    );
    this.name = 'WrongKeyOrTamperedError';
    this.nodeId = nodeId;
    this.backupVersion = backupVersion;
  }
}

/** NodeMismatchError is thrown when a backup belongs to another node than the one asked for. */
export class NodeMismatchError extends BackupError {
  /** expected is the node the caller asked for. */
  readonly expected: string;
  /** actual is the node the backup belongs to. */
  readonly actual: string;

  constructor(expected: string, actual: string) {
    super('NODE_MISMATCH', `backup belongs to node ${actual}, not to the requested node ${expected}`);
    this.name = 'NodeMismatchError';
    this.expected = expected;
    this.actual = actual;
  }
}

/** InvalidChannelSetError is thrown when a channel set cannot be serialized (e.g. a value out of range). */
export class InvalidChannelSetError extends BackupError {
  constructor(message: string) {
    super('INVALID_CHANNEL_SET', message);
    this.name = 'InvalidChannelSetError';
  }
}

/** BackupNotFoundError is thrown by the tools when no stored backup matches the request. */
export class BackupNotFoundError extends BackupError {
  constructor(message: string) {
    super('BACKUP_NOT_FOUND', message);
    this.name = 'BackupNotFoundError';
  }
}

/**
 * ContentMismatchError is thrown when stored bytes do not match the content hash (or version)
 * recorded with them: the stored backup was modified or mixed up; do not trust it.
 */
export class ContentMismatchError extends BackupError {
  constructor(message: string) {
    super('CONTENT_MISMATCH', message);
    this.name = 'ContentMismatchError';
  }
}

/** OutputExistsError is thrown when a restore would overwrite an existing file without being told to. */
export class OutputExistsError extends BackupError {
  /** path is the existing file. */
  readonly path: string;

  constructor(path: string) {
    super('OUTPUT_EXISTS', `${path} exists; choose another output file or allow overwriting it`);
    this.name = 'OutputExistsError';
    this.path = path;
  }
}

/** isWrongKeyOrTampered reports whether `err` is a WrongKeyOrTamperedError. */
export function isWrongKeyOrTampered(err: unknown): err is WrongKeyOrTamperedError {
  return err instanceof WrongKeyOrTamperedError;
}

/** isBackupError reports whether `err` is any error of the backup core. */
export function isBackupError(err: unknown): err is BackupError {
  return err instanceof BackupError;
}
