/**
 * The composed system the model checker explores: the MAKE initiator and responder machines of
 * src/make and the release/revocation machine of src/release — the very definitions the
 * implementation runs, driven with XState's pure `transition()` — plus a model of what the agent
 * does with their effects, a Dolev–Yao network attacker, and history variables the invariants read.
 * spec/MAKE.tla, spec/Release.tla and spec/DataPlane.tla describe the same system in TLA+.
 *
 * Cast (fixed; see spec/README.md for the TLA+ constants):
 * - Policy v2 (current): components A (meas-a, role-a) and B (meas-b, role-b), edge A->B, secret S
 *   held by B and released only to A. Policy v1 is an older version with another digest.
 * - Instance A: the initiator TEE; keys the edge at epochs 1..bounds.epochs (a rekey runs MAKE again
 *   with fresh evidence), each with a policy the untrusted host chose (v2, or v1 = a rolled-back node).
 * - Instances B and C: responders. C runs B's image (same measurement) launched in role role-c; its
 *   host tells it it is B — a genuine TEE in the wrong role (diversion target).
 * - The attacker: owns the network (reads everything, drops, replays, reorders, relays, injects),
 *   has its own DH secret `m` and nonce, and a genuine TEE E running an image the policy does not
 *   name (meas-e, role-e) that attests whatever report data the attacker asks for.
 * - Conservative assumption: a responder's nonce and DH share are the same in every session (as
 *   if its randomness repeated); freshness must then come from the protocol's replay check.
 */
import { initialTransition, type SnapshotFrom } from 'xstate';
import type { ReferenceValues } from '../attestation/types.js';
import { effectsOf, type MakeEvent } from '../make/machines/common.js';
import { initiatorMachine, type InitiatorContext } from '../make/machines/initiator.js';
import { responderMachine, type ResponderContext } from '../make/machines/responder.js';
import * as ks from '../make/machines/schedule.js';
import type { MakeCrypto } from '../make/machines/values.js';
import { MAKE_SUITE, MAKE_VERSION, type MakeMessage, type Msg1, type Msg2, type Msg3, type Msg4 } from '../make/messages.js';
import { ALL_DEFENCES, type Defences, type HandshakePolicy } from '../make/types.js';
import { releaseMachine, type ReleaseEvent } from '../release/machine.js';
import { canonical, memoCanonical } from './canonical.js';
import { pureStepper } from './pure.js';
import type { TransitionSystem } from './explorer.js';
import { invariants } from './invariants.js';
import { argsOf, atom, dhSecrets, evidence, evidenceClaims, opOf, render, symbolicCrypto, type Term } from './symbolic.js';

// ---------------------------------------------------------------------------------------------
// The cast

export type Inst = 'A' | 'B' | 'C';
export type Partner = Inst | 'attacker';
export type PolicyChoice = 'cur' | 'old';

/** Launch-time identity of each TEE instance (what its evidence says). */
export const INSTANCES: Readonly<Record<Inst, { self: string; measurement: string; role: string }>> = {
  A: { self: 'A', measurement: 'meas-a', role: 'role-a' },
  B: { self: 'B', measurement: 'meas-b', role: 'role-b' },
  C: { self: 'B', measurement: 'meas-b', role: 'role-c' },
};
export const EVIL_TEE = { measurement: 'meas-e', role: 'role-e' } as const;

export const COMPONENTS: Readonly<Record<string, ReferenceValues>> = {
  A: { platform: 'sim', measurements: ['meas-a'], role: 'role-a' },
  B: { platform: 'sim', measurements: ['meas-b'], role: 'role-b' },
};
export const EDGES: readonly (readonly [string, string])[] = [['A', 'B']];
export const SECRET = { name: 'S', holder: 'B' as const, allowed: ['A'] };
export const REVOCABLE = 'A';
export const POLICY = {
  cur: { version: 2, digest: atom('pd.v2') },
  old: { version: 1, digest: atom('pd.v1') },
} as const;

const ATTACKER_SECRET = atom('m');
const ATTACKER_NONCE = atom('n.M');
const ATTACKER_SPI = 999;
const RESPONDER_SPI: Readonly<Record<'B' | 'C', number>> = { B: 300, C: 400 };

