import fc from 'fast-check';
import { decode, encode } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { decodeStrict, encodeCanonical, type CborValue } from '../../src/wire/cbor.js';
import { isAttestflowError } from '../../src/errors.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// Values of the subset, nested a little.
const leaf: fc.Arbitrary<CborValue> = fc.oneof(fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.string({ unit: 'binary', maxLength: 30 }), fc.uint8Array({ maxLength: 40 }));
const value: fc.Arbitrary<CborValue> = fc.letrec<{ v: CborValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), tie('v'), { maxKeys: 4 }).map((o) => new Map(Object.entries(o))),
  ),
})).v;

const STRICT = { cde: true, rejectDuplicateKeys: true, rejectFloats: true, rejectSimple: true, rejectUndefined: true, rejectStreaming: true, preferMap: true } as const;

describe('hand-written deterministic CBOR agrees with cbor2 (CDE)', () => {
  it('encodes exactly the bytes cbor2 encodes in CDE mode', () => {
    fc.assert(fc.property(value, (v) => {
      expect(hex(encodeCanonical(v))).toBe(hex(encode(v, { cde: true })));
    }), { numRuns: 1500 });
  });
  it('decodes what it encodes, and cbor2 strict decodes it to the same value', () => {
    fc.assert(fc.property(value, (v) => {
      const b = encodeCanonical(v);
      expect(decodeStrict(b)).toEqual(v);
      expect(hex(encodeCanonical(decode(b, STRICT)))).toBe(hex(b));
    }), { numRuns: 1500 });
  });
  it('whatever it accepts from random bytes is canonical (re-encodes to the same bytes) and cbor2 accepts it too', () => {
    let accepted = 0;
    fc.assert(fc.property(fc.uint8Array({ maxLength: 24 }), (b) => {
      let v: CborValue;
      try {
        v = decodeStrict(b);
      } catch (e) {
        expect(isAttestflowError(e) && e.code.startsWith('wire.')).toBe(true);
        return;
      }
      accepted++;
      expect(hex(encodeCanonical(v))).toBe(hex(b));
      expect(() => decode(b, STRICT)).not.toThrow();
    }), { numRuns: 20000 });
    expect(accepted).toBeGreaterThan(100);
  });
});
