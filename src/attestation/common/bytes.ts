import { EvidenceParseError } from './errors.js';

/** Lowercase hex of `b`. */
export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Bytes of a hex string (whitespace and a leading `0x` ignored); undefined when not hex. */
export function fromHex(text: string): Uint8Array | undefined {
  let s = text.replace(/\s+/g, '');
  if (s.startsWith('0x') || s.startsWith('0X')) s = s.slice(2);
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) return undefined;
  return new Uint8Array(Buffer.from(s, 'hex'));
}

/** Constant-structure equality of two byte strings. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Hex (16 digits) of the value of the little-endian u64 at `off` (the corpus's u64 encoding). */
export function u64hex(b: Uint8Array, off: number): string {
  return hex(b.slice(off, off + 8).reverse());
}

/** Hex (8 digits) of the value of the little-endian u32 at `off`. */
export function u32hex(b: Uint8Array, off: number): string {
  return hex(b.slice(off, off + 4).reverse());
}

/**
 * A bounds-checked little-endian reader: every read past the end is an {@link EvidenceParseError}
 * naming the offset and how many bytes were missing, so no parser ever indexes out of range.
 */
export class ByteReader {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly platform: string,
    public offset = 0,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  need(n: number): void {
    if (n < 0 || !Number.isSafeInteger(n)) throw new EvidenceParseError(this.platform, `bad length ${n} at offset ${this.offset}`, { offset: this.offset });
    if (this.remaining < n) {
      // Wording as in the corpus: N is the length of the field being read from `offset`.
      throw new EvidenceParseError(this.platform, `truncated at offset ${this.offset} (need ${n} more bytes)`, {
        offset: this.offset,
        need: n,
        available: this.remaining,
      });
    }
  }

  u8(): number {
    this.need(1);
    return this.view.getUint8(this.offset++);
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.offset, true);
    this.offset += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }

  take(n: number): Uint8Array {
    this.need(n);
    const v = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }
}
