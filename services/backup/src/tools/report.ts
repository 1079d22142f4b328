/** Plain-text renderings of the tools' results, for the command line. */
import type { RestoreBackupResult } from './restore-backup.js';
import type { VerifyReport } from './verify-backups.js';

/** formatRestoreResult says in one line what a restore wrote. */
export function formatRestoreResult(result: RestoreBackupResult): string {
  const channels = result.channelCount === null ? '' : `, ${count(result.channelCount, 'channel')}`;
  const stored = result.createdAt === null ? '' : `, stored ${result.createdAt.toISOString()}`;
  return `restored ${result.kind} backup version ${result.version} of node ${result.nodeId} (sha256 ${result.contentHash}${channels}${stored}) to ${result.outFile} (${result.bytesWritten} bytes)`;
}

/** formatVerifyReport lists each node's result and a summary line. */
export function formatVerifyReport(report: VerifyReport): string {
  const lines = report.nodes.map((node) => {
    const version = node.backupVersion === null ? 'no backup' : `version ${node.backupVersion}`;
    const head = `${node.ok ? 'ok      ' : 'MISMATCH'} ${node.nodeId} ${version}, ${count(node.expectedChannels, 'channel')} expected`;
    return node.ok ? head : [head, ...node.problems.map((problem) => `         - ${problem}`)].join('\n');
  });
  const failed = report.nodes.filter((node) => !node.ok).length;
  lines.push(
    `${count(report.nodes.length, 'node')} checked against the event stream up to #${report.streamLastSequence}: ` +
      (failed === 0 ? 'all backups match' : `${failed} mismatched`),
  );
  if (report.lagging) lines.push('note: the backup service has not acknowledged every event yet; mismatches may only mean it is behind');
  return lines.join('\n');
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
