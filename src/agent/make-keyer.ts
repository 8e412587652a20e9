/**
 * MAKE over TCP for the agent: one connection per handshake, frames of src/wire, one
 * {@link Party} per side driving the pure machines. A result is handed to the agent only when the
 * machine reached `done`, i.e. the peer's evidence verified, matched the policy and was bound to
 * this transcript, and (initiator) key confirmation arrived.
 *
 * Network faults the transport absorbs without weakening anything: an exact byte-for-byte
 * duplicate of a frame already processed on the same connection is ignored (TCP never duplicates,
 * so it is the network attacker's doing, and processing it twice could only fail the handshake);
 * everything else goes to the machine, which fails on what it does not expect.
 */
import { createHash } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Attester, Claims, Platform, Verifier } from '../attestation/types.js';
import type { CryptoProvider } from '../crypto/index.js';
import { eventOfBytes, pump } from '../make/local.js';
import { claimsForPolicy, type MakeEvent, type VerifiedClaims } from '../make/machines/common.js';
import { Party, type TraceSink } from '../make/party.js';
import { MakeError } from '../make/reasons.js';
import type { Defences, EdgeKeys, HandshakePolicy } from '../make/types.js';
import { encodeFrame, FrameDecoder } from '../wire/frame.js';
import { isAttestflowError } from '../errors.js';
import type { Endpoint, HandshakeResult, Keyer, ListenHandle, PlannedEdge, ResponderEvents } from './ports.js';

export interface MakeKeyerOptions {
  /** This node's component name. */
  readonly self: string;
  /** The policy handshakes bind and check; a function so a policy update takes effect at once. */
  readonly policy: () => HandshakePolicy;
  readonly attester: Attester;
  readonly verifiers: Readonly<Partial<Record<Platform, Verifier>>>;
  readonly crypto?: CryptoProvider;
  readonly defences?: Readonly<Defences>;
  /** Where to accept handshakes (port 0: any free port). */
  readonly listen: Endpoint;
  /** Finds a peer when the plan has no endpoint for it. */
  readonly resolve?: (component: string) => Endpoint | undefined;
  /** A responder gives up on a connection after this long, ms. */
  readonly responderTimeoutMs?: number;
  readonly trace?: TraceSink;
  /** Runs on each finished handshake's connection before it closes (secret release). */
  readonly session?: SessionHook;
}

/** Nonces of message 1 seen recently (responder replay defence); bounded, oldest forgotten first. */
class NonceCache {
  private readonly seen = new Set<string>();
  constructor(private readonly max = 100_000) {}
  /** True when the nonce was seen before; records it otherwise. */
  check(nonce: Uint8Array): boolean {
    const k = Buffer.from(nonce).toString('hex');
    if (this.seen.has(k)) return true;
    this.seen.add(k);
    if (this.seen.size > this.max) this.seen.delete(this.seen.values().next().value as string);
    return false;
  }
}

function claimsOf(party: Party): Claims | undefined {
  const c = (party.snapshot.context as { peerClaims?: VerifiedClaims }).peerClaims;
  return c === undefined ? undefined : claimsForPolicy(c);
}

/**
 * Feeds frames from a socket to a party one at a time (pump is async: attest and verify) and writes
 * what the party sends. Resolves when the party is done (either way).
 */
interface Driven {
  done: Promise<void>;
  inject(ev: MakeEvent): void;
  /** Frames that arrived after the handshake finished (the session's own messages). */
  readonly after: { frames: Uint8Array[]; ended: boolean; wake: Array<() => void> };
}

function drive(party: Party, sock: Socket, first: MakeEvent | undefined, replayed?: (n: Uint8Array) => boolean): Driven {
  let inject: (ev: MakeEvent) => void = () => undefined;
  const after: Driven['after'] = { frames: [], ended: false, wake: [] };
  const wakeAll = (): void => {
    for (const w of after.wake.splice(0)) w();
  };
  const done = new Promise<void>((resolve) => {
    const decoder = new FrameDecoder();
    const digests = new Set<string>();
    let chain = Promise.resolve();
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      resolve();
    };
    const step = (ev: MakeEvent, raw?: Uint8Array): void => {
      chain = chain.then(async () => {
        if (party.done) {
          // The handshake is over: what follows on this connection belongs to the session.
          if (raw !== undefined) {
            after.frames.push(raw);
            wakeAll();
          }
          return;
        }
        const out = await pump(party, ev, raw);
        for (const m of out) if (!sock.destroyed) sock.write(encodeFrame(m));
        if (party.done) finish();
      });
    };
    inject = step;
    if (first) step(first);
    sock.on('data', (chunk: Buffer) => {
      let frames: Uint8Array[];
      try {
        frames = decoder.push(chunk);
      } catch (e) {
        step({ type: 'abort', code: 'make.malformed', detail: isAttestflowError(e) ? e.code : 'wire.malformed' });
        return;
      }
      for (const f of frames) {
        const d = createHash('sha256').update(f).digest('hex');
        if (digests.has(d)) continue; // an exact duplicate: already processed
        digests.add(d);
        step(eventOfBytes(f, replayed), f);
      }
    });
    const gone = (why: string): void => {
      after.ended = true;
      wakeAll();
      step({ type: 'abort', code: 'make.transport', detail: why });
      chain = chain.then(finish);
    };
    sock.on('end', () => gone('peer closed the connection'));
    sock.on('error', (e: NodeJS.ErrnoException) => gone(e.code ?? e.message));
    sock.on('close', () => gone('connection closed'));
  });
  return { done, inject: (ev) => inject(ev), after };
}

