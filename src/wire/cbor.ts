/**
 * Deterministic, strict CBOR on cbor2: encode with the CBOR Common Deterministic Encoding (sorted
 * keys, shortest forms), decode refusing anything that is not exactly that encoding. Library errors
 * are mapped to typed {@link WireError}s; cbor2 reports them only as messages, so the mapping
 * matches on those and falls back to `wire.malformed`.
 */
import { decode, encode, type DecodeOptions } from 'cbor2';
import { WireError } from './errors.js';

const STRICT: DecodeOptions = {
  cde: true,
  rejectDuplicateKeys: true,
  rejectFloats: true,
  rejectSimple: true,
  rejectUndefined: true,
  rejectBigInts: true,
  rejectStreaming: true,
  ignoreGlobalTags: true, // tags come back as Tag objects, which no schema accepts
  preferMap: true,
};
// Same, but without the key-order rule: tells a duplicate key from a mere ordering fault.
const UNSORTED: DecodeOptions = { ...STRICT, cde: false, sortKeys: null, rejectDuplicateKeys: true };

/** Canonical bytes of a value made of Maps, arrays, strings, byte strings and safe integers. */
export function encodeCanonical(value: unknown): Uint8Array {
  return encode(value, { cde: true });
}

function classify(e: unknown, bytes: Uint8Array): WireError {
  const msg = e instanceof Error ? e.message : String(e);
  if (e instanceof RangeError || /outside the bounds|Unexpected end|Insufficient data|out of range/i.test(msg)) {
    return new WireError('wire.truncated', 'CBOR input ends inside an item', { cause: msg });
  }
  if (/Extra data/i.test(msg)) return new WireError('wire.trailing-bytes', 'bytes after the end of the message');
  if (/Duplicate or out of order/i.test(msg)) {
    try {
      decode(bytes, UNSORTED);
    } catch (e2) {
      const m2 = e2 instanceof Error ? e2.message : String(e2);
      if (/Duplicate/i.test(m2)) return new WireError('wire.duplicate-field', 'a field occurs twice');
    }
    return new WireError('wire.not-canonical', 'map keys are not in deterministic order');
  }
  if (/Duplicate/i.test(msg)) return new WireError('wire.duplicate-field', 'a field occurs twice');
  if (/long|preferred|Streaming|shortest/i.test(msg)) {
    return new WireError('wire.not-canonical', 'not the deterministic CBOR encoding', { cause: msg });
  }
  return new WireError('wire.malformed', 'not well-formed CBOR', { cause: msg });
}

/** Decodes exactly one strict, deterministic CBOR item occupying all of `bytes`. */
export function decodeStrict(bytes: Uint8Array): unknown {
  try {
    return decode(bytes, STRICT);
  } catch (e) {
    throw classify(e, bytes);
  }
}
