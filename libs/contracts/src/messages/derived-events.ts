import { z } from 'zod';
import { defineMessage } from '../envelope.js';
import { Pubkey } from '../primitives.js';

/**
 * Events the services derive from node facts and publish on the derived stream
 * (`lnfleet.drv.<service>.<nodeId>.<Type>`). Unlike node facts they are conclusions: replaying
 * the node facts into the service yields them again, with the same ids.
 */

/** UnfitReason names a chanfitness threshold a peer is on the wrong side of. */
export const UnfitReason = z
  .enum(['FLAPPING', 'LOW_UPTIME'])
  .describe('FLAPPING: cooled-down flap count above the maximum; LOW_UPTIME: uptime ratio over the window below the minimum');
export type UnfitReason = z.infer<typeof UnfitReason>;

const reasons = z.array(UnfitReason).max(2);
const ratio = z.number().min(0).max(1);

export const PeerFitnessChanged = defineMessage({
  type: 'PeerFitnessChanged',
  kind: 'event',
  derivedBy: 'chanfitness',
  schemaVersion: 1,
  description:
    "A peer of a managed node crossed one of chanfitness's thresholds (flap count, uptime ratio), in either direction. " +
    'occurredAt is the node time it was judged at; the autopilot avoids unfit peers.',
  data: z.strictObject({
    peer: Pubkey,
    fit: z.boolean().describe('true when no threshold is crossed any more'),
    reasons: reasons.describe('thresholds crossed now; empty when fit'),
    previousReasons: reasons.describe('thresholds crossed before this change; empty when the peer was fit'),
    flapCount: z.int().nonnegative().describe('flap count cooled down to occurredAt'),
    maxFlapCount: z.int().nonnegative().describe('threshold: the most flaps a fit peer may have'),
    uptimeRatio: ratio.nullable().describe('uptime over the window, null when nothing was observed'),
    minUptimeRatio: ratio.describe('threshold: the lowest uptime ratio a fit peer may have'),
    uptimeWindowMs: z.int().positive().describe('the trailing window uptime is measured over, in milliseconds'),
    openChannels: z.int().nonnegative().describe('channels with the peer that are open'),
  }),
});

/** BackupKind says which of a node's backups a BackupStored is about. */
export const BackupKind = z
  .enum(['CHANNEL_SET', 'NODE_PACKED'])
  .describe("CHANNEL_SET: lnfleet's encrypted backup of the node's channel set; NODE_PACKED: the node's own packed multi-channel backup, kept verbatim");
export type BackupKind = z.infer<typeof BackupKind>;

export const BackupStored = defineMessage({
  type: 'BackupStored',
  kind: 'event',
  derivedBy: 'backup',
  schemaVersion: 1,
  description:
    'The backup service stored a new version of one of a managed node\'s backups, in PostgreSQL and in its target directory. ' +
    'Replaying the node facts gives the same versions with the same hashes (and this event with the same id). occurredAt is the node time of the event that made the version.',
  data: z.strictObject({
    backup: BackupKind,
    version: z.int().positive().max(Number.MAX_SAFE_INTEGER).describe('version of this kind of backup of the node: 1, 2, 3, ...'),
    contentHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 in lowercase hex')
      .describe('SHA-256 of the content, lowercase hex: the serialized channel set (CHANNEL_SET) or the packed backup (NODE_PACKED)'),
    channelCount: z.int().nonnegative().describe('channels the backup covers'),
    sizeBytes: z.int().positive().describe('size of the stored file in bytes (encrypted, for CHANNEL_SET)'),
    streamSequence: z.int().positive().describe('sequence in the events stream of the node fact this version reflects'),
  }),
});
