import { MalformedBackupError } from '../errors.js';

/**
 * Byte helpers for the backup formats: a growable big-endian writer, a bounds-checked reader that
 * reports truncation as MalformedBackupError with the offset, and hex conversion.
 */

/** ByteWriter appends big-endian unsigned integers and raw bytes to a growing buffer. */
export class ByteWriter {
  private buffer = new Uint8Array(256);
  private length = 0;

  /** u8 appends one byte. */
  u8(value: number): void {
    this.reserve(1);
    this.buffer[this.length] = value;
    this.length += 1;
  }

  /** u32 appends a 32-bit unsigned integer, big-endian. */
  u32(value: number): void {
    this.reserve(4);
    new DataView(this.buffer.buffer).setUint32(this.length, value);
    this.length += 4;
  }

  /** u64 appends a 64-bit unsigned integer, big-endian. */
  u64(value: bigint): void {
    this.reserve(8);
    new DataView(this.buffer.buffer).setBigUint64(this.length, value);
    this.length += 8;
  }

  /** bytes appends raw bytes. */
  bytes(value: Uint8Array): void {
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
  }

  /** finish returns the bytes written so far (a copy sized exactly). */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
}

/** ByteReader reads big-endian unsigned integers and raw bytes, failing clearly past the end. */
export class ByteReader {
  /** offset is the position of the next byte to read. */
  offset = 0;
  private readonly view: DataView;

  constructor(private readonly input: Uint8Array) {
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  }

  /** remaining is how many bytes are left. */
  remaining(): number {
    return this.input.length - this.offset;
  }

  /** u8 reads one byte. */
  u8(): number {
    this.need(1);
    const value = this.view.getUint8(this.offset);
    this.offset += 1;
    return value;
  }

  /** u32 reads a 32-bit unsigned integer, big-endian. */
  u32(): number {
    this.need(4);
    const value = this.view.getUint32(this.offset);
    this.offset += 4;
    return value;
  }

  /** u64 reads a 64-bit unsigned integer, big-endian. */
  u64(): bigint {
    this.need(8);
    const value = this.view.getBigUint64(this.offset);
    this.offset += 8;
    return value;
  }

  /** bytes reads `length` raw bytes (a view into the input, not a copy). */
  bytes(length: number): Uint8Array {
    this.need(length);
    const value = this.input.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  private need(length: number): void {
    if (this.offset + length > this.input.length) {
      throw new MalformedBackupError(
        `truncated: needed ${length} more bytes but only ${this.input.length - this.offset} remain`,
        this.offset,
      );
    }
  }
}

/** bytesToHex writes bytes as lowercase hex. */
export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** hexToBytes reads an even-length hex string; callers validate the string's shape first. */
export function hexToBytes(hex: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new RangeError('not an even-length hex string');
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** equalBytes compares two byte arrays (not in constant time: use it for public data only). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
