/**
 * MAKE over TCP (node:net): performs the machines' effects for real. One connection carries one
 * handshake as length-prefixed frames (src/wire/frame.ts). Timeouts end a handshake with
 * `make.timeout`; the initiator retries transient failures (timeout, transport) a bounded number of
 * times with exponential backoff, each attempt a fresh handshake with fresh randomness. Protocol
 * failures (bad evidence, MAC, policy) are never retried: they are attacks or misconfiguration.
 */
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { isAttestflowError } from '../errors.js';
import { encodeFrame, FrameDecoder } from '../wire/frame.js';
import { eventOfBytes, pump } from './local.js';
import type { MakeEvent } from './machines/common.js';
import { Party, type PartyConfig } from './party.js';
import { MakeError, type MakeFailure } from './reasons.js';
import type { EdgeKeys } from './types.js';

/** A finished handshake. */
export interface MakeResult {
  readonly keys: EdgeKeys;
  /** The peer component (attested). */
  readonly peer: string;
  readonly session: string;
  /** Attempts used (initiator; 1 = no retry). */
  readonly attempts: number;
  readonly ms: number;
}

export interface TimingOptions {
  /** Whole-handshake deadline per attempt (default 10 s). */
  readonly timeoutMs?: number;
}

export interface InitiatorOptions extends PartyConfig, TimingOptions {
  readonly host: string;
  readonly port: number;
  readonly peer: string;
  readonly epoch: number;
  /** Further attempts after a transient failure (default 3). */
  readonly retries?: number;
  /** First backoff delay, doubled per retry (default 100 ms). */
  readonly backoffMs?: number;
  readonly signal?: AbortSignal;
}

const TRANSIENT = new Set(['make.timeout', 'make.transport']);

/** Runs one handshake over a connected socket until the party reaches a final state. */
export function runOnSocket(party: Party, socket: Socket, opts: TimingOptions & { replayed?: (nonce: Uint8Array) => boolean; signal?: AbortSignal }): Promise<void> {
  return new Promise<void>((resolve) => {
    const frames = new FrameDecoder();
    let chain: Promise<void> = Promise.resolve();
    let finished = false;

    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      socket.removeListener('data', onData);
      // Let queued writes flush, then close our side.
      socket.end();
      resolve();
    };
    const write = (out: Uint8Array[]) => {
      for (const m of out) if (!finished && !socket.destroyed) socket.write(encodeFrame(m));
    };
    const feed = (ev: MakeEvent, raw?: Uint8Array) => {
      chain = chain
        .then(async () => {
          if (party.done) return;
          write(await pump(party, ev, raw));
          if (party.done) finish();
        })
        .catch((e: unknown) => {
          // Nothing above should throw; if it does, end the handshake instead of the process.
          interrupt({ type: 'abort', code: 'make.aborted', detail: e instanceof Error ? e.message : String(e) });
        });
    };
    const onData = (chunk: Buffer) => {
      let got: Uint8Array[];
      try {
        got = frames.push(chunk);
      } catch (e) {
        feed({ type: 'abort', code: 'make.malformed', detail: isAttestflowError(e) ? e.code : 'wire.malformed' });
        return;
      }
      for (const f of got) feed(eventOfBytes(f, opts.replayed), f);
    };
    const onGone = (why: string) => () => feed({ type: 'abort', code: 'make.transport', detail: why });
    // Timeout and abort do not queue behind a pending step: an attester or verifier that never
    // answers must not hold the handshake open. The transition is synchronous, so applying it now
    // is safe; the stuck step finds the machine final and stops.
    const interrupt = (ev: MakeEvent) => {
      if (finished || party.done) return;
      party.apply(ev);
      finish();
    };
    const onAbort = () => interrupt({ type: 'abort', code: 'make.aborted' });
    const timer = setTimeout(() => interrupt({ type: 'timeout' }), opts.timeoutMs ?? 10_000);

    socket.setNoDelay(true);
    socket.on('data', onData);
    socket.on('error', (e) => onGone((e as NodeJS.ErrnoException).code ?? 'socket error')());
    // A peer that closes inside a frame sent a truncated message, not merely a short conversation.
    socket.on('end', () => {
      try {
        frames.end();
      } catch (e) {
        feed({ type: 'abort', code: 'make.malformed', detail: isAttestflowError(e) ? e.code : 'wire.truncated' });
      }
    });
    socket.on('close', onGone('connection closed'));
    opts.signal?.addEventListener('abort', onAbort);
    if (opts.signal?.aborted) onAbort();
    if (party.role === 'initiator') feed({ type: 'start' });
  });
}

