import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { InvalidMasterKeyError, MalformedBackupError, NodeMismatchError, WrongKeyOrTamperedError, isBackupError } from '../errors.js';
import {
  BACKUP_HEADER_SIZE,
  MasterKey,
  NONCE_SIZE,
  TAG_SIZE,
  decryptBackup,
  deriveNodeKey,
  encryptBackup,
  openXChaCha20Poly1305,
  parseMasterKey,
  sealXChaCha20Poly1305,
  readBackupHeader,
} from './backup-crypto.js';

const NODE = `03${'5e'.repeat(32)}`;
const OTHER_NODE = `02${'77'.repeat(32)}`;
const MASTER_HEX = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const master = parseMasterKey(MASTER_HEX);
const otherMaster = parseMasterKey('ff'.repeat(32));
const plaintext = new TextEncoder().encode('a serialized channel set stands in here');

/** fixedNonce returns the bytes 0xa0, 0xa1, ... every time: a known nonce for layout tests. */
const fixedNonce = (): Uint8Array => Uint8Array.from({ length: NONCE_SIZE }, (_, i) => 0xa0 + i);

describe('master key', () => {
  const raw = Buffer.from(MASTER_HEX, 'hex');

  it.each([
    ['lowercase hex', MASTER_HEX],
    ['uppercase hex', MASTER_HEX.toUpperCase()],
    ['base64', raw.toString('base64')],
    ['base64 without padding', raw.toString('base64').replace(/=+$/, '')],
    ['base64url', Buffer.alloc(32, 0xfb).toString('base64url')],
    ['hex with a trailing newline (a mounted secret file)', `${MASTER_HEX}\n`],
  ])('reads %s', (_what, secret) => {
    const key = parseMasterKey(secret);
    const expected = secret.includes('-') || secret.includes('_') ? Buffer.alloc(32, 0xfb) : raw;
    expect(Buffer.from(key.bytes())).toEqual(expected);
  });

  it.each([
    ['empty', '', /master key is empty/],
    ['31 bytes of hex', 'ab'.repeat(31), /must be 32 bytes.*decodes to 46 bytes/],
    ['33 bytes of base64', Buffer.alloc(33, 7).toString('base64'), /must be 32 bytes.*decodes to 33 bytes/],
    ['16 bytes of base64', Buffer.alloc(16, 7).toString('base64'), /decodes to 16 bytes/],
    ['neither hex nor base64', 'correct horse battery staple!', /neither/],
  ])('rejects %s with a clear error that does not repeat the secret', (_what, secret, message) => {
    expect(() => parseMasterKey(secret)).toThrow(InvalidMasterKeyError);
    expect(() => parseMasterKey(secret)).toThrow(message);
    try {
      parseMasterKey(secret);
    } catch (err) {
      if (secret !== '') expect((err as Error).message).not.toContain(secret);
    }
  });

  it('rejects raw bytes of the wrong length', () => {
    expect(() => MasterKey.fromBytes(new Uint8Array(31))).toThrow('master key must be 32 bytes, got 31');
  });

  it('never prints itself', () => {
    expect(String(master)).toBe('[MasterKey]');
    expect(JSON.stringify({ master })).toBe('{"master":"[MasterKey]"}');
    expect(String(deriveNodeKey(master, NODE))).toBe(`[NodeKey ${NODE}]`);
  });
});

describe('node key derivation', () => {
  it('is HKDF-SHA256 of the master key with the node id in the info', () => {
    // Checked against Node's own HKDF, an implementation independent of @noble/hashes.
    const info = Buffer.concat([Buffer.from('lnfleet channel-set key\0'), Buffer.from(NODE, 'hex')]);
    const expected = Buffer.from(hkdfSync('sha256', Buffer.from(MASTER_HEX, 'hex'), 'lnfleet-backup-kdf-v1', info, 32));
    expect(Buffer.from(deriveNodeKey(master, NODE).bytes())).toEqual(expected);
  });

  it('gives each node and each master key its own key', () => {
    const keys = [deriveNodeKey(master, NODE), deriveNodeKey(master, OTHER_NODE), deriveNodeKey(otherMaster, NODE)];
    const hexKeys = new Set(keys.map((key) => Buffer.from(key.bytes()).toString('hex')));
    expect(hexKeys.size).toBe(3);
    expect(deriveNodeKey(master, NODE).bytes()).toEqual(deriveNodeKey(master, NODE).bytes());
  });

  it('rejects a malformed node id', () => {
    expect(() => deriveNodeKey(master, 'node-1')).toThrow(RangeError);
  });
});

