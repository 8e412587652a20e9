/**
 * A TCP man-in-the-middle for fault tests: sits between a MAKE initiator and responder, splits the
 * byte stream into frames and lets a test drop, delay, duplicate or reorder them. It is the
 * Dolev–Yao network in small: it can do anything to messages except forge what is authenticated.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export type Direction = 'i2r' | 'r2i';

/** Splits a byte stream into whole frames (returns the frames and the unconsumed rest). */
export type Framer = (buf: Buffer) => { frames: Buffer[]; rest: Buffer };

/** MAKE's framing (src/wire/frame.ts): a 4-byte big-endian length, then the payload. */
export const makeFramer: Framer = (buf) => {
  const frames: Buffer[] = [];
  let off = 0;
  while (buf.length - off >= 4 && buf.length - off >= 4 + buf.readUInt32BE(off)) {
    const len = buf.readUInt32BE(off);
    frames.push(buf.subarray(off, off + 4 + len));
    off += 4 + len;
  }
  return { frames, rest: buf.subarray(off) };
};

/** What to do with one frame: forward it after `delayMs`, `copies` times (0 = drop). */
export interface FrameAction {
  readonly delayMs?: number;
  readonly copies?: number;
}

export type FaultRule = (dir: Direction, index: number, frame: Buffer, conn: number) => FrameAction | 'hold' | 'release-held';

export interface FaultProxy {
  readonly port: number;
  /** Frames seen so far, by direction (all connections). */
  readonly seen: { i2r: number; r2i: number };
  /** Frames written onward (copies counted), by direction. */
  readonly forwarded: { i2r: number; r2i: number };
  readonly connections: number;
  close(): Promise<void>;
}

export async function startFaultProxy(target: { host: string; port: number }, framer: Framer, rule: FaultRule, listen: { host: string; port: number } = { host: '127.0.0.1', port: 0 }): Promise<FaultProxy> {
  const sockets = new Set<Socket>();
  const seen = { i2r: 0, r2i: 0 };
  const forwarded = { i2r: 0, r2i: 0 };
  let conns = 0;
  // Half-open sockets, so a close travels behind the frames still being delayed, as TCP orders it.
  const server: Server = createServer({ allowHalfOpen: true }, (down) => {
    const conn = conns++;
    const up = connect({ ...target, allowHalfOpen: true });
    sockets.add(down);
    sockets.add(up);
    const pump = (from: Socket, to: Socket, dir: Direction): void => {
      let buf: Buffer = Buffer.alloc(0);
      let index = 0;
      const held: Buffer[] = [];
      // Delayed frames are still in flight when the sender closes: the close must follow them.
      let inflight = 0;
      let ended = false;
      const maybeEnd = (): void => {
        if (ended && inflight === 0 && !to.destroyed) to.end();
      };
      from.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        const { frames, rest } = framer(buf);
        buf = rest;
        for (const f of frames) {
          seen[dir]++;
          const a = rule(dir, index++, f, conn);
          if (a === 'hold') {
            held.push(f);
            continue;
          }
          const send = (x: Buffer): void => {
            if (!to.destroyed) {
              to.write(x);
              forwarded[dir]++;
            }
          };
          if (a === 'release-held') {
            send(f);
            for (const h of held.splice(0)) send(h);
            continue;
          }
          const copies = a.copies ?? 1;
          const go = (): void => {
            for (let i = 0; i < copies; i++) send(f);
          };
          if (a.delayMs) {
            inflight++;
            setTimeout(() => {
              go();
              inflight--;
              maybeEnd();
            }, a.delayMs);
          } else go();
        }
      });
      from.on('end', () => {
        ended = true;
        maybeEnd();
      });
    };
    pump(down, up, 'i2r');
    pump(up, down, 'r2i');
    const kill = (): void => {
      down.destroy();
      up.destroy();
    };
    down.on('error', kill);
    up.on('error', kill);
    down.on('close', () => sockets.delete(down));
    up.on('close', () => sockets.delete(up));
  });
  await new Promise<void>((res) => server.listen(listen.port, listen.host, res));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    seen,
    forwarded,
    get connections() {
      return conns;
    },
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
  };
}

/** A listener that accepts connections and reads, but never answers: the peer that never answers. */
export async function startBlackHole(): Promise<{ port: number; accepted: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('data', () => undefined);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
  };
}
