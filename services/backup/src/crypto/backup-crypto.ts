import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { hchacha } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { Pubkey } from '@lnfleet/contracts';
import { InvalidMasterKeyError, MalformedBackupError, NodeMismatchError, WrongKeyOrTamperedError } from '../errors.js';
import { ByteReader, ByteWriter, bytesToHex, equalBytes, hexToBytes } from '../format/bytes.js';

/**
 * Encryption of backup files. Each managed node's backups are sealed with XChaCha20-Poly1305 (an
 * AEAD: confidentiality and integrity in one) under a key of its own, derived from one master key
 * with HKDF-SHA256. The 24-byte nonce is derived from the file's own header and plaintext (an
 * HMAC-SHA256 under a second per-node key), not drawn at random as lnd does: re-encrypting the same
 * version of the same set gives the very same file, so a replay of the stream reproduces every
 * backup byte for byte and a retried write is recognised as the file already in place. Distinct
 * (header, plaintext) pairs get distinct nonces (a collision of 192 HMAC bits), so a nonce is never
 * reused for different content; equal files only reveal that they are equal, which they show
 * anyway. Unlike lnd, which uses the nonce as associated data, we authenticate the whole clear
 * header, so a file cannot be passed off as another node's, another version, or another format.
 *
 * Encrypted file (all integers unsigned, big-endian):
 *
 * | size    | field                                                              |
 * |---------|--------------------------------------------------------------------|
 * | 4       | magic `LFBK` (0x4c 0x46 0x42 0x4b)                                 |
 * | 1       | file format version, 0x01                                          |
 * | 33      | node id                                                            |
 * | 8       | backup version (1 .. 2^53 - 1)                                     |
 * | 24      | nonce                                                              |
 * | n + 16  | ciphertext of the n-byte serialized channel set, then the 16-byte tag |
 *
 * The associated data is the 46-byte header (magic to backup version). Key derivation:
 * `nodeKey = HKDF-SHA256(ikm = masterKey, salt = "lnfleet-backup-kdf-v1", info =
 * "lnfleet channel-set key" ‖ 0x00 ‖ nodeId (33 bytes), length = 32)`; the nonce key is the same
 * with info "lnfleet channel-set nonce key" ‖ 0x00 ‖ nodeId, and `nonce = HMAC-SHA256(nonceKey,
 * header ‖ plaintext)[0..24]`.
 */

/** BACKUP_FILE_MAGIC opens every encrypted backup file: ASCII `LFBK` (lnfleet backup). */
export const BACKUP_FILE_MAGIC: Uint8Array = new Uint8Array([0x4c, 0x46, 0x42, 0x4b]);

/** BACKUP_FILE_FORMAT_VERSION is the file format version this code writes and the only one it reads. */
export const BACKUP_FILE_FORMAT_VERSION = 1;

/** BACKUP_HEADER_SIZE is the size of the clear, authenticated header. */
export const BACKUP_HEADER_SIZE = 4 + 1 + 33 + 8;

/** NONCE_SIZE is XChaCha20's nonce size. */
export const NONCE_SIZE = 24;

/** TAG_SIZE is Poly1305's tag size. */
export const TAG_SIZE = 16;

/** MASTER_KEY_SIZE is the master key's required length in bytes. */
export const MASTER_KEY_SIZE = 32;

const KDF_SALT = new TextEncoder().encode('lnfleet-backup-kdf-v1');
const KDF_INFO_PREFIX = new TextEncoder().encode('lnfleet channel-set key\0');
const NONCE_KDF_INFO_PREFIX = new TextEncoder().encode('lnfleet channel-set nonce key\0');

/**
 * NonceSource returns the 24-byte nonce for a file from its header and plaintext. The default,
 * `syntheticNonce` of the node key, is deterministic; tests inject fixed ones for layout checks.
 */
export type NonceSource = (header: Uint8Array, plaintext: Uint8Array) => Uint8Array;

/**
 * MasterKey is the secret all node keys derive from. It never prints itself: `toString` and
 * `toJSON` say "[MasterKey]" so a stray log line cannot leak it.
 */