/** An established MAKE session's connection, kept open briefly for release messages. */
export interface SessionChannel {
  readonly id: string;
  readonly role: 'initiator' | 'responder';
  readonly keys: EdgeKeys;
  readonly peer: string;
  readonly claims: Claims;
  send(text: string): void;
  /** The next message, or undefined after `ms` without one or once the connection ended. */
  next(ms: number): Promise<string | undefined>;
}

/** Runs on every finished handshake before its connection closes (release of secrets). */
export type SessionHook = (ch: SessionChannel) => Promise<void>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function channel(sock: Socket, d: Driven, id: string, role: SessionChannel['role'], keys: EdgeKeys, peer: string, claims: Claims): SessionChannel {
  return {
    id,
    role,
    keys,
    peer,
    claims,
    send: (text) => {
      if (!sock.destroyed) sock.write(encodeFrame(new TextEncoder().encode(text)));
    },
    next: (ms) =>
      new Promise((resolve) => {
        const take = (): boolean => {
          const f = d.after.frames.shift();
          if (f !== undefined) {
            try {
              resolve(utf8.decode(f));
            } catch {
              resolve(''); // not UTF-8: the release decoder refuses it with a typed error
            }
            return true;
          }
          if (d.after.ended) {
            resolve(undefined);
            return true;
          }
          return false;
        };
        if (take()) return;
        const t = setTimeout(() => {
          const i = d.after.wake.indexOf(w);
          if (i >= 0) d.after.wake.splice(i, 1);
          resolve(undefined);
        }, ms);
        const w = (): void => {
          if (take()) clearTimeout(t);
          else d.after.wake.push(w);
        };
        d.after.wake.push(w);
      }),
  };
}

export class MakeTcpKeyer implements Keyer {
  private readonly nonces = new NonceCache();
  private readonly open = new Set<Socket>();

  constructor(private readonly opts: MakeKeyerOptions) {}

  private config() {
    return {
      self: this.opts.self,
      policy: this.opts.policy(),
      attester: this.opts.attester,
      verifiers: this.opts.verifiers,
      ...(this.opts.crypto ? { crypto: this.opts.crypto } : {}),
      ...(this.opts.defences ? { defences: this.opts.defences } : {}),
      ...(this.opts.trace ? { trace: this.opts.trace } : {}),
    };
  }

  async initiate(edge: PlannedEdge, epoch: number, signal: AbortSignal): Promise<HandshakeResult> {
    const peer = edge.peer ?? this.opts.resolve?.(edge.to);
    if (peer === undefined) throw new MakeError({ code: 'make.transport', detail: `no endpoint for ${edge.to}` });
    signal.throwIfAborted();
    const party = Party.initiator(this.config(), edge.to, epoch);
    const sock = connect({ host: peer.host, port: peer.port, noDelay: true });
    this.open.add(sock);
    const onAbort = (): void => {
      sock.destroy();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    let result: HandshakeResult;
    try {
      const d = drive(party, sock, { type: 'start' });
      await d.done;
      if (signal.aborted) throw signal.reason;
      const r = party.result;
      if (r === undefined) throw new MakeError({ code: 'make.transport', detail: 'handshake did not finish' });
      if (!r.ok) throw new MakeError(r.failure);
      const claims = claimsOf(party);
      // A machine exports only after verifying the peer; no claims would mean a machine bug.
      if (claims === undefined) throw new MakeError({ code: 'make.evidence', detail: 'no verified claims' });
      result = { keys: r.keys, peer: { component: r.peer, claims } };
      if (this.opts.session) await this.opts.session(channel(sock, d, party.session, 'initiator', r.keys, r.peer, claims)).catch(() => undefined);
    } finally {
      signal.removeEventListener('abort', onAbort);
      sock.destroy();
      this.open.delete(sock);
    }
    return result;
  }

  async listen(events: ResponderEvents): Promise<ListenHandle> {
    const timeoutMs = this.opts.responderTimeoutMs ?? 10_000;
    const server: Server = createServer((sock) => {
      this.open.add(sock);
      sock.setNoDelay(true);
      const party = Party.responder(this.config());
      const d = drive(party, sock, undefined, (n) => this.nonces.check(n));
      const timer = setTimeout(() => {
        d.inject({ type: 'timeout' });
        sock.destroy();
      }, timeoutMs);
      d.done.then(async () => {
        clearTimeout(timer);
        const r = party.result;
        const close = (): void => {
          // Let the last frames go out before closing; the initiator closes its end when done.
          if (!sock.destroyed) sock.end();
          this.open.delete(sock);
        };
        if (r === undefined) return close();
        if (r.ok) {
          const claims = claimsOf(party);
          if (claims === undefined) {
            close();
            events.failed(new MakeError({ code: 'make.evidence', detail: 'no verified claims' }));
            return;
          }
          events.established({ keys: r.keys, peer: { component: r.peer, claims } });
          if (this.opts.session) await this.opts.session(channel(sock, d, party.session, 'responder', r.keys, r.peer, claims)).catch(() => undefined);
          close();
        } else {
          close();
          const peerName = (party.snapshot.context as { m1?: { initiator?: string } }).m1?.initiator;
          events.failed(new MakeError(r.failure), peerName !== undefined ? { peer: peerName } : {});
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.listen.port, this.opts.listen.host, () => resolve());
    });
    const a = server.address();
    const endpoint: Endpoint = { host: this.opts.listen.host, port: typeof a === 'object' && a ? a.port : this.opts.listen.port };
    return {
      endpoint,
      close: () =>
        new Promise<void>((resolve) => {
          for (const s of this.open) s.destroy();
          server.close(() => resolve());
        }),
    };
  }
}