/** How far the exploration goes; every reachable state within these is visited. */
export interface Bounds {
  /** Epochs A keys the edge at (1 = no rekey). */
  readonly epochs: number;
  /** Responder sessions per instance. */
  readonly responderSessions: Readonly<Record<'B' | 'C', number>>;
  /** The attacker may open its own handshakes. */
  readonly attackerInitiates: boolean;
  /** A revocation of component A may happen at any point. */
  readonly revocation: boolean;
  /** The agents feed finished sessions to the release machines (appraise, install, request S). */
  readonly release: boolean;
}

export const DEFAULT_BOUNDS: Bounds = {
  epochs: 1,
  responderSessions: { B: 2, C: 1 },
  attackerInitiates: true,
  revocation: true,
  release: true,
};

// ---------------------------------------------------------------------------------------------
// State

type ISnap = SnapshotFrom<typeof initiatorMachine>;
type RSnap = SnapshotFrom<typeof responderMachine>;
type RelSnap = SnapshotFrom<typeof releaseMachine>;

/** Agent bookkeeping bits per session (what the node's agent already did with it). */
export const AGENT = { opened: 1, appraiseTried: 2, appraised: 4, installTried: 8, requestTried: 16 } as const;

export interface ISession {
  readonly kind: 'I';
  readonly id: string;
  readonly inst: 'A';
  readonly pol: PolicyChoice;
  readonly snap: ISnap;
  readonly agent: number;
}
export interface RSession {
  readonly kind: 'R';
  readonly id: string;
  readonly inst: 'B' | 'C';
  readonly pol: 'cur';
  readonly snap: RSnap;
  readonly agent: number;
}
export type Session = ISession | RSession;

export interface World {
  readonly sessions: readonly Session[];
  /** Ids of every message sent on the network (the attacker saw them all), sorted. */
  readonly net: readonly string[];
  /** Responders' replay caches: m1 nonces seen. */
  readonly seen: Readonly<Record<'B' | 'C', readonly Term[]>>;
  readonly revoked: boolean;
  readonly release: Readonly<Record<'A' | 'B', RelSnap>>;
  /** Installed SAs: `node edge epoch session`, sorted. */
  readonly dataplane: readonly string[];
  /**
   * History variables (sorted): facts at the moment something left a node, e.g.
   * `release S B1 to=A appraised=1 revoked=0`, `install B1 ... `, `done B2 revoked=1`.
   */
  readonly history: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Messages: interned so the network is a small set of ids

const msgIndex = new Map<string, string>();
const msgList: { msg: MakeMessage; origin: string }[] = [];

function msgId(msg: MakeMessage, origin: string): string {
  const k = canonical(msg);
  let id = msgIndex.get(k);
  if (id === undefined) {
    id = `${msg.type}#${msgList.length}`;
    msgIndex.set(k, id);
    msgList.push({ msg, origin });
  }
  return id;
}

export function messageOf(id: string): MakeMessage {
  const i = Number(id.slice(id.indexOf('#') + 1));
  const m = msgList[i];
  if (m === undefined) throw new Error(`model: unknown message ${id}`);
  return m.msg;
}

function originOf(id: string): string {
  return msgList[Number(id.slice(id.indexOf('#') + 1))]?.origin ?? '?';
}

// ---------------------------------------------------------------------------------------------
// Helpers over sessions

export function ictx(s: ISession): InitiatorContext {
  return s.snap.context;
}
export function rctx(s: RSession): ResponderContext {
  return s.snap.context;
}
export function stateOf(s: Session): string {
  return String(s.snap.value);
}
export function isFinal(s: Session): boolean {
  return s.snap.status === 'done';
}
export function isDone(s: Session): boolean {
  return stateOf(s) === 'done';
}
/** The component the session's owner believes is at the other end. */
export function peerOf(s: Session): string | undefined {
  return s.kind === 'I' ? ictx(s).peer : rctx(s).m1?.initiator;
}
export function dhOf(s: Session): Term | undefined {
  return (s.kind === 'I' ? ictx(s).dh : rctx(s).dh) as Term | undefined;
}
export function ownSecretOf(s: Session): Term {
  return (s.kind === 'I' ? ictx(s).secret : rctx(s).secret) as Term;
}
/** Ground truth: who holds the other DH secret of the session's key. */
export function partnerOf(s: Session): Partner | undefined {
  const dh = dhOf(s);
  const pair = dh === undefined ? undefined : dhSecrets(dh);
  if (pair === undefined) return undefined;
  const other = pair[0] === ownSecretOf(s) ? pair[1] : pair[0];
  const name = String(argsOf(other)[0]);
  if (name === 'm') return 'attacker';
  if (name.startsWith('x.A')) return 'A';
  if (name === 'y.B') return 'B';
  if (name === 'y.C') return 'C';
  return undefined;
}
/** Launch identity of a partner (the attacker's only genuine TEE is E). */
export function identityOf(p: Partner): { measurement: string; role: string } {
  return p === 'attacker' ? EVIL_TEE : INSTANCES[p];
}
export function attackerKnowsKey(dh: Term | undefined): boolean {
  const pair = dh === undefined ? undefined : dhSecrets(dh);
  return pair !== undefined && (pair[0] === ATTACKER_SECRET || pair[1] === ATTACKER_SECRET);
}

function insertSorted(xs: readonly string[], x: string): readonly string[] {
  if (xs.includes(x)) return xs;
  return [...xs, x].sort();
}

// ---------------------------------------------------------------------------------------------
// The system

interface Draft {
  sessions: Session[];
  net: readonly string[];
  seen: Record<'B' | 'C', readonly Term[]>;
  revoked: boolean;
  release: Record<'A' | 'B', RelSnap>;
  dataplane: readonly string[];
  history: readonly string[];
}

const SKIP_ENV = new Set(['env']);
const stepI = pureStepper(initiatorMachine);
const stepR = pureStepper(responderMachine);
const stepRel = pureStepper(releaseMachine);
const SKIP_EFFECTS = new Set(['effects']);

export interface WorldOptions {
  readonly defences?: Readonly<Defences>;
  readonly bounds?: Bounds;
}

export class MakeWorld implements TransitionSystem<World> {
  readonly defences: Readonly<Defences>;
  readonly bounds: Bounds;
  readonly invariants = invariants;
  private readonly crypto = symbolicCrypto as MakeCrypto;
  /** Revocation state the policies' `isRevoked` reads while a transition is computed. */
  private revokedNow = false;
  private readonly policies: Readonly<Record<PolicyChoice, HandshakePolicy>>;
  // Component keys are interned to small numbers so a world's key stays short (exact, not hashed).
  private readonly interned = new Map<string, number>();
  private readonly sessionKey = memoCanonical((s: Session) => this.intern(`${s.id}/${s.pol}/${s.agent}/${stateOf(s)}/${canonical(s.snap.context, SKIP_ENV)}`));
  private readonly releaseKey = memoCanonical((s: RelSnap) => this.intern(`${String(s.value)}/${canonical(s.context, SKIP_EFFECTS)}`));
  /** Initial snapshots never change for given inputs: computed once. */
  private readonly initialSnaps = new Map<string, ISnap | RSnap>();

