/**
 * A three-stage workflow pipeline with compute at each stage: driver → s1 → s2 → s3 → driver, each
 * hop its own connection (its own edge). Every stage hashes each item `rounds` times (SHA-256 over
 * the whole item, chained) and forwards the item with the digest in its first 32 bytes. The driver
 * keeps `window` items in flight and times the whole batch (makespan).
 */
import { createHash } from 'node:crypto';
import type net from 'node:net';
import { connect, type ChannelSpec, type Endpoint } from '../channel.js';
import { encodeFrame, FrameReader } from '../framing.js';

export interface PipelineParams {
  readonly items: number;
  readonly size: number;
  readonly rounds: number;
  readonly window: number;
  readonly deadlineMs: number;
}

export interface PipelineRun {
  readonly seconds: number;
  readonly items: number;
  readonly itemsPerS: number;
}

/** The compute of one stage: `rounds` chained SHA-256 over the item; deterministic. */
export function stageCompute(item: Buffer, rounds: number): Buffer {
  let d = createHash('sha256').update(item).digest();
  for (let i = 1; i < rounds; i++) d = createHash('sha256').update(d).update(item).digest();
  const out = Buffer.from(item);
  d.copy(out, 0);
  return out;
}

/** Stage server: for each upstream connection, open one downstream and forward computed items. */
export function stage(spec: ChannelSpec, next: Endpoint, rounds: number, maxPayload: number): (up: net.Socket) => void {
  return (up) => {
    up.pause();
    up.on('error', () => up.destroy());
    connect(spec, next, 5000).then(
      (down) => {
        const reader = new FrameReader(maxPayload);
        down.on('error', () => up.destroy());
        up.on('data', (d: Buffer) => {
          let frames;
          try {
            frames = reader.push(d);
          } catch {
            up.destroy();
            down.destroy();
            return;
          }
          for (const f of frames) {
            if (!down.write(encodeFrame(f.seq, stageCompute(f.payload, rounds)))) {
              up.pause();
              down.once('drain', () => up.resume());
            }
          }
        });
        up.on('end', () => down.end());
        up.on('close', () => down.destroy());
        up.resume();
      },
      () => up.destroy(),
    );
  };
}

/** The driver's collector: the last stage connects here; the running batch claims the connection. */
export class Collector {
  private waiting: ((s: net.Socket) => void) | undefined;

  readonly onConnection = (s: net.Socket): void => {
    const w = this.waiting;
    this.waiting = undefined;
    if (w) w(s);
    else s.destroy();
  };

  next(timeoutMs: number): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error(`the last stage did not connect back within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = (s) => {
        clearTimeout(timer);
        resolve(s);
      };
    });
  }
}

export async function pipelineDriver(spec: ChannelSpec, first: Endpoint, collector: Collector, p: PipelineParams): Promise<PipelineRun> {
  const back = collector.next(10_000);
  const out = await connect(spec, first, 5000);
  let inb: net.Socket | undefined;
  try {
    inb = await back;
    const src = Buffer.alloc(p.size);
    for (let i = 0; i < src.length; i++) src[i] = (i * 31 + 7) & 0xff;
    const reader = new FrameReader(p.size);
    const s = inb;
    let firstOut: Buffer | undefined;
    const seconds = await new Promise<number>((resolve, reject) => {
      const t0 = performance.now();
      const hard = setTimeout(() => reject(new Error(`pipeline batch exceeded ${p.deadlineMs} ms`)), p.deadlineMs);
      let sent = 0;
      let got = 0;
      const fill = (): void => {
        while (sent < p.items && sent - got < p.window) out.write(encodeFrame(sent++, src));
      };
      s.on('data', (d: Buffer) => {
        let frames;
        try {
          frames = reader.push(d);
        } catch (e) {
          clearTimeout(hard);
          reject(e);
          return;
        }
        for (const f of frames) {
          if (f.seq === 0) firstOut = Buffer.from(f.payload);
          got++;
        }
        if (got >= p.items) {
          clearTimeout(hard);
          resolve((performance.now() - t0) / 1000);
        } else fill();
      });
      s.once('error', reject);
      out.once('error', reject);
      fill();
    });
    // Check the work was really done, once, outside the timed part.
    let expect: Buffer = src;
    for (let k = 0; k < 3; k++) expect = stageCompute(expect, p.rounds);
    if (firstOut === undefined || !firstOut.equals(expect)) throw new Error('pipeline output differs from three stages of compute');
    return { seconds, items: p.items, itemsPerS: p.items / seconds };
  } finally {
    out.destroy();
    inb?.destroy();
  }
}
