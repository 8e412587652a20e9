/**
 * The safety properties of ../shared/DESIGN.md as predicates over the composed world, with the
 * names spec/*.tla uses for the same invariants (spec/README.md maps one to the other).
 *
 * They are stated over ground truth the machines cannot see — who really holds the other DH secret
 * of a key (`partnerOf`), each TEE's launch identity, history variables recorded when something
 * left a node — so a machine that fools itself is caught, not trusted.
 */
import * as ks from '../make/machines/schedule.js';
import type { MakeCrypto } from '../make/machines/values.js';
import type { Msg1, Msg2 } from '../make/messages.js';
import type { Invariant } from './explorer.js';
import { symbolicCrypto, type Term } from './symbolic.js';
import {
  attackerKnowsKey,
  COMPONENTS,
  dhOf,
  EDGES,
  ictx,
  identityOf,
  INSTANCES,
  isDone,
  partnerOf,
  peerOf,
  POLICY,
  rctx,
  REVOCABLE,
  SECRET,
  type Inst,
  type Session,
  type World,
} from './world.js';

const c = symbolicCrypto as MakeCrypto;
const done = (w: World): Session[] => w.sessions.filter(isDone);

/** Injective agreement with key confirmation: a finished side has a peer that ran the same transcript. */
function agreement(w: World): string | undefined {
  for (const s of done(w)) {
    if (s.kind === 'I') {
      const h4 = ictx(s).h4;
      const ok = w.sessions.some((r) => r.kind === 'R' && isDone(r) && rctx(r).h4 === h4);
      if (!ok) return `${s.id} finished with peer ${ictx(s).peer}, but no responder finished that transcript`;
    } else {
      const ctx = rctx(s);
      const peer = peerOf(s) as string;
      const ok = w.sessions.some(
        // The initiator sent message 3 for this transcript (h4 is set when it did), whatever happened
        // to it afterwards: the responder cannot know that a later message 4 was lost or forged.
        (i) => i.kind === 'I' && ictx(i).h4 !== undefined && ictx(i).h3 === ctx.h3 && ictx(i).self === peer && ictx(i).peer === ctx.self,
      );
      if (!ok) return `${s.id} finished with peer ${peer}, but no initiator ${peer} sent message 3 for that transcript`;
    }
  }
  return undefined;
}

/** Key secrecy: no finished session's key is known to the network attacker. */
function secrecy(w: World): string | undefined {
  for (const s of done(w)) {
    if (attackerKnowsKey(dhOf(s))) return `${s.id} on ${s.inst} finished with a key the attacker knows`;
  }
  return undefined;
}

/**
 * Measurement binding: a finished session's peer evidence matches the peer's policy entry, comes
 * from the TEE that holds the other half of the key, and commits to this session's transcript; and
 * no key or secret left a node before the agent had appraised the peer's evidence.
 */
function measurementBinding(w: World): string | undefined {
  for (const s of done(w)) {
    const peer = peerOf(s) as string;
    const ref = COMPONENTS[peer];
    const claims = s.kind === 'I' ? ictx(s).peerClaims : rctx(s).peerClaims;
    if (ref === undefined || claims === undefined) return `${s.id} finished without appraised claims of a policy component`;
    if (!ref.measurements.includes(claims.measurement)) return `${s.id} finished with peer measurement ${claims.measurement}, not ${peer}'s`;
    const partner = partnerOf(s);
    if (partner === undefined || identityOf(partner).measurement !== claims.measurement) {
      return `${s.id} accepted evidence of ${claims.measurement} but shares its key with ${partner ?? '?'}`;
    }
    let expected: unknown;
    if (s.kind === 'I') {
      const ctx = ictx(s);
      expected = ks.reportDataR(c, ctx.h2, peer, (ctx.m2 as Msg2).policyDigest);
    } else {
      const ctx = rctx(s);
      const m1 = ctx.m1 as Msg1;
      expected = ks.reportDataI(c, ctx.h3, m1.initiator, m1.policyDigest);
    }
    if (claims.reportData !== expected) return `${s.id} accepted evidence whose report data does not commit to its transcript`;
  }
  for (const h of w.history) {
    if ((h.startsWith('install ') || h.startsWith('release ')) && h.includes('appraised=0')) return `before appraisal: ${h}`;
  }
  return undefined;
}

/** No diversion: the TEE at the other end of a finished session was launched in the peer's role. */
function noDiversion(w: World): string | undefined {
  for (const s of done(w)) {
    const peer = peerOf(s) as string;
    const partner = partnerOf(s);
    const role = partner === undefined ? undefined : identityOf(partner).role;
    if (role !== COMPONENTS[peer]?.role) return `${s.id} believes it talks to ${peer} (${COMPONENTS[peer]?.role}) but its key is shared with ${partner} in ${role}`;
  }
  return undefined;
}

/** No replay: every finished handshake is a distinct transcript on each side. */
function noReplay(w: World): string | undefined {
  const seen = new Map<string, string>();
  for (const s of done(w)) {
    const h4 = String(s.kind === 'I' ? ictx(s).h4 : rctx(s).h4);
    const k = `${s.kind}${h4}`;
    const other = seen.get(k);
    if (other !== undefined) return `${other} and ${s.id} finished the same transcript`;
    seen.set(k, s.id);
  }
  return undefined;
}

