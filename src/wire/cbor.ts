/**
 * Deterministic, strict CBOR (RFC 8949 §4.2.1 core deterministic encoding) for the subset MAKE
 * uses: unsigned integers, byte strings, text strings, arrays and maps with text keys.
 *
 * Written by hand, on purpose: cbor2 (the library the brief suggests) costs 0.25 ms per decode and
 * 1 ms per encode of one small message on this machine (measured), too slow for the fuzz of
 * 500,000 inputs and for keying many edges, and it reports faults only as English messages. This
 * subset is small and its rules are exact; test/wire checks it differentially against cbor2 in
 * strict CDE mode (same bytes out, same values in).
 */
import { WireError } from './errors.js';

/** Values of the subset. Maps are JS Maps with string keys. */
export type CborValue = number | string | Uint8Array | readonly CborValue[] | ReadonlyMap<string, CborValue>;

const MAX_DEPTH = 8;
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// ---------- encode ----------

/** A growable byte buffer (encoding byte by byte into a JS array was the slow part). */
class Writer {
  buf = new Uint8Array(256);
  len = 0;
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  byte(x: number): void {
    this.room(1);
    this.buf[this.len++] = x;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

function head(out: Writer, major: number, n: number): void {
  const m = major << 5;
  if (n < 24) out.byte(m | n);
  else if (n < 0x100) {
    out.byte(m | 24);
    out.byte(n);
  } else if (n < 0x10000) {
    out.byte(m | 25);
    out.byte(n >>> 8);
    out.byte(n & 0xff);
  } else if (n < 0x1_0000_0000) {
    out.byte(m | 26);
    for (const sh of [24, 16, 8, 0]) out.byte((n >>> sh) & 0xff);
  } else {
    const hi = Math.floor(n / 0x1_0000_0000);
    const lo = n >>> 0;
    out.byte(m | 27);
    for (const sh of [24, 16, 8, 0]) out.byte((hi >>> sh) & 0xff);
    for (const sh of [24, 16, 8, 0]) out.byte((lo >>> sh) & 0xff);
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function enc(out: Writer, v: unknown, depth: number): void {
  if (depth > MAX_DEPTH) throw new WireError('wire.oversize', `nesting deeper than ${MAX_DEPTH}`);
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw new WireError('wire.wrong-type', `only unsigned safe integers are encoded, got ${v}`);
    head(out, 0, v);
  } else if (typeof v === 'string') {
    const b = utf8.encode(v);
    head(out, 3, b.length);
    out.bytes(b);
  } else if (v instanceof Uint8Array) {
    head(out, 2, v.length);
    out.bytes(v);
  } else if (Array.isArray(v)) {
    head(out, 4, v.length);
    for (const x of v) enc(out, x, depth + 1);
  } else if (v instanceof Map) {
    const entries: { k: Uint8Array; v: unknown }[] = [];
    for (const [k, x] of v) {
      if (typeof k !== 'string') throw new WireError('wire.wrong-type', 'map keys must be text');
      const kw = new Writer();
      enc(kw, k, depth + 1);
      entries.push({ k: kw.result(), v: x });
    }
    entries.sort((a, b) => compareBytes(a.k, b.k));
    head(out, 5, entries.length);
    for (const e of entries) {
      out.bytes(e.k);
      enc(out, e.v, depth + 1);
    }
  } else {
    throw new WireError('wire.wrong-type', `cannot encode ${typeof v}`);
  }
}

/** Deterministic encoding of a value of the subset (throws WireError on anything else). */
export function encodeCanonical(value: unknown): Uint8Array {
  const out = new Writer();
  enc(out, value, 0);
  return out.result();
}

// ---------- decode ----------

class Reader {
  pos = 0;
  constructor(readonly b: Uint8Array) {}

  need(n: number): void {
    if (n > this.b.length - this.pos) throw new WireError('wire.truncated', `input ends inside an item (need ${n} bytes at offset ${this.pos})`, { offset: this.pos });
  }

  byte(): number {
    this.need(1);
    return this.b[this.pos++] as number;
  }

  /** Reads an item head; enforces the shortest form. */
  head(): { major: number; value: number; ai: number } {
    const start = this.pos;
    const ib = this.byte();
    const major = ib >> 5;
    const ai = ib & 0x1f;
    if (major === 7) return { major, value: ai, ai };
    if (ai < 24) return { major, value: ai, ai };
    if (ai === 31) throw new WireError('wire.not-canonical', 'indefinite-length items are not allowed', { offset: start });
    if (ai > 27) throw new WireError('wire.malformed', `reserved additional information ${ai}`, { offset: start });
    const n = 1 << (ai - 24);
    this.need(n);
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + (this.b[this.pos++] as number);
    const min = ai === 24 ? 24 : ai === 25 ? 0x100 : ai === 26 ? 0x10000 : 0x1_0000_0000;
    if (v < min) throw new WireError('wire.not-canonical', 'integer or length not in its shortest form', { offset: start });
    if (!Number.isSafeInteger(v)) throw new WireError('wire.out-of-range', 'integer or length above 2^53', { offset: start });
    return { major, value: v, ai };
  }

  item(depth: number): CborValue {
    if (depth > MAX_DEPTH) throw new WireError('wire.oversize', `nesting deeper than ${MAX_DEPTH}`, { offset: this.pos });
    const start = this.pos;
    const h = this.head();
    switch (h.major) {
      case 0:
        return h.value;
      case 1:
        throw new WireError('wire.wrong-type', 'negative integers are not used', { offset: start });
      case 2: {
        this.need(h.value);
        const v = this.b.slice(this.pos, this.pos + h.value);
        this.pos += h.value;
        return v;
      }
      case 3: {
        this.need(h.value);
        const raw = this.b.subarray(this.pos, this.pos + h.value);
        this.pos += h.value;
        try {
          return utf8Strict.decode(raw);
        } catch {
          throw new WireError('wire.malformed', 'text string is not valid UTF-8', { offset: start });
        }
      }
      case 4: {
        this.need(h.value); // every item takes at least one byte
        const a: CborValue[] = [];
        for (let i = 0; i < h.value; i++) a.push(this.item(depth + 1));
        return a;
      }
      case 5: {
        this.need(h.value * 2);
        const m = new Map<string, CborValue>();
        let prev: Uint8Array | undefined;
        for (let i = 0; i < h.value; i++) {
          const ks = this.pos;
          const k = this.item(depth + 1);
          if (typeof k !== 'string') throw new WireError('wire.wrong-type', 'map keys must be text strings', { offset: ks });
          const kb = this.b.subarray(ks, this.pos);
          if (m.has(k)) throw new WireError('wire.duplicate-field', `field ${JSON.stringify(k)} occurs twice`, { offset: ks, field: k });
          if (prev !== undefined && compareBytes(prev, kb) > 0) throw new WireError('wire.not-canonical', 'map keys are not in deterministic order', { offset: ks });
          prev = kb;
          m.set(k, this.item(depth + 1));
        }
        return m;
      }
      case 6:
        throw new WireError('wire.wrong-type', 'tags are not used', { offset: start });
      default: {
        // major 7: simple values and floats
        if (h.ai === 31) throw new WireError('wire.malformed', 'break outside an indefinite-length item', { offset: start });
        throw new WireError('wire.wrong-type', h.ai >= 25 && h.ai <= 27 ? 'floating-point numbers are not used' : 'simple values are not used', { offset: start });
      }
    }
  }
}

/** Decodes exactly one strict deterministic item occupying all of `bytes`. Throws only WireError. */
export function decodeStrict(bytes: Uint8Array): CborValue {
  const r = new Reader(bytes);
  const v = r.item(0);
  if (r.pos !== bytes.length) throw new WireError('wire.trailing-bytes', `${bytes.length - r.pos} bytes after the end of the item`, { offset: r.pos });
  return v;
}
