/**
 * The abstract side of the MAKE model-based tests: the same machine definitions as the
 * implementation, run over symbolic terms (perfect crypto: a term equals only itself) with a
 * symbolic TEE whose evidence is a term naming measurement, role and report data.
 * (The model checker in src/model has its own, richer attacker; this one is deliberately small.)
 */
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import type { ReferenceValues } from '../src/attestation/types.js';
import { effectsOf, type MakeEffect, type MakeEvent } from '../src/make/machines/common.js';
import { initiatorMachine } from '../src/make/machines/initiator.js';
import { responderMachine } from '../src/make/machines/responder.js';
import type { ExportedKeys } from '../src/make/machines/schedule.js';
import type { MakeCrypto, Part } from '../src/make/machines/values.js';
import type { MakeMessage } from '../src/make/messages.js';
import type { MakeFailure } from '../src/make/reasons.js';
import type { Defences, HandshakePolicy } from '../src/make/types.js';

/** A term: `⟨op|arg|arg…⟩`. Strings that are not terms are literals (labels, names). */
export type Term = string;
const isTerm = (v: unknown): v is Term => typeof v === 'string' && v.startsWith('⟨');
const arg = (p: Part<unknown>): string => (typeof p === 'number' ? `#${p}` : isTerm(p) ? p : JSON.stringify(p));
export const t = (op: string, ...args: Part<unknown>[]): Term => `⟨${op}|${args.map(arg).join('|')}⟩`;
export const atom = (name: string): Term => t('atom', name);

/** Perfect crypto: DH commutes, everything else is a free constructor. */
export const symbolic: MakeCrypto<Term> = {
  dhPublic: (s) => t('g', s),
  dh(s, share) {
    if (share === ZERO_SHARE) return undefined;
    const m = /^⟨g\|(.*)⟩$/.exec(share);
    if (m === null) return t('dh', s, share);
    const [a, b] = [s, m[1] as string].sort();
    return t('dh', a as string, b as string);
  },
  hash: (label, parts) => t('h', label, ...parts),
  reportData: (label, parts) => t('rd', label, ...parts),
  kdf: (ikm, salt, label, length) => t('kdf', ikm, salt, label, length),
  mac: (key, label, parts) => t('mac', key, label, ...parts),
  equal: (a, b) => a === b,
};
/** The low-order share (its DH is invalid), for tests of make.bad-share. */
export const ZERO_SHARE = atom('zero-share');

/** A symbolic TEE: evidence is a term; its verifier knows which terms it issued. */
export class SymbolicTees {
  private readonly issued = new Map<Term, { measurement: string; role: string; reportData: Term }>();
  /** @param signer the signer identity the verifier reports (as a real root's fingerprint). */
  constructor(private readonly signer?: string) {}
  attest(measurement: string, role: string, reportData: Term): Term {
    const ev = t('ev', measurement, role, reportData);
    this.issued.set(ev, { measurement, role, reportData });
    return ev;
  }
  verify(ev: Term): MakeEvent {
    const c = this.issued.get(ev);
    if (c === undefined) return { type: 'evidence.invalid', code: 'attestation.verify.report_signature' };
    return { type: 'evidence.verified', claims: { platform: 'sim', measurement: c.measurement, role: c.role, debug: false, reportData: c.reportData, ...(this.signer ? { signer: this.signer } : {}) } };
  }
}

/** A policy view whose digest is a term (everything else as the real policy says). */
export function symbolicPolicy(real: HandshakePolicy, digestTerm: Term): HandshakePolicy {
  return {
    digest: digestTerm as unknown as Uint8Array,
    version: real.version,
    referenceValues: (c: string): ReferenceValues | undefined => real.referenceValues(c),
    allowsEdge: (a: string, b: string) => real.allowsEdge(a, b),
    isRevoked: (c: string) => real.isRevoked?.(c) === true,
  };
}

type ISnap = SnapshotFrom<typeof initiatorMachine>;
type RSnap = SnapshotFrom<typeof responderMachine>;

export interface SymIdentity {
  readonly self: string;
  readonly measurement: string;
  readonly role: string;
}

/** One side over terms, stepping with XState's pure transition like the real Party. */
export class SymParty {
  private snap: ISnap | RSnap;
  result: { ok: true; keys: ExportedKeys } | { ok: false; failure: MakeFailure } | undefined;

  private constructor(readonly role: 'initiator' | 'responder', private readonly id: SymIdentity, private readonly tees: SymbolicTees, snap: ISnap | RSnap) {
    this.snap = snap;
  }

  static initiator(id: SymIdentity, tees: SymbolicTees, policy: HandshakePolicy, peer: string, epoch: number, session: string, defences?: Defences): SymParty {
    const [s] = initialTransition(initiatorMachine, {
      crypto: symbolic, policy, self: id.self, peer, epoch, secret: atom(`x${session}`), nonce: atom(`ni${session}`), spi: 1000,
      ...(defences ? { defences } : {}),
    });
    return new SymParty('initiator', id, tees, s);
  }

  static responder(id: SymIdentity, tees: SymbolicTees, policy: HandshakePolicy, session: string, defences?: Defences): SymParty {
    const [s] = initialTransition(responderMachine, {
      crypto: symbolic, policy, self: id.self, secret: atom(`y${session}`), nonce: atom(`nr${session}`), spi: 2000,
      ...(defences ? { defences } : {}),
    });
    return new SymParty('responder', id, tees, s);
  }

  get state(): string {
    return String(this.snap.value);
  }
  get done(): boolean {
    return this.snap.status === 'done';
  }

  apply(ev: MakeEvent): MakeEffect[] {
    const [n, a] = this.role === 'initiator' ? transition(initiatorMachine, this.snap as ISnap, ev) : transition(responderMachine, this.snap as RSnap, ev);
    this.snap = n;
    const fx = effectsOf(a);
    for (const e of fx) {
      if (e.type === 'export') this.result = { ok: true, keys: e.params.keys };
      if (e.type === 'fail') this.result = { ok: false, failure: e.params };
    }
    return fx;
  }

  /** Applies an event and the local effects it causes; returns effect types seen and messages sent. */
  pump(ev: MakeEvent): { effects: MakeEffect['type'][]; sent: MakeMessage[] } {
    const effects: MakeEffect['type'][] = [];
    const sent: MakeMessage[] = [];
    const queue = [ev];
    while (queue.length > 0 && !this.done) {
      for (const e of this.apply(queue.shift() as MakeEvent)) {
        effects.push(e.type);
        if (e.type === 'send') sent.push(e.params.message);
        if (e.type === 'attest') queue.push({ type: 'evidence.produced', evidence: this.tees.attest(this.id.measurement, this.id.role, e.params.reportData as Term) });
        if (e.type === 'verify') queue.push(this.tees.verify(e.params.evidence as Term));
      }
    }
    return { effects, sent };
  }
}