export class MasterKey {
  readonly #bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** fromBytes takes a master key as raw bytes; throws InvalidMasterKeyError unless there are 32. */
  static fromBytes(bytes: Uint8Array): MasterKey {
    if (bytes.length !== MASTER_KEY_SIZE) {
      throw new InvalidMasterKeyError(`master key must be ${MASTER_KEY_SIZE} bytes, got ${bytes.length}`);
    }
    return new MasterKey(Uint8Array.from(bytes));
  }

  /** bytes returns a copy of the key bytes, for key derivation. */
  bytes(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }

  /** toString hides the key. */
  toString(): string {
    return '[MasterKey]';
  }

  /** toJSON hides the key. */
  toJSON(): string {
    return '[MasterKey]';
  }
}

/**
 * parseMasterKey reads the master key secret as 64 hex characters or as base64 (standard or
 * URL-safe alphabet, with or without padding) of exactly 32 bytes. Surrounding whitespace (a
 * trailing newline in a mounted secret file) is ignored. Throws InvalidMasterKeyError saying what
 * is wrong, never echoing the value. Hex takes precedence: 64 hex characters are also valid base64,
 * but of 48 bytes, which would be rejected anyway.
 */
export function parseMasterKey(secret: string): MasterKey {
  const text = secret.trim();
  if (text === '') throw new InvalidMasterKeyError('master key is empty: expected 32 bytes as 64 hex characters or base64');
  if (/^[0-9a-fA-F]+$/.test(text) && text.length === 2 * MASTER_KEY_SIZE) {
    return MasterKey.fromBytes(hexToBytes(text));
  }
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    const decoded = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
    if (decoded.length === MASTER_KEY_SIZE) return MasterKey.fromBytes(new Uint8Array(decoded));
    throw new InvalidMasterKeyError(
      `master key must be ${MASTER_KEY_SIZE} bytes; the value (${text.length} characters) decodes to ` +
        `${decoded.length} bytes as base64 (64 hex characters or 44 base64 characters expected)`,
    );
  }
  throw new InvalidMasterKeyError(
    `master key must be ${MASTER_KEY_SIZE} bytes written as 64 hex characters or base64; the value (${text.length} characters) is neither`,
  );
}

/** NodeKey is the key that seals one node's backups; derive it with `deriveNodeKey`. */
export class NodeKey {
  readonly #bytes: Uint8Array;
  readonly #nonceKey: Uint8Array;

  /** nodeId is the node this key belongs to. */
  readonly nodeId: string;

  private constructor(nodeId: string, bytes: Uint8Array, nonceKey: Uint8Array) {
    this.nodeId = nodeId;
    this.#bytes = bytes;
    this.#nonceKey = nonceKey;
  }

  /** derive derives the key of `nodeId` from the master key; `deriveNodeKey` is the same. */
  static derive(master: MasterKey, nodeId: string): NodeKey {
    if (!Pubkey.safeParse(nodeId).success) throw new RangeError(`node id "${nodeId}" is not a compressed public key`);
    const ikm = master.bytes();
    return new NodeKey(nodeId, hkdf(sha256, ikm, KDF_SALT, kdfInfo(KDF_INFO_PREFIX, nodeId), 32), hkdf(sha256, ikm, KDF_SALT, kdfInfo(NONCE_KDF_INFO_PREFIX, nodeId), 32));
  }

