import { z } from 'zod';
import { defineMessage } from '../envelope.js';
import { NetworkAddress, Pubkey, Sat } from '../primitives.js';

/** Commands to managed nodes. The gateway executes each command id at most once. */

export const OpenChannel = defineMessage({
  type: 'OpenChannel',
  kind: 'command',
  schemaVersion: 1,
  description:
    'Open a channel from the managed node to a peer (lnd OpenChannel). Answered by ChannelOpenRequested or ChannelOpenFailed.',
  data: z
    .strictObject({
      peer: Pubkey,
      peerAddresses: z.array(NetworkAddress).max(32).describe('where to connect to the peer if not connected'),
      localFundingSat: Sat.min(1),
      pushSat: Sat.describe('amount given to the peer at open (lnd push_sat)'),
      targetConf: z.int().min(1).max(1008).describe('confirmation target for the funding fee'),
      minConfs: z.int().min(0).describe('confirmations required on spent outputs (lnd min_confs)'),
      private: z.boolean(),
      expiresAt: z.iso.datetime({ offset: true }).describe('after this the gateway must not execute it'),
    })
    .refine((data) => data.pushSat < data.localFundingSat, {
      message: 'must be less than localFundingSat',
      path: ['pushSat'],
    }),
});
