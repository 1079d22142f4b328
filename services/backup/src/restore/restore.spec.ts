import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evolve, initialChannelSet, snapshotOf } from '../channel-set/channel-set.js';
import { NODE, OTHER_NODE, channelPoint, closed, openData, opened, pending, snapshot } from '../channel-set/events.fixture.js';
import { deriveNodeKey, encryptBackup, parseMasterKey } from '../crypto/backup-crypto.js';
import { MalformedBackupError, NodeMismatchError, WrongKeyOrTamperedError } from '../errors.js';
import { contentHash, serializeChannelSet } from '../format/serialize.js';
import { openBackup, restoreBackupFile, restoredBackupJson } from './restore.js';

const master = parseMasterKey('33'.repeat(32));
const wrongMaster = parseMasterKey('34'.repeat(32));
const key = deriveNodeKey(master, NODE);

/** A node's backup after a few events: two channels in, one closed, one awaiting resolution. */
function backupOfEvents(): { file: Uint8Array; plaintext: Uint8Array; version: number } {
  let result = evolve(initialChannelSet(NODE), snapshot({ open: [openData(channelPoint(1))] }), 1);
  result = evolve(result.state, pending(channelPoint(2)), 2);
  result = evolve(result.state, opened(channelPoint(3)), 3);
  result = evolve(result.state, closed(channelPoint(3), 'COOPERATIVE_CLOSE'), 4);
  result = evolve(result.state, closed(channelPoint(1), 'LOCAL_FORCE_CLOSE'), 5);
  const plaintext = serializeChannelSet(snapshotOf(result.state));
  return { file: encryptBackup(plaintext, key, result.state.version), plaintext, version: result.state.version };
}

let work: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'lnfleet-restore-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('openBackup', () => {
  it('gives back the channel set that was backed up', () => {
    const { file, plaintext, version } = backupOfEvents();
    const restored = openBackup(file, master, NODE);
    expect(restored.nodeId).toBe(NODE);
    expect(restored.backupVersion).toBe(version);
    expect(restored.contentHash).toBe(contentHash(plaintext));
    expect(restored.channels.map((channel) => channel.channelPoint)).toEqual([channelPoint(1), channelPoint(2)]);
  });

  it('fails clearly on a wrong key or a modified file', () => {
    const { file } = backupOfEvents();
    expect(() => openBackup(file, wrongMaster)).toThrow(WrongKeyOrTamperedError);
    const tampered = Uint8Array.from(file);
    tampered[100] = (tampered[100] ?? 0) ^ 0x80;
    expect(() => openBackup(tampered, master)).toThrow(/the master key is wrong or the file was modified/);
  });

  it("refuses another node's backup when a node is expected", () => {
    expect(() => openBackup(backupOfEvents().file, master, OTHER_NODE)).toThrow(NodeMismatchError);
  });

  it('refuses an authentic file whose channel set names another node, or is not a channel set', () => {
    const foreign = encryptBackup(serializeChannelSet({ nodeId: OTHER_NODE, channels: [] }), key, 1);
    expect(() => openBackup(foreign, master)).toThrow(MalformedBackupError);
    expect(() => openBackup(encryptBackup(new TextEncoder().encode('not a set'), key, 1), master)).toThrow(MalformedBackupError);
  });
});

describe('restoreBackupFile', () => {
  it('writes the verified channel set as JSON, from a path', async () => {
    const { file, version } = backupOfEvents();
    const input = join(work, 'in.backup');
    await writeFile(input, file);
    const outputDir = join(work, 'out');
    const { restored, written } = await restoreBackupFile({ backup: input, masterKey: master, expectedNodeId: NODE, outputDir });
    expect(written.path).toBe(join(outputDir, `${NODE}.v${version}.channels.json`));
    const json = await readFile(written.path, 'utf8');
    expect(json).toBe(restoredBackupJson(restored));
    expect(JSON.parse(json)).toMatchObject({ nodeId: NODE, backupVersion: version, channels: [{ channelPoint: channelPoint(1) }, {}] });
  });

  it.each([
    ['a wrong master key', () => ({ backup: backupOfEvents().file, masterKey: wrongMaster }), WrongKeyOrTamperedError],
    [
      'a tampered file',
      () => {
        const tampered = Uint8Array.from(backupOfEvents().file);
        tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
        return { backup: tampered, masterKey: master };
      },
      WrongKeyOrTamperedError,
    ],
    ['another node', () => ({ backup: backupOfEvents().file, masterKey: master, expectedNodeId: OTHER_NODE }), NodeMismatchError],
    ['a truncated file', () => ({ backup: backupOfEvents().file.subarray(0, 60), masterKey: master }), MalformedBackupError],
  ] as const)('writes nothing for %s', async (_what, request, error) => {
    const outputDir = join(work, 'out');
    await expect(restoreBackupFile({ ...request(), outputDir })).rejects.toThrow(error);
    expect(await readdir(work)).toEqual([]);
  });

  it('leaves an earlier restore untouched when a later one fails', async () => {
    const outputDir = join(work, 'out');
    const ok = await restoreBackupFile({ backup: backupOfEvents().file, masterKey: master, outputDir, outputName: 'restored.json' });
    const before = await readFile(ok.written.path, 'utf8');
    await expect(
      restoreBackupFile({ backup: backupOfEvents().file, masterKey: wrongMaster, outputDir, outputName: 'restored.json' }),
    ).rejects.toThrow(WrongKeyOrTamperedError);
    expect(await readFile(ok.written.path, 'utf8')).toBe(before);
    expect(await readdir(outputDir)).toEqual(['restored.json']);
  });
});
