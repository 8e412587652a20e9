import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AttestflowError } from '../../src/errors.js';
import { parseCcaToken } from '../../src/attestation/cca/token.js';
import { checkCca } from '../../src/attestation/cca/verify.js';
import { EvidenceParseError } from '../../src/attestation/common/errors.js';
import { decodeEvidenceFile } from '../../src/attestation/evidence/decode.js';
import { parseSnpCertTable } from '../../src/attestation/snp/cert-table.js';
import { parseHclReport } from '../../src/attestation/snp/hcl.js';
import { parseSnpReport, SNP_REPORT_SIZE } from '../../src/attestation/snp/report.js';
import { checkSnp } from '../../src/attestation/snp/verify.js';
import { checkCollateral, parseCollateral } from '../../src/attestation/tdx/collateral.js';
import { parseTdxQuote } from '../../src/attestation/tdx/quote.js';
import { checkTdx } from '../../src/attestation/tdx/verify.js';
import { corpus, vec } from './corpus.js';

const entry = (id: string) => corpus.find((e) => e.id === id)!;

/** Runs `f`; passes when it returns or throws an EvidenceParseError, fails on anything else. */
function onlyParseErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof EvidenceParseError)) throw new Error(`untyped failure: ${String(e)}`, { cause: e });
  }
}

/** A copy of `b` with byte `i` XORed with `x` (x ≠ 0). */
const flip = (b: Uint8Array, i: number, x: number): Uint8Array => {
  const c = Uint8Array.from(b);
  c[i] = c[i]! ^ x;
  return c;
};

// Parsing runs are cheap; runs that verify signatures (RSA-4096 chains) are fewer.
const NUM_RUNS = 300;
const CRYPTO_RUNS = 120;
const snpOk = entry('snp-gcp-milan-v5');
const snpBytes = vec(snpOk.path);
const snpInput = { keyCert: vec(snpOk.files['vcek']!), chain: vec(snpOk.files['ask_ark_chain']!), at: new Date(snpOk.now) };
const tdxOk = entry('tdx-gotdx-v5-sample');
const tdx4 = entry('tdx-gotdx-cos113-gcp');
const hcl = vec('snp/coco-trustee/az-snp-vtpm/hcl-report.bin');
const ccaOk = entry('cca-tfm-example-2.0-cmw');
const colOk = entry('tdxcol-gotdx-qeidentity');