  /**
   * syntheticNonce is the nonce of a file with this header and plaintext: the first 24 bytes of
   * HMAC-SHA256 under the node's nonce key. The same inputs always give the same nonce.
   */
  syntheticNonce(header: Uint8Array, plaintext: Uint8Array): Uint8Array {
    // Node's native HMAC-SHA256: the same bytes as @noble/hashes' hmac(sha256, ...), many times faster.
    const mac = createHmac('sha256', this.#nonceKey).update(header).update(plaintext).digest();
    return new Uint8Array(mac.buffer, mac.byteOffset, NONCE_SIZE);
  }

  /** bytes returns a copy of the key bytes (for test vectors; the cipher uses them internally). */
  bytes(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }

  /** toString hides the key. */
  toString(): string {
    return `[NodeKey ${this.nodeId}]`;
  }

  /** toJSON hides the key. */
  toJSON(): string {
    return this.toString();
  }
}

/**
 * deriveNodeKey derives the key of one node from the master key (HKDF-SHA256 with the node id in
 * the info). Keys of different nodes are independent: one leaked node key reveals no other.
 */
export function deriveNodeKey(master: MasterKey, nodeId: string): NodeKey {
  return NodeKey.derive(master, nodeId);
}

/** BackupHeader is the clear part of an encrypted backup file. */
export interface BackupHeader {
  readonly formatVersion: number;
  readonly nodeId: string;
  readonly backupVersion: number;
}

/**
 * encryptBackup seals a serialized channel set as backup `backupVersion` of the key's node. The
 * nonce comes from `nonce`, by default the key's synthetic nonce, so the same version of the same
 * set always gives the same file (see the file comment).
 */
export function encryptBackup(
  plaintext: Uint8Array,
  key: NodeKey,
  backupVersion: number,
  nonce: NonceSource = (header, text) => key.syntheticNonce(header, text),
): Uint8Array {
  if (!Number.isSafeInteger(backupVersion) || backupVersion < 1) {
    throw new RangeError(`backup version must be a positive integer, got ${backupVersion}`);
  }
  const header = writeHeader({ formatVersion: BACKUP_FILE_FORMAT_VERSION, nodeId: key.nodeId, backupVersion });
  const nonceBytes = nonce(header, plaintext);
  if (nonceBytes.length !== NONCE_SIZE) throw new RangeError(`nonce source gave ${nonceBytes.length} bytes, not ${NONCE_SIZE}`);
  const sealed = sealXChaCha20Poly1305(key.bytes(), nonceBytes, header, plaintext);
  const file = new Uint8Array(header.length + NONCE_SIZE + sealed.length);
  file.set(header);
  file.set(nonceBytes, header.length);
  file.set(sealed, header.length + NONCE_SIZE);
  return file;
}

/**
 * readBackupHeader reads the clear header of an encrypted backup. It is NOT authenticated until
 * `decryptBackup` succeeds: use it to pick the key and to name files, never to trust content.
 * Throws MalformedBackupError for a file too short, with the wrong magic or an unknown version.
 */
export function readBackupHeader(file: Uint8Array): BackupHeader {
  if (file.length < BACKUP_HEADER_SIZE + NONCE_SIZE + TAG_SIZE) {
    throw new MalformedBackupError(
      `backup file is ${file.length} bytes, shorter than the ${BACKUP_HEADER_SIZE + NONCE_SIZE + TAG_SIZE} bytes of header, nonce and tag`,
    );
  }
  const reader = new ByteReader(file);
  if (!equalBytes(reader.bytes(4), BACKUP_FILE_MAGIC)) {
    throw new MalformedBackupError('not an lnfleet backup file (magic is not "LFBK")', 0);
  }
  const formatVersion = reader.u8();
  if (formatVersion !== BACKUP_FILE_FORMAT_VERSION) {
    throw new MalformedBackupError(
      `backup file format version ${formatVersion} is not supported (this code reads version ${BACKUP_FILE_FORMAT_VERSION})`,
      4,
    );
  }
  const nodeId = bytesToHex(reader.bytes(33));
  if (!Pubkey.safeParse(nodeId).success) throw new MalformedBackupError('node id is not a compressed public key', 5);
  const version = reader.u64();
  if (version < 1n || version > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new MalformedBackupError(`backup version ${version} is out of range`, 38);
  }
  return { formatVersion, nodeId, backupVersion: Number(version) };
}

/**
 * decryptBackup authenticates and opens an encrypted backup with the node's key and returns the
 * serialized channel set. Throws MalformedBackupError when the file is not a backup we read,
 * NodeMismatchError when its header names another node than the key's, and
 * WrongKeyOrTamperedError when authentication fails (wrong master key, or any byte changed).
 */
export function decryptBackup(file: Uint8Array, key: NodeKey): { header: BackupHeader; plaintext: Uint8Array } {
  const header = readBackupHeader(file);
  if (header.nodeId !== key.nodeId) throw new NodeMismatchError(key.nodeId, header.nodeId);
  const aad = file.subarray(0, BACKUP_HEADER_SIZE);
  const nonce = file.subarray(BACKUP_HEADER_SIZE, BACKUP_HEADER_SIZE + NONCE_SIZE);
  const sealed = file.subarray(BACKUP_HEADER_SIZE + NONCE_SIZE);
  try {
    return { header, plaintext: openXChaCha20Poly1305(key.bytes(), nonce, aad, sealed) };
  } catch (cause) {
    throw new WrongKeyOrTamperedError(header.nodeId, header.backupVersion, { cause });
  }
}

/**
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha) on Node's native ChaCha20-Poly1305: the subkey is
 * HChaCha20(key, nonce[0..16]) and the IETF nonce is four zero bytes and nonce[16..24]. The same
 * bytes as @noble/ciphers' xchacha20poly1305 (ciphertext then 16-byte tag; tested against it),
 * several times faster, which a replay of a whole fleet's history notices.
 */
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);

