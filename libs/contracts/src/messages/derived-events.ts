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
