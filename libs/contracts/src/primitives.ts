import { z } from 'zod';

/**
 * Field shapes shared by every message. They are strict on purpose: a value that lnd would never
 * produce (an uppercase or uncompressed pubkey, a fractional satoshi) is a bug upstream, and
 * rejecting it at the edge keeps it out of every projection.
 */

/** Largest value of a uint32 (transaction output index). */
const UINT32_MAX = 4_294_967_295;
/** Largest value of a uint64 (millisatoshi amounts, short channel ids). */
const UINT64_MAX = 18_446_744_073_709_551_615n;

/** Pubkey is a 33-byte compressed secp256k1 public key in lowercase hex (node ids and peers). */
export const Pubkey = z
  .string()
  .regex(/^0[23][0-9a-f]{64}$/, 'must be a 33-byte compressed public key in lowercase hex')
  .describe('33-byte compressed public key, lowercase hex (66 characters, starting 02 or 03)');
export type Pubkey = z.infer<typeof Pubkey>;

/** Txid is a transaction id as lnd displays it: 32 bytes in lowercase hex, byte-reversed. */
export const Txid = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'must be a 32-byte transaction id in lowercase hex')
  .describe('transaction id, 64 lowercase hex characters (display byte order)');

/** ChannelPoint is a channel's funding outpoint written `txid:outputIndex`, as lnd writes it. */
export const ChannelPoint = z
  .string()
  .regex(/^[0-9a-f]{64}:(0|[1-9][0-9]{0,9})$/, 'must be "txid:index" with a 64-hex txid and a decimal output index')
  .refine((value) => Number(value.slice(65)) <= UINT32_MAX, 'output index must fit in 32 bits')
  .describe('funding outpoint "txid:index"');
export type ChannelPoint = z.infer<typeof ChannelPoint>;

/** Sat is an amount in satoshis: a non-negative safe integer (21e14 sat fits easily). */
export const Sat = z.int().nonnegative().describe('amount in satoshis (non-negative integer)');

/** Uint64String is a uint64 written in decimal, as lnd's JSON writes 64-bit integers. */
export const Uint64String = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,19})$/, 'must be an unsigned decimal integer')
  // zod runs refinements even after the regex failed; only convert digit strings (BigInt throws otherwise).
  .refine((value) => !/^[0-9]+$/.test(value) || BigInt(value) <= UINT64_MAX, 'must fit in 64 bits');

/** Msat is an amount in millisatoshis; it can exceed 2^53, so it travels as a decimal string. */
export const Msat = Uint64String.describe('amount in millisatoshis, decimal string (may exceed 2^53)');

/** ShortChannelId is lnd's `chan_id`: the uint64 short channel id as a decimal string. */
export const ShortChannelId = Uint64String.describe('short channel id (lnd chan_id), uint64 as decimal string');

/** NetworkAddress is where a peer listens: `host:port` (IPv4, `[IPv6]`, DNS or onion host). */
export const NetworkAddress = z
  .string()
  .max(255)
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([1-9][0-9]{0,4})$/, 'must be "host:port"')
  .refine((value) => Number(value.slice(value.lastIndexOf(':') + 1)) <= 65_535, 'port must be at most 65535')
  .describe('peer network address "host:port"');

/** Timestamp is an ISO-8601 instant with an explicit offset, e.g. `2026-01-02T03:04:05.000Z`. */
export const Timestamp = z.iso.datetime({ offset: true }).describe('ISO-8601 timestamp with offset');

/** MessageId identifies one message; deterministic ids make JetStream de-duplicate re-publishes. */
export const MessageId = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,200}$/, 'must be 1-200 characters of A-Z a-z 0-9 . _ : -')
  .describe('message id (deterministic; used as the JetStream Nats-Msg-Id)');

/** Initiator says which side opened or closed a channel, as lnd's `Initiator` enum. */
export const Initiator = z
  .enum(['UNKNOWN', 'LOCAL', 'REMOTE', 'BOTH'])
  .describe("which side initiated, as lnd's Initiator enum");

/** CommitmentType is the channel's commitment format, as lnd's `CommitmentType` enum. */
export const CommitmentType = z
  .enum([
    'UNKNOWN_COMMITMENT_TYPE',
    'LEGACY',
    'STATIC_REMOTE_KEY',
    'ANCHORS',
    'SCRIPT_ENFORCED_LEASE',
    'SIMPLE_TAPROOT',
    'SIMPLE_TAPROOT_OVERLAY',
  ])
  .describe("commitment format, as lnd's CommitmentType enum");

/** CloseType is how a channel was closed, as lnd's `ChannelCloseSummary.ClosureType`. */
export const CloseType = z
  .enum(['COOPERATIVE_CLOSE', 'LOCAL_FORCE_CLOSE', 'REMOTE_FORCE_CLOSE', 'BREACH_CLOSE', 'FUNDING_CANCELED', 'ABANDONED'])
  .describe("how the channel closed, as lnd's ClosureType enum");
export type CloseType = z.infer<typeof CloseType>;