  constructor(opts: WorldOptions = {}) {
    this.defences = opts.defences ?? ALL_DEFENCES;
    this.bounds = opts.bounds ?? DEFAULT_BOUNDS;
    const mk = (p: (typeof POLICY)[PolicyChoice]): HandshakePolicy => ({
      // The machines treat the digest as an opaque value compared with crypto.equal: a term here.
      digest: p.digest as unknown as Uint8Array,
      version: p.version,
      referenceValues: (c) => COMPONENTS[c],
      allowsEdge: (from, to) => EDGES.some(([f, t]) => f === from && t === to),
      isRevoked: (c) => this.revokedNow && c === REVOCABLE,
    });
    this.policies = { cur: mk(POLICY.cur), old: mk(POLICY.old) };
  }

  private intern(k: string): string {
    let n = this.interned.get(k);
    if (n === undefined) {
      n = this.interned.size;
      this.interned.set(k, n);
    }
    return String(n);
  }

  private initiatorSnap(pol: PolicyChoice, e: number): ISnap {
    const k = `I ${pol} ${e}`;
    let snap = this.initialSnaps.get(k) as ISnap | undefined;
    if (snap === undefined) {
      snap = initialTransition(initiatorMachine, {
        crypto: this.crypto,
        policy: this.policies[pol],
        defences: this.defences,
        self: 'A',
        peer: 'B',
        epoch: e,
        secret: atom(`x.A${e}`),
        nonce: atom(`nI.A${e}`),
        spi: 256 + e,
      })[0];
      this.initialSnaps.set(k, snap);
    }
    return snap;
  }

