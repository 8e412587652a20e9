import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameReader } from '../../src/bench/framing.js';
import { median, quantile } from '../../src/bench/stats.js';
import { stageCompute } from '../../src/bench/workloads/pipeline.js';

describe('bench stats', () => {
  it('median of odd and even samples', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(Number.isNaN(median([]))).toBe(true);
  });

  it('quantiles lie within the sample and are monotone in q', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }), fc.double({ min: 0, max: 1, noNaN: true }), (xs, q) => {
        const v = quantile(xs, q);
        expect(v).toBeGreaterThanOrEqual(Math.min(...xs));
        expect(v).toBeLessThanOrEqual(Math.max(...xs));
        expect(quantile(xs, Math.min(1, q + 0.1))).toBeGreaterThanOrEqual(v);
      }),
    );
  });
});

describe('pipeline framing', () => {
  it('frames survive any split of the stream', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
        (payloads, cuts) => {
          const stream = Buffer.concat(payloads.map((p, i) => encodeFrame(i, p)));
          const r = new FrameReader(300);
          const got: Array<{ seq: number; payload: Buffer }> = [];
          let off = 0;
          let k = 0;
          while (off < stream.length) {
            const n = cuts[k++ % cuts.length]!;
            got.push(...r.push(stream.subarray(off, off + n)));
            off += n;
          }
          expect(got.map((f) => f.seq)).toEqual(payloads.map((_, i) => i));
          got.forEach((f, i) => expect(Buffer.compare(f.payload, Buffer.from(payloads[i]!))).toBe(0));
        },
      ),
    );
  });

  it('refuses a frame longer than the bound', () => {
    const r = new FrameReader(16);
    expect(() => r.push(encodeFrame(0, new Uint8Array(17)))).toThrow(/exceeds the 16-byte bound/);
  });

  it('stage compute is deterministic and changes the item', () => {
    const item = Buffer.alloc(256, 7);
    const a = stageCompute(item, 3);
    expect(a.equals(stageCompute(item, 3))).toBe(true);
    expect(a.equals(item)).toBe(false);
    expect(a.length).toBe(item.length);
    expect(a.equals(stageCompute(item, 4))).toBe(false);
  });
});