/** No downgrade: every finished handshake ran under the current policy digest and version. */
function noDowngrade(w: World): string | undefined {
  for (const s of done(w)) {
    const m1 = (s.kind === 'I' ? ictx(s).m1 : rctx(s).m1) as Msg1;
    const offered = [[m1.policyDigest, m1.policyVersion]];
    if (s.kind === 'I') {
      const m2 = ictx(s).m2 as Msg2;
      offered.push([m2.policyDigest, m2.policyVersion]);
    }
    for (const [digest, version] of offered) {
      if (digest !== POLICY.cur.digest || version !== POLICY.cur.version) return `${s.id} finished under policy version ${String(version)}, current is ${POLICY.cur.version}`;
    }
  }
  return undefined;
}

/** Release only to allowed components: a secret reaches only a TEE whose launch identity the secret names. */
function releaseOnlyToAllowed(w: World): string | undefined {
  for (const h of w.history) {
    if (!h.startsWith('release ')) continue;
    const to = /to=(\S+)/.exec(h)?.[1];
    const inst = to !== undefined && to in INSTANCES ? INSTANCES[to as Inst] : undefined;
    const allowed = SECRET.allowed.some((c2) => {
      const ref = COMPONENTS[c2];
      return inst !== undefined && ref !== undefined && ref.measurements.includes(inst.measurement) && ref.role === inst.role;
    });
    if (!allowed) return `secret reached ${to}: ${h}`;
    if (h.includes('appraised=0')) return `secret left before the peer was appraised: ${h}`;
  }
  return undefined;
}

/** Revocation: after a revoke, no new session, key or secret for the component, and its installed keys are gone. */
function revocation(w: World): string | undefined {
  for (const h of w.history) if (h.includes('revoked=1')) return `after revocation of ${REVOCABLE}: ${h}`;
  if (w.revoked) {
    for (const sa of w.dataplane) {
      const [node, , , sid] = sa.split(' ');
      if (node === REVOCABLE) continue; // the revoked node's own state is not trusted anyway
      const s = w.sessions.find((x) => x.id === sid);
      if (s !== undefined && peerOf(s) === REVOCABLE) return `${node} still holds an SA with revoked ${REVOCABLE}: ${sa}`;
    }
  }
  return undefined;
}

/**
 * Data-plane safety: an SA exists only for a policy edge at one of its ends, from a finished
 * handshake of that node for that edge and epoch, under a key the attacker does not know, and at
 * most one per edge, direction owner and epoch. (Default deny: without an SA nothing is sent, so no
 * plaintext leaves on a policy edge; the eBPF side of that is tested in bpf/ and src/dataplane/.)
 */
function dataPlaneSafety(w: World): string | undefined {
  const slots = new Set<string>();
  for (const sa of w.dataplane) {
    const [node, edge, epoch, sid] = sa.split(' ') as [string, string, string, string];
    const e = EDGES.find(([f, t]) => `${f}->${t}` === edge);
    if (e === undefined || !e.includes(node)) return `SA on an edge the policy does not allow at ${node}: ${sa}`;
    const s = w.sessions.find((x) => x.id === sid);
    const keys = s === undefined ? undefined : s.kind === 'I' ? ictx(s).keys : rctx(s).keys;
    if (s === undefined || !isDone(s) || s.inst !== node || keys?.edge !== edge || String(keys.epoch) !== epoch) {
      return `SA without a finished handshake of ${node} for ${edge} epoch ${epoch}: ${sa}`;
    }
    if (attackerKnowsKey(dhOf(s) as Term)) return `SA under a key the attacker knows: ${sa}`;
    const slot = `${node} ${edge} ${epoch}`;
    if (slots.has(slot)) return `two SAs for ${slot}`;
    slots.add(slot);
  }
  return undefined;
}

const STATES = {
  I: new Set(['idle', 'awaitM2', 'checkM2', 'verifyR', 'checkR', 'attest', 'awaitM4', 'done', 'failed']),
  R: new Set(['idle', 'checkM1', 'attest', 'awaitM3', 'checkM3', 'verifyI', 'checkI', 'done', 'failed']),
};
/** Stable states a session can rest in between world steps (transient check/attest/verify states never are). */
const RESTING = {
  I: new Set(['idle', 'awaitM2', 'awaitM4', 'done', 'failed']),
  R: new Set(['awaitM3', 'done', 'failed']),
};

/** Type correctness: sessions rest in a known stable state; data-plane entries are well formed. */
function typeOk(w: World): string | undefined {
  for (const s of w.sessions) {
    const st = String(s.snap.value);
    if (!STATES[s.kind].has(st)) return `${s.id} in unknown state ${st}`;
    if (!RESTING[s.kind].has(st)) return `${s.id} rests in transient state ${st} (an effect was not answered)`;
  }
  for (const sa of w.dataplane) if (sa.split(' ').length !== 4) return `malformed SA ${sa}`;
  return undefined;
}

/** In the order DESIGN.md lists them (after TypeOK); the explorer reports the first that fails. */
export const invariants: readonly Invariant<World>[] = [
  { name: 'TypeOK', check: typeOk },
  { name: 'Agreement', check: agreement },
  { name: 'Secrecy', check: secrecy },
  { name: 'MeasurementBinding', check: measurementBinding },
  { name: 'NoDiversion', check: noDiversion },
  { name: 'NoReplay', check: noReplay },
  { name: 'NoDowngrade', check: noDowngrade },
  { name: 'ReleaseOnlyToAllowed', check: releaseOnlyToAllowed },
  { name: 'Revocation', check: revocation },
  { name: 'DataPlaneSafety', check: dataPlaneSafety },
];

/** Every invariant name (the drift check compares these with the TLC configs). */
export const INVARIANT_NAMES: readonly string[] = invariants.map((i) => i.name);
