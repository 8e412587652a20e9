/**
 * Length-prefixed frames for the pipeline workload: u32 length ‖ u32 sequence ‖ payload.
 * Hand-written because it is ten lines; bounded by `maxPayload` so a corrupt stream cannot make
 * a stage allocate without limit.
 */

export const FRAME_HEADER = 8;

export function encodeFrame(seq: number, payload: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  b.writeUInt32BE(payload.length, 0);
  b.writeUInt32BE(seq >>> 0, 4);
  b.set(payload, FRAME_HEADER);
  return b;
}

/** Accumulates stream chunks and yields whole frames. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxPayload: number) {}

  push(chunk: Buffer): Array<{ seq: number; payload: Buffer }> {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Array<{ seq: number; payload: Buffer }> = [];
    for (;;) {
      if (this.buf.length < FRAME_HEADER) break;
      const len = this.buf.readUInt32BE(0);
      if (len > this.maxPayload) throw new Error(`frame of ${len} bytes exceeds the ${this.maxPayload}-byte bound`);
      if (this.buf.length < FRAME_HEADER + len) break;
      out.push({ seq: this.buf.readUInt32BE(4), payload: this.buf.subarray(FRAME_HEADER, FRAME_HEADER + len) });
      this.buf = this.buf.subarray(FRAME_HEADER + len);
    }
    return out;
  }
}