  private responderSnap(inst: 'B' | 'C'): RSnap {
    const k = `R ${inst}`;
    let snap = this.initialSnaps.get(k) as RSnap | undefined;
    if (snap === undefined) {
      snap = initialTransition(responderMachine, {
        crypto: this.crypto,
        policy: this.policies.cur,
        defences: this.defences,
        self: INSTANCES[inst].self,
        secret: atom(`y.${inst}`),
        nonce: atom(`nR.${inst}`),
        spi: RESPONDER_SPI[inst],
      })[0];
      this.initialSnaps.set(k, snap);
    }
    return snap;
  }

  initial(): World[] {
    const rel = (node: 'A' | 'B'): RelSnap =>
      initialTransition(releaseMachine, {
        defences: { appraisalBeforeRelease: this.defences.appraisalBeforeRelease, revocationCheck: this.defences.revocationCheck },
        version: POLICY.cur.version,
        secrets: node === SECRET.holder ? [{ name: SECRET.name, allowed: SECRET.allowed }] : [],
        edges: EDGES.filter(([f, t]) => f === node || t === node).map(([f, t]) => ({ id: ks.edgeId(f, t), peer: f === node ? t : f })),
      })[0];
    return [{ sessions: [], net: [], seen: { B: [], C: [] }, revoked: false, release: { A: rel('A'), B: rel('B') }, dataplane: [], history: [] }];
  }

  key(w: World): string {
    let k = '';
    for (const s of w.sessions) k += `${this.sessionKey(s)},`;
    k += `net:${w.net.join(',')}\nseen:${w.seen.B.join(',')}|${w.seen.C.join(',')}\nrevoked:${w.revoked ? 1 : 0}\n`;
    k += `relA:${this.releaseKey(w.release.A)}\nrelB:${this.releaseKey(w.release.B)}\n`;
    k += `dp:${w.dataplane.join(',')}\nhist:${w.history.join(',')}`;
    return k;
  }

