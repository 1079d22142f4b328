import { createHash } from 'node:crypto';
import { ChannelPoint, NetworkAddress, Pubkey, ShortChannelId } from '@lnfleet/contracts';
import {
  canonicalAddresses,
  canonicalShortChannelId,
  compareChannelPoints,
  type BackupChannel,
  type ChannelSetSnapshot,
  type CommitmentType,
  type Initiator,
} from '../channel-set/backup-channel.js';
import { InvalidChannelSetError, MalformedBackupError } from '../errors.js';
import { ByteReader, ByteWriter, bytesToHex, equalBytes, hexToBytes } from './bytes.js';

/**
 * The channel-set serialization: a node's backup set as canonical bytes, the plaintext that
 * `crypto/backup-crypto.ts` encrypts. Canonical means one set has exactly one encoding: channels
 * sorted by channel point, addresses sorted and unique, no optional padding, no trailing bytes,
 * and `parseChannelSet` rejects anything else. So the same set, however it was built, gives
 * identical bytes and an identical content hash. Documented with an example in
 * services/backup/BACKUP_FORMAT.md.
 *
 * All integers are unsigned, big-endian.
 *
 * | size      | field                                                                   |
 * |-----------|-------------------------------------------------------------------------|
 * | 4         | magic `LFCS` (0x4c 0x46 0x43 0x53)                                      |
 * | 1         | format version, 0x01                                                    |
 * | 33        | node id (compressed public key)                                         |
 * | 4         | channel count N                                                         |
 * | N records | channels, ascending by funding txid bytes then output index, unique     |
 *
 * Channel record:
 *
 * | size  | field                                                                            |
 * |-------|----------------------------------------------------------------------------------|
 * | 32    | funding txid, in display byte order (the hex of the channel point, decoded)      |
 * | 4     | funding output index                                                             |
 * | 33    | peer public key                                                                  |
 * | 8     | capacity in satoshis (at most 2^53 - 1)                                          |
 * | 1     | initiator: 0 UNKNOWN, 1 LOCAL, 2 REMOTE, 3 BOTH (lnd's Initiator numbers)         |
 * | 1     | commitment type, lnd's CommitmentType numbers: 0 UNKNOWN_COMMITMENT_TYPE,        |
 * |       | 1 LEGACY, 2 STATIC_REMOTE_KEY, 3 ANCHORS, 4 SCRIPT_ENFORCED_LEASE,               |
 * |       | 5 SIMPLE_TAPROOT, 6 SIMPLE_TAPROOT_OVERLAY                                       |
 * | 1     | flags: bit 0 set = short channel id follows; other bits must be 0                |
 * | 0 / 8 | short channel id (lnd chan_id), only when flag bit 0 is set; never 0             |
 * | 1     | address count A (at most 32)                                                     |
 * | A ×   | address: 1-byte length L (1..255), then L ASCII bytes `host:port`; ascending     |
 * |       | bytewise and unique                                                              |
 */

/** CHANNEL_SET_MAGIC opens every serialized channel set: ASCII `LFCS` (lnfleet channel set). */
export const CHANNEL_SET_MAGIC: Uint8Array = new Uint8Array([0x4c, 0x46, 0x43, 0x53]);

/** CHANNEL_SET_FORMAT_VERSION is the format version this code writes and the only one it reads. */
export const CHANNEL_SET_FORMAT_VERSION = 1;

/** MAX_CHANNELS bounds the channel count a parser accepts, so a corrupt count cannot ask for gigabytes. */
export const MAX_CHANNELS = 1_000_000;

/** MAX_ADDRESSES is the most addresses a channel may carry, as in the contracts. */
export const MAX_ADDRESSES = 32;

/**
 * INITIATOR_CODES are lnd's Initiator enum numbers. Written out rather than taken from the order
 * of the contract's enum, so reordering or extending that enum cannot change the format silently
 * (a new value fails to compile here until it is given a code).
 */
const INITIATOR_CODES: Readonly<Record<Initiator, number>> = { UNKNOWN: 0, LOCAL: 1, REMOTE: 2, BOTH: 3 };

/** COMMITMENT_TYPE_CODES are lnd's CommitmentType enum numbers (see INITIATOR_CODES for why explicit). */
const COMMITMENT_TYPE_CODES: Readonly<Record<CommitmentType, number>> = {
  UNKNOWN_COMMITMENT_TYPE: 0,
  LEGACY: 1,
  STATIC_REMOTE_KEY: 2,
  ANCHORS: 3,
  SCRIPT_ENFORCED_LEASE: 4,
  SIMPLE_TAPROOT: 5,
  SIMPLE_TAPROOT_OVERLAY: 6,
};
const FLAG_SHORT_CHANNEL_ID = 0x01;
const HEADER_SIZE = 4 + 1 + 33 + 4;

