/**
 * A session of the adapter run through the project's TCP driver (`runOnSocket`, src/make/driver.ts)
 * over a real loopback connection: the adapter holds the other end of the socket and is the
 * network, turning the driver's length-prefixed frames into `send` lines and `recv` lines into
 * frames. So `--transport tcp` checks the framing, stream decoding and event feeding that
 * production uses, not only the party logic.
 */
import { createServer, createConnection, type Socket } from 'node:net';
import { runOnSocket } from '../make/driver.js';
import type { Defences } from '../make/types.js';
import { FRAME_HEADER_BYTES } from '../wire/index.js';
import { type PartyDone, type PartyOptions, makePartyFromSetup, outcomeOf, replayCheck } from './party.js';
import type { SetupMessage } from './protocol.js';

export interface SessionEvents {
  send(frame: Uint8Array): void;
  done(d: PartyDone): void;
}

export interface LiveSession {
  deliver(frame: Uint8Array): void;
  close(): void;
}

/** The driver's own deadline; the runner times cases itself, so this only bounds a forgotten session. */
const DRIVER_TIMEOUT_MS = 120_000;

/** Connects a socket pair over 127.0.0.1 (port chosen by the kernel). */
async function socketPair(): Promise<[Socket, Socket]> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = createConnection({ host: '127.0.0.1', port: address.port });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  const inner = await accepted;
  server.close();
  return [inner, client];
}

export async function startTcpSession(setup: SetupMessage, defences: Defences, opts: PartyOptions, ev: SessionEvents): Promise<LiveSession> {
  const party = makePartyFromSetup(setup, defences, opts);
  const [inner, outer] = await socketPair();
  let buf = Buffer.alloc(0);
  let driverDone = false;
  let streamEnded = false;
  let reported = false;
  // Report the outcome only after every frame the driver wrote has been passed on (it ends its
  // side of the socket when the handshake ends), so `send` lines come before `keys`/`error`.
  const maybeDone = (): void => {
    if (reported || !driverDone || !streamEnded) return;
    reported = true;
    outer.destroy();
    ev.done(outcomeOf(party) ?? { outcome: 'error', code: 'make.aborted', message: 'driver ended without an outcome' });
  };
  outer.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= FRAME_HEADER_BYTES) {
      const len = buf.readUInt32BE(0);
      if (buf.length < FRAME_HEADER_BYTES + len) break;
      ev.send(new Uint8Array(buf.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + len)));
      buf = buf.subarray(FRAME_HEADER_BYTES + len);
    }
  });
  outer.on('end', () => {
    streamEnded = true;
    maybeDone();
  });
  outer.on('close', () => {
    streamEnded = true;
    maybeDone();
  });
  outer.on('error', () => {
    /* the driver sees the same failure on its side and reports it */
  });
  void runOnSocket(party, inner, { timeoutMs: DRIVER_TIMEOUT_MS, replayed: replayCheck(opts.replayCache) }).then(() => {
    driverDone = true;
    maybeDone();
  });
  return {
    deliver(frame) {
      // Written as the network would, header and all, even when the length is over the limit.
      const header = Buffer.alloc(FRAME_HEADER_BYTES);
      header.writeUInt32BE(frame.length, 0);
      if (!outer.destroyed) outer.write(Buffer.concat([header, frame]));
    },
    close() {
      reported = true;
      outer.destroy();
      inner.destroy();
    },
  };
}
