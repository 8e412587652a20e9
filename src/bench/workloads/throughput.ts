/**
 * Bulk throughput: the client streams `chunk`-byte writes for `durationMs`, then half-closes; the
 * sink counts the bytes and answers with the count (u64) once it has seen the end. Throughput is
 * the count over the time from the first write to the answer, so every byte counted arrived.
 */
import type net from 'node:net';
import { connect, type ChannelSpec, type Endpoint } from '../channel.js';

export interface ThroughputParams {
  readonly chunk: number;
  readonly durationMs: number;
  /** Hard bound on the whole run (the drain after the timed writes included). */
  readonly deadlineMs: number;
}

export interface ThroughputRun {
  readonly bytes: number;
  readonly seconds: number;
  readonly mbPerS: number;
}

/** Server side: count bytes until the peer half-closes, then answer with the count. */
export function sink(s: net.Socket): void {
  let n = 0;
  s.on('data', (d: Buffer) => {
    n += d.length;
  });
  s.on('error', () => s.destroy());
  s.on('end', () => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(n));
    s.end(b);
  });
}

export async function throughputClient(spec: ChannelSpec, to: Endpoint, p: ThroughputParams): Promise<ThroughputRun> {
  const s = await connect(spec, to, 5000);
  const chunk = Buffer.alloc(p.chunk, 0xa5);
  try {
    return await new Promise<ThroughputRun>((resolve, reject) => {
      const t0 = performance.now();
      const stopWriting = t0 + p.durationMs;
      const hard = setTimeout(() => reject(new Error(`throughput run exceeded ${p.deadlineMs} ms`)), p.deadlineMs);
      let answer = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        answer = Buffer.concat([answer, d]);
        if (answer.length < 8) return;
        clearTimeout(hard);
        const seconds = (performance.now() - t0) / 1000;
        const bytes = Number(answer.readBigUInt64BE(0));
        resolve({ bytes, seconds, mbPerS: bytes / seconds / 1e6 });
      });
      s.once('error', (e) => {
        clearTimeout(hard);
        reject(e);
      });
      // Write while the socket accepts data; resume on drain; stop at the time bound.
      const pump = (): void => {
        while (performance.now() < stopWriting) {
          if (!s.write(chunk)) {
            s.once('drain', pump);
            return;
          }
        }
        s.end();
      };
      pump();
    });
  } finally {
    s.destroy();
  }
}