function connect(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host, port });
    const t = setTimeout(() => {
      s.destroy();
      reject(new MakeError({ code: 'make.timeout', detail: 'connect' }));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(t);
      reject(new MakeError({ code: 'make.transport', detail: (e as NodeJS.ErrnoException).code ?? 'connect failed' }));
    });
  });
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/**
 * Keys the edge `self->peer` with the responder at host:port. Resolves with the keys or rejects
 * with a {@link MakeError} whose code says why; on rejection nothing was exported.
 */
export async function runInitiator(opts: InitiatorOptions): Promise<MakeResult> {
  const retries = opts.retries ?? 3;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let last: MakeFailure = { code: 'make.aborted' };
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    if (opts.signal?.aborted) throw new MakeError({ code: 'make.aborted' });
    if (attempt > 1) await sleep((opts.backoffMs ?? 100) * 2 ** (attempt - 2), opts.signal);
    const t0 = performance.now();
    let socket: Socket;
    try {
      socket = await connect(opts.host, opts.port, timeoutMs);
    } catch (e) {
      last = e instanceof MakeError ? e.failure : { code: 'make.transport' };
      continue;
    }
    const party = Party.initiator(opts, opts.peer, opts.epoch);
    await runOnSocket(party, socket, { timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) });
    const r = party.result;
    if (r?.ok) return { keys: r.keys, peer: r.peer, session: party.session, attempts: attempt, ms: performance.now() - t0 };
    last = r?.failure ?? { code: 'make.aborted' };
    if (!TRANSIENT.has(last.code)) break;
  }
  throw new MakeError(last);
}

export interface ListenerOptions extends PartyConfig, TimingOptions {
  /** Called once per finished handshake; replaces any earlier keys for the same edge and epoch. */
  readonly onKeys?: (result: MakeResult) => void;
  readonly onFailure?: (failure: MakeFailure, session: string) => void;
  /** Nonces remembered for replay detection (default 65,536). */
  readonly replayCacheSize?: number;
}

/** The responder side: accepts connections and runs one handshake on each. */
export class MakeListener {
  private readonly server: Server;
  private readonly seen = new Set<string>();
  private readonly sockets = new Set<Socket>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly opts: ListenerOptions) {
    this.server = createServer((socket) => this.accept(socket));
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  listen(port = 0, host = '127.0.0.1'): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.removeListener('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** True when a nonce was seen before; remembers it (bounded, oldest forgotten first). */
  private replayed = (nonce: Uint8Array): boolean => {
    const k = Buffer.from(nonce).toString('hex');
    if (this.seen.has(k)) return true;
    this.seen.add(k);
    if (this.seen.size > (this.opts.replayCacheSize ?? 65_536)) this.seen.delete(this.seen.values().next().value as string);
    return false;
  };

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const party = Party.responder(this.opts);
    const t0 = performance.now();
    const run = runOnSocket(party, socket, { timeoutMs: this.opts.timeoutMs ?? 10_000, replayed: this.replayed }).then(() => {
      const r = party.result;
      if (r?.ok) this.opts.onKeys?.({ keys: r.keys, peer: r.peer, session: party.session, attempts: 1, ms: performance.now() - t0 });
      else this.opts.onFailure?.(r?.failure ?? { code: 'make.aborted' }, party.session);
    });
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** Stops accepting, ends open handshakes (they fail with make.transport) and waits for them. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
    await Promise.all([...this.running]);
  }
}