  *successors(w: World): Generator<readonly [string, World]> {
    this.revokedNow = w.revoked;
    const initiators = w.sessions.filter((s): s is ISession => s.kind === 'I');

    // A starts epoch 1, or rekeys (epoch e+1) once epoch e's handshake finished. A failed epoch is
    // not retried within the bounds: a retry is the same handshake with fresh values.
    const e = initiators.length + 1;
    const prev = initiators[initiators.length - 1];
    if (e <= this.bounds.epochs && (prev === undefined || isDone(prev))) {
      for (const pol of ['cur', 'old'] as const) {
        const d = this.draft(w);
        const snap = this.initiatorSnap(pol, e);
        const id = `A${e}`;
        d.sessions.push({ kind: 'I', id, inst: 'A', pol, snap, agent: 0 });
        this.drive(d, d.sessions.length - 1, { type: 'start' });
        yield [`A starts epoch ${e} with policy v${POLICY[pol].version}${pol === 'old' ? ' (host rolled the node back)' : ''}`, this.freeze(d)];
      }
    }

    // The network delivers message 1 (recorded, replayed or forged) to a responder: a new session.
    const m1s = this.candidatesM1(w);
    for (const inst of ['B', 'C'] as const) {
      const k = w.sessions.filter((s) => s.inst === inst).length;
      if (k >= this.bounds.responderSessions[inst]) continue;
      for (const [mid, msg] of m1s) {
        const d = this.draft(w);
        const id = `${inst}${k + 1}`;
        const snap = this.responderSnap(inst);
        d.sessions.push({ kind: 'R', id, inst, pol: 'cur', snap, agent: 0 });
        const replayed = d.seen[inst].includes(msg.nonce as Term);
        if (!replayed) d.seen[inst] = [...d.seen[inst], msg.nonce as Term].sort();
        this.drive(d, d.sessions.length - 1, { type: 'recv.m1', message: msg, replayed });
        yield [`network delivers ${mid} [${originOf(mid)}] to ${inst} (new session ${id})`, this.freeze(d)];
      }
    }

    // The network delivers messages 2, 3, 4 to sessions waiting for them.
    for (let i = 0; i < w.sessions.length; i++) {
      const s = w.sessions[i] as Session;
      const st = stateOf(s);
      let cands: [string, MakeMessage][] = [];
      if (s.kind === 'I' && st === 'awaitM2') cands = this.candidatesM2(w, s);
      else if (s.kind === 'I' && st === 'awaitM4') cands = this.candidatesM4(w, s);
      else if (s.kind === 'R' && st === 'awaitM3') cands = this.candidatesM3(w, s);
      for (const [mid, msg] of cands) {
        const d = this.draft(w);
        this.drive(d, i, { type: `recv.${msg.type}`, message: msg } as MakeEvent);
        yield [`network delivers ${mid} [${originOf(mid)}] to ${s.id}`, this.freeze(d)];
      }
    }

    // The policy owners revoke component A (its reference values changed).
    if (this.bounds.revocation && !w.revoked) {
      const d = this.draft(w);
      d.revoked = true;
      this.revokedNow = true;
      for (let i = 0; i < d.sessions.length; i++) {
        if (!isFinal(d.sessions[i] as Session)) this.drive(d, i, { type: 'revoke', component: REVOCABLE });
      }
      for (const node of ['A', 'B'] as const) this.releaseEvent(d, node, { type: 'REVOKE', component: REVOCABLE, refs: '*' });
      this.revokedNow = false;
      yield [`owners revoke component ${REVOCABLE}`, this.freeze(d)];
    }

    // Each node's agent feeds its finished sessions to its release machine, in any order.
    if (this.bounds.release) {
      for (let i = 0; i < w.sessions.length; i++) {
        const s = w.sessions[i] as Session;
        if ((s.agent & AGENT.opened) === 0 || !isDone(s)) continue;
        const node = s.inst as 'A' | 'B';
        if ((s.agent & AGENT.appraiseTried) === 0) {
          const d = this.draft(w);
          const peer = peerOf(s) as string;
          const claims = (s.kind === 'I' ? ictx(s) : rctx(s)).peerClaims;
          const ref = COMPONENTS[peer];
          const ok = claims !== undefined && ref !== undefined && ref.measurements.includes(claims.measurement) && ref.role === claims.role;
          this.setAgent(d, i, AGENT.appraiseTried | (ok ? AGENT.appraised : 0));
          this.releaseEvent(d, node, ok ? { type: 'APPRAISED', session: s.id, refs: `${peer}@v${POLICY.cur.version}` } : { type: 'APPRAISAL_FAILED', session: s.id });
          yield [`${node}'s agent appraises ${s.id}'s peer claims: ${ok ? 'match' : 'no match'}`, this.freeze(d)];
        }
        if ((s.agent & AGENT.installTried) === 0) {
          const keys = (s.kind === 'I' ? ictx(s) : rctx(s)).keys;
          if (keys !== undefined) {
            const d = this.draft(w);
            this.setAgent(d, i, AGENT.installTried);
            this.releaseEvent(d, node, { type: 'INSTALL_KEY', session: s.id, edge: keys.edge, epoch: keys.epoch });
            yield [`${node}'s agent asks to install ${s.id}'s keys for ${keys.edge} epoch ${keys.epoch}`, this.freeze(d)];
          }
        }
        if (node === SECRET.holder && (s.agent & AGENT.requestTried) === 0) {
          const d = this.draft(w);
          this.setAgent(d, i, AGENT.requestTried);
          this.releaseEvent(d, node, { type: 'REQUEST_SECRET', session: s.id, secret: SECRET.name });
          yield [`peer of ${s.id} requests secret ${SECRET.name}`, this.freeze(d)];
        }
      }
    }
  }

  describe(w: World): string {
    const lines: string[] = [];
    for (const s of w.sessions) {
      const c = s.kind === 'I' ? ictx(s) : rctx(s);
      const parts = [`${s.id} ${s.kind === 'I' ? 'initiator' : 'responder'} on ${s.inst}${s.kind === 'I' ? ` epoch ${ictx(s).epoch} policy v${POLICY[s.pol].version}` : ''}: ${stateOf(s)}`];
      const peer = peerOf(s);
      if (peer !== undefined) parts.push(`believes peer=${peer}`);
      const partner = partnerOf(s);
      if (partner !== undefined) parts.push(`key shared with ${partner}`);
      if (c.peerClaims !== undefined) parts.push(`peer evidence ${c.peerClaims.measurement}/${c.peerClaims.role}`);
      if (c.failure !== undefined) parts.push(`failure ${c.failure.code}`);
      lines.push(parts.join(', '));
    }
    lines.push(`network: ${w.net.length === 0 ? '(nothing sent)' : w.net.map((m) => `${m}[${originOf(m)}]`).join(' ')}`);
    if (w.revoked) lines.push(`revoked: ${REVOCABLE}`);
    if (w.dataplane.length > 0) lines.push(`data plane SAs: ${w.dataplane.join('; ')}`);
    if (w.history.length > 0) lines.push(`history: ${w.history.join('; ')}`);
    return lines.join('\n');
  }