describe('backup encryption', () => {
  const key = deriveNodeKey(master, NODE);

  it('writes header, nonce, then ciphertext and tag', () => {
    const file = encryptBackup(plaintext, key, 7, fixedNonce);
    expect(file.length).toBe(BACKUP_HEADER_SIZE + NONCE_SIZE + plaintext.length + TAG_SIZE);
    expect(Buffer.from(file.subarray(0, BACKUP_HEADER_SIZE)).toString('hex')).toBe(`4c46424b01${NODE}0000000000000007`);
    expect(file.subarray(BACKUP_HEADER_SIZE, BACKUP_HEADER_SIZE + NONCE_SIZE)).toEqual(fixedNonce());
    expect(Buffer.from(file).includes(Buffer.from(plaintext))).toBe(false);
    expect(readBackupHeader(file)).toEqual({ formatVersion: 1, nodeId: NODE, backupVersion: 7 });
  });

  it('decrypts what it encrypts', () => {
    const { header, plaintext: opened } = decryptBackup(encryptBackup(plaintext, key, 3), key);
    expect(opened).toEqual(plaintext);
    expect(header.backupVersion).toBe(3);
  });

  it('derives the nonce from key, header and plaintext: the same backup encrypts to the same file', () => {
    const first = encryptBackup(plaintext, key, 1);
    expect(encryptBackup(plaintext, deriveNodeKey(master, NODE), 1)).toEqual(first);
    const nonceOf = (file: Uint8Array): Uint8Array => file.subarray(BACKUP_HEADER_SIZE, BACKUP_HEADER_SIZE + NONCE_SIZE);
    // Another version, another plaintext, another master key: another nonce.
    const others = [
      encryptBackup(plaintext, key, 2),
      encryptBackup(new TextEncoder().encode('another channel set stands in here'), key, 1),
      encryptBackup(plaintext, deriveNodeKey(otherMaster, NODE), 1),
    ];
    for (const other of others) expect(Buffer.from(nonceOf(other)).equals(Buffer.from(nonceOf(first)))).toBe(false);
    expect(decryptBackup(first, key).plaintext).toEqual(plaintext);
  });

  it('keeps the nonce key apart from the encryption key', () => {
    // The nonce is HMAC-SHA256 under an HKDF key with its own info, not under the cipher key.
    const header = encryptBackup(plaintext, key, 1).subarray(0, BACKUP_HEADER_SIZE);
    const info = Buffer.concat([Buffer.from('lnfleet channel-set nonce key\0'), Buffer.from(NODE, 'hex')]);
    const nonceKey = Buffer.from(hkdfSync('sha256', Buffer.from(MASTER_HEX, 'hex'), 'lnfleet-backup-kdf-v1', info, 32));
    const expected = createHmac('sha256', nonceKey).update(header).update(plaintext).digest().subarray(0, NONCE_SIZE);
    expect(Buffer.from(key.syntheticNonce(header, plaintext))).toEqual(expected);
    expect(nonceKey.equals(Buffer.from(key.bytes()))).toBe(false);
  });

  it('fails with a clear error under a wrong master key', () => {
    const file = encryptBackup(plaintext, key, 4);
    const wrong = deriveNodeKey(otherMaster, NODE);
    expect(() => decryptBackup(file, wrong)).toThrow(WrongKeyOrTamperedError);
    expect(() => decryptBackup(file, wrong)).toThrow(
      `backup version 4 of node ${NODE} failed authentication: the master key is wrong or the file was modified`,
    );
  });

  it('detects a change to any byte of the file', () => {
    const file = encryptBackup(plaintext, key, 5);
    for (let i = 0; i < file.length; i += 1) {
      const tampered = Uint8Array.from(file);
      tampered[i] = (tampered[i] ?? 0) ^ 0x01;
      let error: unknown = null;
      try {
        decryptBackup(tampered, key);
      } catch (err) {
        error = err;
      }
      expect(isBackupError(error)).toBe(true);
      // A changed magic, format version, node id or an out-of-range version is seen by reading the
      // header; from the version's last byte on (nonce, ciphertext, tag) only authentication can see it.
      if (i >= BACKUP_HEADER_SIZE - 1) expect(error).toBeInstanceOf(WrongKeyOrTamperedError);
    }
  });

  it('binds the header: another version number or another node fails authentication', () => {
    const file = encryptBackup(plaintext, key, 5);
    const renumbered = Uint8Array.from(file);
    renumbered[BACKUP_HEADER_SIZE - 1] = 6;
    expect(() => decryptBackup(renumbered, key)).toThrow(WrongKeyOrTamperedError);

    // Relabelled as another node's file, opened with that node's key.
    const relabelled = Uint8Array.from(file);
    relabelled.set(Buffer.from(OTHER_NODE, 'hex'), 5);
    expect(() => decryptBackup(relabelled, deriveNodeKey(master, OTHER_NODE))).toThrow(WrongKeyOrTamperedError);
  });

  it('rejects truncated and extended files', () => {
    const file = encryptBackup(plaintext, key, 5);
    expect(() => decryptBackup(file.subarray(0, file.length - 1), key)).toThrow(WrongKeyOrTamperedError);
    expect(() => decryptBackup(Uint8Array.from([...file, 0]), key)).toThrow(WrongKeyOrTamperedError);
    expect(() => decryptBackup(file.subarray(0, BACKUP_HEADER_SIZE + NONCE_SIZE + TAG_SIZE - 1), key)).toThrow(MalformedBackupError);
  });

  it('names the node when the key is for another one', () => {
    const file = encryptBackup(plaintext, key, 5);
    expect(() => decryptBackup(file, deriveNodeKey(master, OTHER_NODE))).toThrow(NodeMismatchError);
    expect(() => decryptBackup(file, deriveNodeKey(master, OTHER_NODE))).toThrow(
      `backup belongs to node ${NODE}, not to the requested node ${OTHER_NODE}`,
    );
  });

  it('reads only its own format', () => {
    const file = encryptBackup(plaintext, key, 5);
    const otherMagic = Uint8Array.from(file);
    otherMagic[0] = 0;
    expect(() => readBackupHeader(otherMagic)).toThrow('not an lnfleet backup file (magic is not "LFBK") (at byte 0)');
    const newer = Uint8Array.from(file);
    newer[4] = 2;
    expect(() => readBackupHeader(newer)).toThrow('backup file format version 2 is not supported');
    const versionZero = Uint8Array.from(file);
    versionZero[BACKUP_HEADER_SIZE - 1] = 0;
    expect(() => readBackupHeader(versionZero)).toThrow('backup version 0 is out of range');
  });

  it('refuses a backup version that is not a positive integer', () => {
    expect(() => encryptBackup(plaintext, key, 0)).toThrow(RangeError);
    expect(() => encryptBackup(plaintext, key, 1.5)).toThrow(RangeError);
  });
});

describe('XChaCha20-Poly1305 on the native cipher', () => {
  it('gives the same bytes as @noble/ciphers, and opens what it seals, for every length around the block size', () => {
    for (const length of [0, 1, 15, 16, 63, 64, 65, 127, 1000, 5399]) {
      const key = randomBytes(32);
      const nonce = randomBytes(24);
      const aad = randomBytes(46);
      const plaintext = randomBytes(length);
      const sealed = sealXChaCha20Poly1305(key, nonce, aad, plaintext);
      expect(Buffer.from(sealed).equals(Buffer.from(xchacha20poly1305(key, nonce, aad).encrypt(plaintext)))).toBe(true);
      expect(Buffer.from(openXChaCha20Poly1305(key, nonce, aad, sealed)).equals(plaintext)).toBe(true);
      const tampered = Uint8Array.from(sealed);
      tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
      expect(() => openXChaCha20Poly1305(key, nonce, aad, tampered)).toThrow();
      expect(() => openXChaCha20Poly1305(key, nonce, randomBytes(46), sealed)).toThrow();
    }
  });

});
