import { formatRestoreResult, formatVerifyReport } from './report.js';
import type { NodeVerification } from './verify-backups.js';

const NODE = `03${'5e'.repeat(32)}`;

function node(overrides: Partial<NodeVerification>): NodeVerification {
  return {
    nodeId: NODE,
    ok: true,
    expectedChannels: 1,
    expectedHash: 'ab'.repeat(32),
    backupVersion: 3,
    backupHash: 'ab'.repeat(32),
    missing: [],
    unexpected: [],
    differing: [],
    file: 'ok',
    problems: [],
    ...overrides,
  };
}

describe('tool reports', () => {
  it('says what a restore wrote', () => {
    const line = formatRestoreResult({
      nodeId: NODE,
      kind: 'channel-set',
      version: 3,
      contentHash: 'cd'.repeat(32),
      channelCount: 1,
      createdAt: new Date('2026-11-22T03:00:00Z'),
      outFile: '/tmp/out.json',
      bytesWritten: 512,
    });
    expect(line).toBe(`restored channel-set backup version 3 of node ${NODE} (sha256 ${'cd'.repeat(32)}, 1 channel, stored 2026-11-22T03:00:00.000Z) to /tmp/out.json (512 bytes)`);
  });

  it('lists each node, the problems of a mismatch, a summary and the lag warning', () => {
    const text = formatVerifyReport({
      ok: false,
      streamLastSequence: 42,
      lagging: true,
      nodes: [node({}), node({ ok: false, nodeId: `02${'77'.repeat(32)}`, expectedChannels: 2, problems: ['missing from the backup: x:0'] })],
    });
    expect(text.split('\n')).toEqual([
      `ok       ${NODE} version 3, 1 channel expected`,
      `MISMATCH 02${'77'.repeat(32)} version 3, 2 channels expected`,
      '         - missing from the backup: x:0',
      '2 nodes checked against the event stream up to #42: 1 mismatched',
      'note: the backup service has not acknowledged every event yet; mismatches may only mean it is behind',
    ]);
  });
});