  // -- attacker's message candidates ---------------------------------------------------------

  private netOf<T extends MakeMessage['type']>(w: World, type: T): [string, Extract<MakeMessage, { type: T }>][] {
    return w.net.filter((id) => id.startsWith(`${type}#`)).map((id) => [id, messageOf(id) as Extract<MakeMessage, { type: T }>]);
  }

  /** Evidence the attacker has seen (to replay or relay it) plus what its own TEE E makes. */
  private seenEvidence(w: World): Term[] {
    const evs = new Set<Term>();
    for (const [, m] of this.netOf(w, 'm2')) evs.add(m.evidence as Term);
    for (const [, m] of this.netOf(w, 'm3')) evs.add(m.evidence as Term);
    return [...evs].sort();
  }

  private candidatesM1(w: World): [string, Msg1][] {
    const out = this.netOf(w, 'm1');
    if (this.bounds.attackerInitiates) {
      const own: Msg1 = {
        type: 'm1',
        version: MAKE_VERSION,
        suite: MAKE_SUITE,
        nonce: ATTACKER_NONCE,
        share: this.crypto.dhPublic(ATTACKER_SECRET),
        initiator: 'A',
        responder: 'B',
        policyDigest: POLICY.cur.digest,
        policyVersion: POLICY.cur.version,
        epoch: 1,
        spi: ATTACKER_SPI,
      };
      out.push([msgId(own, 'attacker: own share, claims to be A'), own]);
    }
    return out;
  }

  private candidatesM2(w: World, s: ISession): [string, Msg2][] {
    const out: [string, Msg2][] = this.netOf(w, 'm2');
    const c = this.crypto;
    const ctx = ictx(s);
    const m1 = ctx.m1 as Msg1;
    // Man in the middle: the attacker answers with its own share, so it knows the DH secret and
    // can compute every MAC; the evidence is relayed/replayed or made by its own TEE E.
    const core = { nonce: ATTACKER_NONCE, share: c.dhPublic(ATTACKER_SECRET), policyDigest: m1.policyDigest, policyVersion: m1.policyVersion, spi: ATTACKER_SPI };
    const h2 = ks.th2(c, ctx.h1, core);
    const dh = c.dh(ATTACKER_SECRET, m1.share) as Term;
    const own = evidence(EVIL_TEE.measurement, EVIL_TEE.role, ks.reportDataR(c, h2, ctx.peer, m1.policyDigest) as Term);
    for (const ev of [...this.seenEvidence(w), own]) {
      const mac = ks.macR(c, ks.macKeyR(c, dh, h2), h2, ctx.peer, ev);
      const msg: Msg2 = { type: 'm2', ...core, evidence: ev, mac };
      out.push([msgId(msg, `attacker: own share, ${ev === own ? 'evidence of its TEE E' : `relayed ${describeEvidence(ev)}`}`), msg]);
    }
    return out;
  }

  private candidatesM3(w: World, s: RSession): [string, Msg3][] {
    const out: [string, Msg3][] = this.netOf(w, 'm3');
    const ctx = rctx(s);
    if (attackerKnowsKey(ctx.dh as Term)) {
      const c = this.crypto;
      const m1 = ctx.m1 as Msg1;
      const own = evidence(EVIL_TEE.measurement, EVIL_TEE.role, ks.reportDataI(c, ctx.h3, m1.initiator, m1.policyDigest) as Term);
      for (const ev of [...this.seenEvidence(w), own]) {
        const mac = ks.macI(c, ks.macKeyI(c, ctx.dh, ctx.h2), ctx.h3, m1.initiator, ev);
        const msg: Msg3 = { type: 'm3', evidence: ev, mac };
        out.push([msgId(msg, `attacker: ${ev === own ? 'evidence of its TEE E' : `relayed ${describeEvidence(ev)}`}`), msg]);
      }
    }
    return out;
  }

  private candidatesM4(w: World, s: ISession): [string, Msg4][] {
    const out: [string, Msg4][] = this.netOf(w, 'm4');
    const ctx = ictx(s);
    if (attackerKnowsKey(ctx.dh as Term)) {
      const msg: Msg4 = { type: 'm4', confirm: ks.confirmTag(this.crypto, ctx.dh, ctx.h4) };
      out.push([msgId(msg, 'attacker: confirmation under a key it knows'), msg]);
    }
    return out;
  }

