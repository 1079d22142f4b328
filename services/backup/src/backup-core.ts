/**
 * The backup service's core, for its shell (NestJS handlers, Postgres, NATS) and its tools:
 *
 * - `channel-set/`: which channels of a node need a backup (lnd's rules), as a pure state changed
 *   by `evolve(state, event, streamSequence)`, which says whether a new backup version is due.
 * - `format/`: the canonical serialization of a channel set and its content hash.
 * - `crypto/`: per-node keys (HKDF-SHA256 from one master key) and XChaCha20-Poly1305 files.
 * - `storage/`: crash-safe file replacement and the per-node file layout.
 * - `own-backup/`: the node's own packed backup, kept verbatim.
 * - `restore/`: open, verify and write out a backup.
 *
 * The byte formats are described in services/backup/BACKUP_FORMAT.md. Only `storage/` and
 * `restore/restoreBackupFile` do I/O; nothing reads a clock.
 */
export * from './errors.js';
export * from './channel-set/backup-channel.js';
export * from './channel-set/channel-set.js';
export * from './format/serialize.js';
export * from './crypto/backup-crypto.js';
export * from './own-backup/own-backup.js';
export * from './storage/atomic-file.js';
export * from './storage/backup-files.js';
export * from './restore/restore.js';