/**
 * serializeChannelSet encodes a node's channel set canonically (see the format above). Channels
 * may come in any order and addresses in any order or repeated: the result is the same. Throws
 * InvalidChannelSetError for a value the format cannot hold (a duplicate channel point, a
 * malformed key, a capacity beyond 2^53 - 1, more than 32 addresses).
 */
export function serializeChannelSet(snapshot: ChannelSetSnapshot): Uint8Array {
  const channels = [...snapshot.channels].sort((a, b) => compareChannelPoints(a.channelPoint, b.channelPoint));
  for (let i = 1; i < channels.length; i += 1) {
    if (channels[i - 1]?.channelPoint === channels[i]?.channelPoint) {
      throw new InvalidChannelSetError(`channel ${channels[i]?.channelPoint ?? ''} appears twice in the set`);
    }
  }
  if (channels.length > MAX_CHANNELS) throw new InvalidChannelSetError(`a set holds at most ${MAX_CHANNELS} channels`);
  const writer = new ByteWriter();
  writer.bytes(CHANNEL_SET_MAGIC);
  writer.u8(CHANNEL_SET_FORMAT_VERSION);
  writer.bytes(pubkeyBytes(snapshot.nodeId, 'node id'));
  writer.u32(channels.length);
  for (const channel of channels) writeChannel(writer, channel);
  return writer.finish();
}

/**
 * parseChannelSet decodes and validates a serialized channel set. It accepts only the canonical
 * encoding, so `serializeChannelSet(parseChannelSet(bytes))` equals `bytes`. Throws
 * MalformedBackupError, naming the byte offset, for anything else.
 */
export function parseChannelSet(bytes: Uint8Array): ChannelSetSnapshot {
  const reader = new ByteReader(bytes);
  if (bytes.length < HEADER_SIZE) {
    throw new MalformedBackupError(`channel set is ${bytes.length} bytes, shorter than its ${HEADER_SIZE}-byte header`);
  }
  if (!equalBytes(reader.bytes(4), CHANNEL_SET_MAGIC)) {
    throw new MalformedBackupError('not a serialized channel set (magic is not "LFCS")', 0);
  }
  const version = reader.u8();
  if (version !== CHANNEL_SET_FORMAT_VERSION) {
    throw new MalformedBackupError(
      `channel set format version ${version} is not supported (this code reads version ${CHANNEL_SET_FORMAT_VERSION})`,
      4,
    );
  }
  const nodeId = readPubkey(reader, 'node id');
  const countOffset = reader.offset;
  const count = reader.u32();
  if (count > MAX_CHANNELS) throw new MalformedBackupError(`channel count ${count} exceeds ${MAX_CHANNELS}`, countOffset);
  const channels: BackupChannel[] = [];
  for (let i = 0; i < count; i += 1) {
    const start = reader.offset;
    const channel = readChannel(reader);
    const previous = channels.at(-1);
    if (previous !== undefined && compareChannelPoints(previous.channelPoint, channel.channelPoint) >= 0) {
      throw new MalformedBackupError(
        `channel ${channel.channelPoint} is out of order or repeated (channels must be sorted by channel point)`,
        start,
      );
    }
    channels.push(channel);
  }
  if (reader.remaining() !== 0) {
    throw new MalformedBackupError(`${reader.remaining()} unexpected bytes after the last channel`, reader.offset);
  }
  return { nodeId, channels };
}

/** contentHash is the SHA-256 of serialized bytes, lowercase hex: equal sets have equal hashes. */
export function contentHash(serialized: Uint8Array): string {
  return createHash('sha256').update(serialized).digest('hex');
}

function writeChannel(writer: ByteWriter, channel: BackupChannel): void {
  const point = ChannelPoint.safeParse(channel.channelPoint);
  if (!point.success) throw new InvalidChannelSetError(`malformed channel point "${channel.channelPoint}"`);
  writer.bytes(hexToBytes(channel.channelPoint.slice(0, 64)));
  writer.u32(Number(channel.channelPoint.slice(65)));
  writer.bytes(pubkeyBytes(channel.peer, `peer of ${channel.channelPoint}`));
  if (!Number.isSafeInteger(channel.capacitySat) || channel.capacitySat < 0) {
    throw new InvalidChannelSetError(`capacity of ${channel.channelPoint} must be a non-negative safe integer`);
  }
  writer.u64(BigInt(channel.capacitySat));
  writer.u8(enumCode(INITIATOR_CODES, channel.initiator, 'initiator', channel.channelPoint));
  writer.u8(enumCode(COMMITMENT_TYPE_CODES, channel.commitmentType, 'commitment type', channel.channelPoint));
  const shortChannelId = canonicalShortChannelId(channel.shortChannelId);
  writer.u8(shortChannelId === null ? 0 : FLAG_SHORT_CHANNEL_ID);
  if (shortChannelId !== null) {
    if (!ShortChannelId.safeParse(shortChannelId).success) {
      throw new InvalidChannelSetError(`short channel id of ${channel.channelPoint} must be a uint64 in decimal`);
    }
    writer.u64(BigInt(shortChannelId));
  }
  const addresses = canonicalAddresses(channel.peerAddresses);
  if (addresses.length > MAX_ADDRESSES) {
    throw new InvalidChannelSetError(`${channel.channelPoint} has ${addresses.length} addresses, at most ${MAX_ADDRESSES} fit`);
  }
  writer.u8(addresses.length);
  for (const address of addresses) {
    if (!NetworkAddress.safeParse(address).success) {
      throw new InvalidChannelSetError(`address "${address}" of ${channel.channelPoint} is not host:port`);
    }
    const encoded = new TextEncoder().encode(address);
    writer.u8(encoded.length);
    writer.bytes(encoded);
  }
}