  // -- driving the machines ------------------------------------------------------------------

  private draft(w: World): Draft {
    return {
      sessions: [...w.sessions],
      net: w.net,
      seen: { B: w.seen.B, C: w.seen.C },
      revoked: w.revoked,
      release: { A: w.release.A, B: w.release.B },
      dataplane: w.dataplane,
      history: w.history,
    };
  }

  private freeze(d: Draft): World {
    return d;
  }

  private setAgent(d: Draft, i: number, bits: number): void {
    const s = d.sessions[i] as Session;
    d.sessions[i] = { ...s, agent: s.agent | bits };
  }

  /** Feeds one event to a MAKE machine and performs its effects (the agent's job), to quiescence. */
  private drive(d: Draft, i: number, event: MakeEvent): void {
    const queue: MakeEvent[] = [event];
    for (let ev = queue.shift(); ev !== undefined; ev = queue.shift()) {
      const s = d.sessions[i] as Session;
      const [snap, actions] = s.kind === 'I' ? stepI.transition(s.snap, ev) : stepR.transition(s.snap, ev);
      d.sessions[i] = { ...s, snap } as Session;
      const me = INSTANCES[s.inst];
      for (const eff of effectsOf(actions)) {
        switch (eff.type) {
          case 'send':
            d.net = insertSorted(d.net, msgId(eff.params.message, `sent by ${s.id}`));
            break;
          case 'attest':
            queue.push({ type: 'evidence.produced', evidence: evidence(me.measurement, me.role, eff.params.reportData as Term) });
            break;
          case 'verify': {
            const claims = evidenceClaims(eff.params.evidence);
            queue.push(
              claims === undefined
                ? { type: 'evidence.invalid', code: 'model.not-evidence' }
                : { type: 'evidence.verified', claims: { platform: 'sim', debug: false, ...claims } },
            );
            break;
          }
          case 'export': {
            const now = d.sessions[i] as Session;
            const peer = peerOf(now) as string;
            d.history = insertSorted(d.history, `done ${now.id} peer=${peer} revoked=${d.revoked && peer === REVOCABLE ? 1 : 0}`);
            if (now.inst !== 'C') {
              this.setAgent(d, i, AGENT.opened);
              this.releaseEvent(d, now.inst, { type: 'SESSION_OPENED', session: now.id, component: peer });
            }
            break;
          }
          case 'fail':
            break;
        }
      }
    }
  }

  /** Feeds one event to a node's release machine and performs its effects on the data plane. */
  private releaseEvent(d: Draft, node: 'A' | 'B', event: ReleaseEvent): void {
    const [snap] = stepRel.transition(d.release[node], event);
    d.release[node] = snap;
    for (const eff of snap.context.effects) {
      const sess = 'session' in eff ? d.sessions.find((s) => s.id === eff.session) : undefined;
      const appraised = sess !== undefined && (sess.agent & AGENT.appraised) !== 0 ? 1 : 0;
      const revoked = d.revoked && 'component' in eff && eff.component === REVOCABLE ? 1 : 0;
      switch (eff.type) {
        case 'install-key':
          d.dataplane = insertSorted(d.dataplane, `${node} ${eff.edge} ${eff.epoch} ${eff.session}`);
          d.history = insertSorted(d.history, `install ${eff.session} at ${node} for ${eff.component} appraised=${appraised} revoked=${revoked}`);
          break;
        case 'remove-key':
          d.dataplane = d.dataplane.filter((x) => x !== `${node} ${eff.edge} ${eff.epoch} ${eff.session}`);
          break;
        case 'release-secret':
          d.history = insertSorted(
            d.history,
            `release ${eff.secret} over ${eff.session} to=${sess === undefined ? '?' : (partnerOf(sess) ?? '?')} appraised=${appraised} revoked=${revoked}`,
          );
          break;
        default:
          break;
      }
    }
  }
}

function describeEvidence(ev: Term): string {
  const c = evidenceClaims(ev);
  if (c === undefined) return render(ev);
  const who = (Object.keys(INSTANCES) as Inst[]).find((i) => INSTANCES[i].measurement === c.measurement && INSTANCES[i].role === c.role) ?? 'E';
  return `evidence of ${who}`;
}

/** The kind of term a value is (for tests and traces). */
export function kindOf(v: unknown): string | undefined {
  return opOf(v);
}