function littleEndianWords(bytes: Uint8Array): Uint32Array {
  const words = new Uint32Array(bytes.length / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let i = 0; i < words.length; i++) words[i] = view.getUint32(4 * i, true);
  return words;
}

function xchachaSubkeyAndNonce(key: Uint8Array, nonce: Uint8Array): { subkey: Buffer; ietfNonce: Buffer } {
  const out = new Uint32Array(8);
  hchacha(SIGMA, littleEndianWords(key), littleEndianWords(nonce.subarray(0, 16)), out);
  const subkey = Buffer.alloc(32);
  for (let i = 0; i < 8; i++) subkey.writeUInt32LE(out[i] ?? 0, 4 * i);
  const ietfNonce = Buffer.alloc(12);
  ietfNonce.set(nonce.subarray(16, 24), 4);
  return { subkey, ietfNonce };
}

/** sealXChaCha20Poly1305 encrypts and authenticates `plaintext` (and `aad`): ciphertext ‖ tag. */
export function sealXChaCha20Poly1305(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const { subkey, ietfNonce } = xchachaSubkeyAndNonce(key, nonce);
  const cipher = createCipheriv('chacha20-poly1305', subkey, ietfNonce, { authTagLength: TAG_SIZE });
  cipher.setAAD(aad, { plaintextLength: plaintext.length });
  return new Uint8Array(Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]));
}

/** openXChaCha20Poly1305 checks and decrypts `sealed` (ciphertext ‖ tag); throws when authentication fails. */
export function openXChaCha20Poly1305(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (sealed.length < TAG_SIZE) throw new Error('sealed data is shorter than its tag');
  const { subkey, ietfNonce } = xchachaSubkeyAndNonce(key, nonce);
  const decipher = createDecipheriv('chacha20-poly1305', subkey, ietfNonce, { authTagLength: TAG_SIZE });
  const ciphertext = sealed.subarray(0, sealed.length - TAG_SIZE);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
  decipher.setAAD(aad, { plaintextLength: ciphertext.length });
  return new Uint8Array(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
}

function kdfInfo(prefix: Uint8Array, nodeId: string): Uint8Array {
  const info = new Uint8Array(prefix.length + 33);
  info.set(prefix);
  info.set(hexToBytes(nodeId), prefix.length);
  return info;
}

function writeHeader(header: BackupHeader): Uint8Array {
  const writer = new ByteWriter();
  writer.bytes(BACKUP_FILE_MAGIC);
  writer.u8(header.formatVersion);
  writer.bytes(hexToBytes(header.nodeId));
  writer.u64(BigInt(header.backupVersion));
  return writer.finish();
}
