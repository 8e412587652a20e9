import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode } from 'cbor2';
import { decodeEvidence, decodeMessage, encodeEvidence, encodeMessage, LIMITS } from '../../src/wire/messages.js';
import { isAttestflowError } from '../../src/errors.js';
import { arbEvidence, arbMessage } from './arbitraries.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
function codeOf(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    return isAttestflowError(e) ? e.code : `untyped:${String(e)}`;
  }
}
const m4 = { type: 'm4' as const, confirm: new Uint8Array(32).fill(9) };
const raw = (entries: [string, unknown][]) => encode(new Map(entries), { cde: false });

describe('wire: MAKE messages', () => {
  it('round-trips every message and encodes deterministically', () => {
    fc.assert(fc.property(arbMessage, (m) => {
      const b = encodeMessage(m);
      const d = decodeMessage(b, m.type);
      expect(d).toEqual(m);
      expect(hex(encodeMessage(d))).toBe(hex(b));
    }), { numRuns: 2000 });
  });
  it('round-trips evidence', () => {
    fc.assert(fc.property(arbEvidence, (e) => {
      const b = encodeEvidence(e);
      const d = decodeEvidence(b);
      expect(hex(encodeEvidence(d))).toBe(hex(b));
      expect(d.platform).toBe(e.platform);
      expect(hex(d.data)).toBe(hex(e.data));
    }), { numRuns: 1000 });
  });
  it('rejects each kind of bad input with its typed error', () => {
    const good = encodeMessage(m4);
    expect(codeOf(() => decodeMessage(good))).toBe('ok');
    expect(codeOf(() => decodeMessage(new Uint8Array([...good, 0])))).toBe('wire.trailing-bytes');
    expect(codeOf(() => decodeMessage(good.subarray(0, good.length - 1)))).toBe('wire.truncated');
    // hand-built maps (non-canonical encoder) for structural faults
    const c = new Uint8Array(32);
    const dup = new Uint8Array([0xa3, 0x61, 0x63, 0x58, 0x20, ...c, 0x61, 0x63, 0x58, 0x20, ...c, 0x61, 0x74, 0x04]);
    expect(codeOf(() => decodeMessage(dup))).toBe('wire.duplicate-field');
    expect(codeOf(() => decodeMessage(raw([['t', 4], ['c', c]])))).toBe('wire.not-canonical'); // keys out of order
    expect(codeOf(() => decodeMessage(raw([['c', c], ['t', 4], ['z', 1]])))).toBe('wire.unknown-field');
    expect(codeOf(() => decodeMessage(raw([['t', 4]])))).toBe('wire.missing-field');
    expect(codeOf(() => decodeMessage(raw([['c', 'x'.repeat(32)], ['t', 4]])))).toBe('wire.wrong-type');
    expect(codeOf(() => decodeMessage(raw([['c', new Uint8Array(33)], ['t', 4]])))).toBe('wire.oversize');
    expect(codeOf(() => decodeMessage(raw([['c', new Uint8Array(31)], ['t', 4]])))).toBe('wire.bad-length');
    expect(codeOf(() => decodeMessage(raw([['c', c], ['t', 9]])))).toBe('wire.out-of-range');
    expect(codeOf(() => decodeMessage(good, 'm1'))).toBe('wire.unexpected-message');
    expect(codeOf(() => decodeMessage(new Uint8Array([0x18, 0x05])))).toBe('wire.not-canonical'); // 5 in long form
    expect(codeOf(() => decodeMessage(new Uint8Array([0x05])))).toBe('wire.wrong-type');
    expect(codeOf(() => decodeMessage(new Uint8Array([0xff])))).toBe('wire.malformed');
    expect(codeOf(() => decodeMessage(new Uint8Array(LIMITS.maxMessage + 1)))).toBe('wire.oversize');
    expect(codeOf(() => decodeMessage(encode(new Map<string, unknown>([['ev', new Uint8Array(LIMITS.maxEvidence + 1)], ['mac', c], ['t', 3]]), { cde: true })))).toBe('wire.oversize');
    expect(codeOf(() => decodeMessage(encode(new Map<string, unknown>([['c', c], ['t', 4.5]]), { cde: true })))).toBe('wire.wrong-type'); // floats are not part of the encoding
  });
  it('refuses to encode what it would not accept', () => {
    expect(codeOf(() => encodeMessage({ ...m4, confirm: new Uint8Array(5) }))).toBe('wire.bad-length');
    expect(codeOf(() => encodeEvidence({ platform: 'sim', data: new Uint8Array(LIMITS.maxEvidenceData + 1) }))).toBe('wire.oversize');
  });
});
