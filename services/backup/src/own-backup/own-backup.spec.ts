import { createHash } from 'node:crypto';
import { NODE, backupUpdated, channelPoint } from '../channel-set/events.fixture.js';
import { isNewOwnBackup, ownBackupOf } from './own-backup.js';

describe("the node's own backup", () => {
  const packed = Uint8Array.from({ length: 45 }, (_, i) => i);

  it('keeps the packed bytes exactly, with their hash and sorted channel points', () => {
    const backup = ownBackupOf(backupUpdated(packed, [channelPoint(2, 10), channelPoint(2, 2), channelPoint(1)]));
    expect(backup.nodeId).toBe(NODE);
    expect(backup.packed).toEqual(packed);
    expect(backup.contentHash).toBe(createHash('sha256').update(packed).digest('hex'));
    expect(backup.channelPoints).toEqual([channelPoint(1), channelPoint(2, 2), channelPoint(2, 10)]);
  });

  it('is new only when its bytes differ from the last one stored', () => {
    const backup = ownBackupOf(backupUpdated(packed, []));
    expect(isNewOwnBackup(null, backup)).toBe(true);
    expect(isNewOwnBackup(backup.contentHash, backup)).toBe(false);
    expect(isNewOwnBackup(backup.contentHash, ownBackupOf(backupUpdated(packed.map((byte) => byte ^ 1), [])))).toBe(true);
  });
});
