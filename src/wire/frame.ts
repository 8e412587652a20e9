/**
 * Frames over a byte stream (TCP): a 4-byte big-endian payload length, then the payload (one
 * encoded message). Lengths of 0 or above the maximum are refused before any payload is buffered.
 */
import { WireError } from './errors.js';
import { LIMITS } from './messages.js';

export const FRAME_HEADER_BYTES = 4;
export const MAX_FRAME_PAYLOAD = LIMITS.maxMessage;

export function encodeFrame(payload: Uint8Array, max: number = MAX_FRAME_PAYLOAD): Uint8Array {
  if (payload.length === 0) throw new WireError('wire.bad-length', 'empty frame');
  if (payload.length > max) throw new WireError('wire.oversize', `frame payload over ${max} bytes`, { length: payload.length });
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length, false);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/** Incremental frame parser: feed chunks as they arrive, get whole payloads out. */
export class FrameDecoder {
  private buf: Uint8Array = new Uint8Array(0);
  constructor(private readonly max: number = MAX_FRAME_PAYLOAD) {}

  /** Appends a chunk; returns every complete payload. Throws WireError on a bad length. */
  push(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf, 0);
    joined.set(chunk, this.buf.length);
    this.buf = joined;
    const out: Uint8Array[] = [];
    for (;;) {
      if (this.buf.length < FRAME_HEADER_BYTES) break;
      const len = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength).getUint32(0, false);
      if (len === 0) throw new WireError('wire.bad-length', 'empty frame');
      if (len > this.max) throw new WireError('wire.oversize', `frame length ${len} over ${this.max}`, { length: len });
      if (this.buf.length < FRAME_HEADER_BYTES + len) break;
      out.push(this.buf.slice(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + len));
      this.buf = this.buf.slice(FRAME_HEADER_BYTES + len);
    }
    return out;
  }

  /** Bytes held that do not yet form a frame. */
  get pending(): number {
    return this.buf.length;
  }

  /** Call at end of stream: a partial frame is `wire.truncated`. */
  end(): void {
    if (this.buf.length > 0) throw new WireError('wire.truncated', `stream ended inside a frame (${this.buf.length} bytes pending)`);
  }
}