describe('fuzzing: every parser ends in a typed error or a result', () => {
  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (b) => {
        onlyParseErrors(() => parseSnpReport(b));
        onlyParseErrors(() => parseHclReport(b));
        onlyParseErrors(() => parseTdxQuote(b));
        onlyParseErrors(() => parseCcaToken(b));
        onlyParseErrors(() => parseCollateral(b));
        onlyParseErrors(() => parseSnpCertTable(b));
        onlyParseErrors(() => decodeEvidenceFile(b, 'auto'));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('random bytes of exactly report size with a valid version still only fail typed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: SNP_REPORT_SIZE, maxLength: SNP_REPORT_SIZE }), fc.constantFrom(2, 3, 5), (b, v) => {
        b[0] = v;
        b[1] = b[2] = b[3] = 0;
        b[0x34] = 1;
        b[0x35] = b[0x36] = b[0x37] = 0;
        const r = checkSnp({ evidence: b, ...snpInput });
        expect(r.verdict).toBe('invalid');
      }),
      { numRuns: 100 },
    );
  });

  it('truncation at every length: SNP, HCL, TDX v4 and v5, CCA', () => {
    for (let n = 0; n < snpBytes.length; n++) expect(() => parseSnpReport(snpBytes.subarray(0, n))).toThrow(EvidenceParseError);
    for (let n = 0; n < 0x20 + SNP_REPORT_SIZE + 20; n++) expect(() => parseHclReport(hcl.subarray(0, n))).toThrow(EvidenceParseError);
    for (const q of [vec(tdxOk.path), vec(tdx4.path)]) {
      const end = parseTdxQuote(q).structuralLength;
      for (let n = 0; n < end; n++) expect(() => parseTdxQuote(q.subarray(0, n))).toThrow(EvidenceParseError);
      // Trailing bytes beyond the structure are allowed.
      expect(parseTdxQuote(q.subarray(0, end)).structuralLength).toBe(end);
    }
    const tok = vec(ccaOk.path);
    for (let n = 0; n < tok.length; n++) expect(() => parseCcaToken(tok.subarray(0, n))).toThrow(EvidenceParseError);
  });

  it('wrong versions are refused', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), (v) => {
        fc.pre(![2, 3, 4, 5].includes(v));
        const b = Uint8Array.from(snpBytes);
        new DataView(b.buffer).setUint32(0, v, true);
        expect(() => parseSnpReport(b)).toThrow(/version/);
        const q = Uint8Array.from(vec(tdxOk.path));
        fc.pre(v !== 4 && v !== 5);
        new DataView(q.buffer).setUint16(0, v, true);
        expect(() => parseTdxQuote(q)).toThrow(/version/);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('corrupted TDX length fields (signature data, certification data, auth data, chain, v5 body size)', () => {
    const q = vec(tdxOk.path);
    const p = parseTdxQuote(q);
    const bodyEnd = p.signedPart.length;
    const certStart = bodyEnd + 4 + 128;
    const authOff = certStart + 6 + 384 + 64;
    const authLen = new DataView(q.buffer, q.byteOffset).getUint16(authOff, true);
    const fieldsAt: [number, 2 | 4][] = [
      [0x32, 4], // v5 body size
      [bodyEnd, 4], // signature data length
      [certStart + 2, 4], // certification data size
      [authOff, 2], // QE auth data length
      [authOff + 2 + authLen + 2, 4], // PCK chain size
    ];
    fc.assert(
      fc.property(fc.constantFrom(...fieldsAt), fc.integer({ min: 0, max: 0xffffffff }), ([off, w], v) => {
        const b = Uint8Array.from(q);
        const dv = new DataView(b.buffer);
        if (w === 2) dv.setUint16(off, v & 0xffff, true);
        else dv.setUint32(off, v, true);
        onlyParseErrors(() => parseTdxQuote(b));
        const r = checkTdx({ quote: b, at: new Date(tdxOk.now) });
        expect(['valid', 'invalid']).toContain(r.verdict);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('any byte flipped in the signed part of an SNP report makes it invalid (never a crash)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x29f }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const r = checkSnp({ evidence: flip(snpBytes, i, x), ...snpInput });
        expect(r.verdict).toBe('invalid');
      }),
      { numRuns: CRYPTO_RUNS },
    );
  });

  it('any byte flipped in the signed part of a TDX quote or its QE report makes it invalid', () => {
    const q = vec(tdxOk.path);
    const p = parseTdxQuote(q);
    const qeStart = p.signedPart.length + 4 + 128 + 6;
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: p.signedPart.length - 1 }), fc.integer({ min: qeStart, max: qeStart + 384 + 63 })), fc.integer({ min: 1, max: 255 }), (i, x) => {
        let r;
        try {
          r = checkTdx({ quote: flip(q, i, x), at: new Date(tdxOk.now) });
        } catch (e) {
          expect(e).toBeInstanceOf(AttestflowError);
          return;
        }
        expect(r.verdict).toBe('invalid');
      }),
      { numRuns: CRYPTO_RUNS },
    );
  });

  it('byte flips anywhere in CCA tokens and collateral end typed or invalid', () => {
    const tok = vec(ccaOk.path);
    const cpak = vec(ccaOk.files['cpak']!);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: tok.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const r = checkCca({ token: flip(tok, i, x), cpak });
        expect(r.verdict).toBe('invalid');
      }),
      { numRuns: CRYPTO_RUNS },
    );
    const col = vec(colOk.path);
    const chain = vec(colOk.files['signing_chain']!);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: col.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const r = checkCollateral({ json: flip(col, i, x), chain, at: new Date(colOk.now) });
        expect(['valid', 'invalid']).toContain(r.verdict);
        // Only the unsigned signature hex's letter case or JSON whitespace outside the member could keep it valid.
        if (r.verdict === 'valid') expect(i).toBeGreaterThan(col.length - 140);
      }),
      { numRuns: CRYPTO_RUNS },
    );
  });

  it('random CBOR-shaped input (tags, maps, byte strings) ends typed', () => {
    const cborish = fc.tuple(fc.constantFrom(0xd8, 0xd9, 0xa1, 0xa2, 0x84, 0x58, 0x59, 0x19), fc.uint8Array({ maxLength: 200 }));
    fc.assert(
      fc.property(cborish, ([h, rest]) => {
        onlyParseErrors(() => parseCcaToken(Uint8Array.from([h, ...rest])));
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
