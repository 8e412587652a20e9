import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAttestflowError } from '../../src/errors.js';
import { encodeFrame, FrameDecoder, MAX_FRAME_PAYLOAD } from '../../src/wire/frame.js';

const codeOf = (f: () => unknown) => {
  try {
    f();
    return 'ok';
  } catch (e) {
    return isAttestflowError(e) ? e.code : 'untyped';
  }
};

describe('length-prefixed frames', () => {
  it('reassembles frames from any split of the stream', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 200 }), { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 8 }), (payloads, cuts) => {
      const stream = Buffer.concat(payloads.map((p) => encodeFrame(p)));
      const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
      const d = new FrameDecoder();
      const got: Uint8Array[] = [];
      let at = 0;
      for (const p of [...points, stream.length]) {
        got.push(...d.push(stream.subarray(at, p)));
        at = p;
      }
      d.end();
      expect(got.map((g) => Buffer.from(g).toString('hex'))).toEqual(payloads.map((g) => Buffer.from(g).toString('hex')));
    }));
  });
  it('refuses oversized and empty frames before buffering them, and truncated streams at the end', () => {
    const d = new FrameDecoder();
    const hdr = Buffer.alloc(4);
    hdr.writeUInt32BE(MAX_FRAME_PAYLOAD + 1);
    expect(codeOf(() => d.push(hdr))).toBe('wire.oversize');
    expect(codeOf(() => new FrameDecoder().push(Buffer.alloc(4)))).toBe('wire.bad-length');
    const t = new FrameDecoder();
    expect(t.push(encodeFrame(new Uint8Array(10)).subarray(0, 8))).toEqual([]);
    expect(t.pending).toBe(8);
    expect(codeOf(() => t.end())).toBe('wire.truncated');
    expect(codeOf(() => encodeFrame(new Uint8Array(MAX_FRAME_PAYLOAD + 1)))).toBe('wire.oversize');
    expect(codeOf(() => encodeFrame(new Uint8Array(0)))).toBe('wire.bad-length');
  });
});
