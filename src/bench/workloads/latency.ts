/**
 * Round-trip latency of small messages: the client writes `size` bytes, the server echoes them, the
 * client waits for all of them before sending the next. One run = `count` timed round trips after
 * `warmup` untimed ones, bounded by `deadlineMs`; it reports the median round trip.
 */
import type net from 'node:net';
import { connect, cipherOf, type ChannelSpec, type Endpoint } from '../channel.js';
import { median, quantile } from '../stats.js';

export interface LatencyParams {
  readonly size: number;
  readonly count: number;
  readonly warmup: number;
  readonly deadlineMs: number;
}

export interface LatencyRun {
  readonly medianUs: number;
  readonly p90Us: number;
  readonly samples: number;
  readonly cipher?: string;
}

/** Server side: echo every byte back. */
export function echo(s: net.Socket): void {
  s.on('data', (d) => s.write(d));
  s.on('error', () => s.destroy());
  s.on('end', () => s.end());
}

export async function latencyClient(spec: ChannelSpec, to: Endpoint, p: LatencyParams): Promise<LatencyRun> {
  const s = await connect(spec, to, 5000);
  const msg = Buffer.alloc(p.size, 0x5a);
  const samples: number[] = [];
  const deadline = performance.now() + p.deadlineMs;
  const cipher = cipherOf(s);
  try {
    await new Promise<void>((resolve, reject) => {
      let got = 0;
      let sent = 0;
      let t0 = 0n;
      const total = p.warmup + p.count;
      const send = (): void => {
        got = 0;
        t0 = process.hrtime.bigint();
        s.write(msg);
      };
      s.on('data', (d: Buffer) => {
        got += d.length;
        if (got < p.size) return;
        const dt = Number(process.hrtime.bigint() - t0) / 1000;
        sent++;
        if (sent > p.warmup) samples.push(dt);
        if (sent >= total || performance.now() > deadline) resolve();
        else send();
      });
      s.once('error', reject);
      s.once('close', () => reject(new Error('echo server closed the connection early')));
      send();
    });
  } finally {
    s.removeAllListeners('close');
    s.destroy();
  }
  if (samples.length === 0) throw new Error(`no round trip completed within ${p.deadlineMs} ms`);
  return { medianUs: median(samples), p90Us: quantile(samples, 0.9), samples: samples.length, ...(cipher ? { cipher } : {}) };
}
