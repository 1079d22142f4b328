import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveNodeKey, encryptBackup, parseMasterKey, readBackupHeader } from '../crypto/backup-crypto.js';
import { NodeMismatchError, WrongKeyOrTamperedError } from '../errors.js';
import { serializeChannelSet } from '../format/serialize.js';
import { ARCHIVE_DIR } from './atomic-file.js';
import { CHANNEL_SET_FILE, OWN_BACKUP_FILE, nodeDirectory, writeChannelSetBackup, writeOwnBackup } from './backup-files.js';

const NODE = `03${'5e'.repeat(32)}`;
const OTHER_NODE = `02${'77'.repeat(32)}`;
const master = parseMasterKey('11'.repeat(32));
const key = deriveNodeKey(master, NODE);
const emptySet = serializeChannelSet({ nodeId: NODE, channels: [] });

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'lnfleet-backup-files-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function currentVersion(): Promise<number> {
  return readBackupHeader(new Uint8Array(await readFile(join(root, NODE, CHANNEL_SET_FILE)))).backupVersion;
}

describe('channel-set backup files', () => {
  it("writes a node's backup into its own directory", async () => {
    const result = await writeChannelSetBackup(root, encryptBackup(emptySet, key, 1), key);
    expect(result).toEqual({ written: true, path: join(root, NODE, CHANNEL_SET_FILE), archivedAs: null });
    expect(await currentVersion()).toBe(1);
  });

  it('archives each earlier version under its version number', async () => {
    for (const version of [1, 2, 3]) await writeChannelSetBackup(root, encryptBackup(emptySet, key, version), key);
    expect(await currentVersion()).toBe(3);
    expect((await readdir(join(root, NODE, ARCHIVE_DIR))).sort()).toEqual([`${CHANNEL_SET_FILE}.v1`, `${CHANNEL_SET_FILE}.v2`]);
  });

  it('writes nothing for a version already in place, or older (a replay)', async () => {
    await writeChannelSetBackup(root, encryptBackup(emptySet, key, 4), key);
    const before = await readFile(join(root, NODE, CHANNEL_SET_FILE));
    for (const version of [4, 3, 1]) {
      // A re-encryption of the same version has another nonce: still not written.
      const result = await writeChannelSetBackup(root, encryptBackup(emptySet, key, version), key);
      expect(result.written).toBe(false);
    }
    expect(await readFile(join(root, NODE, CHANNEL_SET_FILE))).toEqual(before);
    await expect(readdir(join(root, NODE, ARCHIVE_DIR))).rejects.toThrow(/ENOENT/);
  });

  it('replaces a file in place that does not open, archiving it as unverified', async () => {
    await writeChannelSetBackup(root, encryptBackup(emptySet, key, 9), key);
    const path = join(root, NODE, CHANNEL_SET_FILE);
    const corrupt = new Uint8Array(await readFile(path));
    corrupt[corrupt.length - 1] = (corrupt[corrupt.length - 1] ?? 0) ^ 0xff;
    await writeFile(path, corrupt);

    const result = await writeChannelSetBackup(root, encryptBackup(emptySet, key, 2), key);
    expect(result.written).toBe(true);
    expect(await currentVersion()).toBe(2);
    expect(result.archivedAs).toMatch(new RegExp(`${ARCHIVE_DIR}/${CHANNEL_SET_FILE}\\.unverified\\.[0-9a-f]{16}$`));
  });

  it('never writes a file its key cannot open', async () => {
    const wrongKey = deriveNodeKey(parseMasterKey('22'.repeat(32)), NODE);
    await expect(writeChannelSetBackup(root, encryptBackup(emptySet, wrongKey, 1), key)).rejects.toThrow(WrongKeyOrTamperedError);
    await expect(writeChannelSetBackup(root, encryptBackup(emptySet, key, 1), deriveNodeKey(master, OTHER_NODE))).rejects.toThrow(
      NodeMismatchError,
    );
    expect(await readdir(root)).toEqual([]);
  });
});

describe("the node's own backup files", () => {
  const packed = (fill: number): Uint8Array => new Uint8Array(45).fill(fill);

  it('stores the bytes verbatim under lnd\'s file name', async () => {
    const result = await writeOwnBackup(root, NODE, packed(1));
    expect(result).toEqual({ written: true, path: join(root, NODE, OWN_BACKUP_FILE), archivedAs: null });
    expect(new Uint8Array(await readFile(join(root, NODE, OWN_BACKUP_FILE)))).toEqual(packed(1));
  });

  it('writes nothing for the same bytes again, and archives replaced ones', async () => {
    await writeOwnBackup(root, NODE, packed(1));
    expect((await writeOwnBackup(root, NODE, packed(1))).written).toBe(false);
    const replaced = await writeOwnBackup(root, NODE, packed(2));
    expect(replaced.written).toBe(true);
    expect(new Uint8Array(await readFile(replaced.archivedAs ?? ''))).toEqual(packed(1));
  });

  it('refuses a malformed node id rather than writing outside the root', async () => {
    await expect(writeOwnBackup(root, '../etc', packed(1))).rejects.toThrow(RangeError);
    expect(() => nodeDirectory(root, NODE)).not.toThrow();
  });
});