function readChannel(reader: ByteReader): BackupChannel {
  const txid = bytesToHex(reader.bytes(32));
  const channelPoint = `${txid}:${reader.u32()}`;
  const peer = readPubkey(reader, `peer of ${channelPoint}`);
  const capacityOffset = reader.offset;
  const capacity = reader.u64();
  if (capacity > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new MalformedBackupError(`capacity of ${channelPoint} exceeds 2^53 - 1 satoshis`, capacityOffset);
  }
  const initiator = readEnum(reader, INITIATOR_CODES, 'initiator');
  const commitmentType = readEnum(reader, COMMITMENT_TYPE_CODES, 'commitment type');
  const flagsOffset = reader.offset;
  const flags = reader.u8();
  if ((flags & ~FLAG_SHORT_CHANNEL_ID) !== 0) {
    throw new MalformedBackupError(`unknown flags 0x${flags.toString(16)} on ${channelPoint}`, flagsOffset);
  }
  let shortChannelId: string | null = null;
  if ((flags & FLAG_SHORT_CHANNEL_ID) !== 0) {
    const scidOffset = reader.offset;
    const scid = reader.u64();
    if (scid === 0n) throw new MalformedBackupError(`short channel id of ${channelPoint} is 0 but flagged present`, scidOffset);
    shortChannelId = scid.toString();
  }
  const countOffset = reader.offset;
  const addressCount = reader.u8();
  if (addressCount > MAX_ADDRESSES) {
    throw new MalformedBackupError(`${channelPoint} has ${addressCount} addresses, at most ${MAX_ADDRESSES} allowed`, countOffset);
  }
  const peerAddresses: string[] = [];
  for (let i = 0; i < addressCount; i += 1) {
    const addressOffset = reader.offset;
    const length = reader.u8();
    const raw = reader.bytes(length);
    const address = String.fromCharCode(...raw);
    if (length === 0 || raw.some((byte) => byte > 0x7e) || !NetworkAddress.safeParse(address).success) {
      throw new MalformedBackupError(`address ${i} of ${channelPoint} is not host:port`, addressOffset);
    }
    const previous = peerAddresses.at(-1);
    if (previous !== undefined && !(previous < address)) {
      throw new MalformedBackupError(`addresses of ${channelPoint} are not sorted and unique`, addressOffset);
    }
    peerAddresses.push(address);
  }
  return { channelPoint, peer, peerAddresses, capacitySat: Number(capacity), initiator, commitmentType, shortChannelId };
}

function readPubkey(reader: ByteReader, what: string): string {
  const offset = reader.offset;
  const key = bytesToHex(reader.bytes(33));
  if (!Pubkey.safeParse(key).success) {
    throw new MalformedBackupError(`${what} is not a compressed public key`, offset);
  }
  return key;
}

function readEnum<T extends string>(reader: ByteReader, codes: Readonly<Record<T, number>>, what: string): T {
  const offset = reader.offset;
  const code = reader.u8();
  const entry = (Object.entries(codes) as [T, number][]).find(([, value]) => value === code);
  if (entry === undefined) throw new MalformedBackupError(`unknown ${what} code ${code}`, offset);
  return entry[0];
}

function enumCode<T extends string>(codes: Readonly<Record<T, number>>, value: T, what: string, channelPoint: string): number {
  if (!Object.hasOwn(codes, value)) throw new InvalidChannelSetError(`unknown ${what} "${value}" on ${channelPoint}`);
  return codes[value];
}

function pubkeyBytes(key: string, what: string): Uint8Array {
  if (!Pubkey.safeParse(key).success) throw new InvalidChannelSetError(`${what} "${key}" is not a compressed public key`);
  return hexToBytes(key);
}
