/**
 * Trace validation: replays ndjson traces of MAKE handshakes (written by src/make/trace.ts) against
 * the protocol model (trace-model.ts) and reports every step the model does not allow. Per session:
 * contiguous steps from `init`, each step a rule of its role, nothing after a final state, exactly
 * one export or one fail, an export only after the peer's evidence verified. Across the two
 * sessions of a handshake (paired by message 1): on an honest network every message received was
 * sent by the peer, in order, and both ends exported the same keys.
 */
import { isMakeFailureCode } from '../src/make/reasons.js';
import type { TraceStep } from '../src/make/party.js';
import { readTrace } from '../src/make/trace.js';
import { anyStateOutcomes, FINAL, RULES } from './trace-model.js';

export interface Violation {
  readonly session: string;
  readonly seq?: number;
  readonly problem: string;
}

export interface CheckOptions {
  /** Cross-check the two ends of each handshake (no attacker on the network). Default true. */
  readonly honestNetwork?: boolean;
  /** Allow the initiator to export without key confirmation (keyConfirmation switched off). */
  readonly allowUnconfirmed?: boolean;
  /** Sessions may still be running when the trace ends. */
  readonly allowIncomplete?: boolean;
}

function sessions(steps: readonly TraceStep[]): Map<string, TraceStep[]> {
  const m = new Map<string, TraceStep[]>();
  for (const s of steps) {
    const l = m.get(s.session) ?? [];
    l.push(s);
    m.set(s.session, l);
  }
  return m;
}

function checkSession(id: string, steps: readonly TraceStep[], opts: CheckOptions, out: Violation[]): void {
  const v = (problem: string, seq?: number) => out.push({ session: id, ...(seq !== undefined ? { seq } : {}), problem });
  const role = steps[0]?.role;
  if (role !== 'initiator' && role !== 'responder') {
    v('session has no role');
    return;
  }
  let state = 'start';
  let verified = false;
  let ends = 0;
  steps.forEach((s, k) => {
    if (s.seq !== k) v(`step ${s.seq} out of order (expected ${k})`, s.seq);
    if (s.role !== role) v('role changes within a session', s.seq);
    if (s.from !== state) v(`step starts in ${s.from} but the session is in ${state}`, s.seq);
    if (FINAL.has(state)) v(`step ${s.event} after the final state ${state}`, s.seq);
    const rule = RULES[role].find((r) => r.from === s.from && r.event === s.event);
    const allowed = [...(rule?.outcomes ?? []), ...anyStateOutcomes(s.from, s.event)].filter(
      (o) => !('unconfirmed' in o && o.unconfirmed === true) || opts.allowUnconfirmed === true,
    );
    const fx = s.effects.join(',');
    if (!allowed.some((o) => o.to === s.to && o.effects.join(',') === fx)) {
      v(`the model does not allow ${s.from} --${s.event}--> ${s.to} with effects [${fx}]`, s.seq);
    }
    if (s.event === 'evidence.verified' && s.to !== 'failed') verified = true;
    if (s.effects.includes('export')) {
      ends++;
      if (!verified) v('keys exported before the peer evidence verified and passed appraisal', s.seq);
      if (s.keys === undefined) v('export without a keys digest', s.seq);
    }
    if (s.effects.includes('fail')) {
      ends++;
      if (s.failure === undefined || !isMakeFailureCode(s.failure.code)) v(`fail without a typed reason (${JSON.stringify(s.failure)})`, s.seq);
    }
    if (s.effects.includes('send') && (s.sent?.length ?? 0) !== s.effects.filter((e) => e === 'send').length) v('send effect without a message digest', s.seq);
    if (s.event.startsWith('recv.') && s.received === undefined) v('received message without a digest', s.seq);
    state = s.to;
  });
  if (ends > 1) v(`${ends} ends (export/fail) in one session`);
  if (!FINAL.has(state) && opts.allowIncomplete !== true) v(`session ended in ${state}, not in a final state`);
  if (FINAL.has(state) && ends !== 1) v('final state reached without exactly one export or fail');
}

const sentBy = (steps: readonly TraceStep[]) => steps.flatMap((s) => s.sent ?? []);
const receivedBy = (steps: readonly TraceStep[]) => steps.flatMap((s) => (s.received !== undefined ? [s.received] : []));

/** Checks a list of trace steps; returns the violations (empty = every step allowed). */
export function checkTrace(steps: readonly TraceStep[], opts: CheckOptions = {}): Violation[] {
  const out: Violation[] = [];
  const all = sessions(steps);
  for (const [id, s] of all) checkSession(id, s, opts, out);
  if (opts.honestNetwork === false) return out;
  const initiators = [...all.entries()].filter(([, s]) => s[0]?.role === 'initiator');
  const responders = [...all.entries()].filter(([, s]) => s[0]?.role === 'responder');
  const pairedResponders = new Set<string>();
  for (const [iid, is] of initiators) {
    const m1 = sentBy(is)[0];
    if (m1 === undefined) continue;
    const match = responders.filter(([, rs]) => receivedBy(rs)[0] === m1);
    if (match.length > 1) out.push({ session: iid, problem: `message 1 reached ${match.length} responder sessions (replay on an honest network)` });
    const [rid, rs] = match[0] ?? [];
    if (rid === undefined || rs === undefined) continue;
    pairedResponders.add(rid);
    const prefix = (got: string[], sent: string[], who: string) => {
      got.forEach((d, k) => {
        if (sent[k] !== d) out.push({ session: who, problem: `received message ${k + 1} (${d.slice(0, 12)}…) that the peer did not send in that order` });
      });
    };
    prefix(receivedBy(rs), sentBy(is), rid);
    prefix(receivedBy(is), sentBy(rs), iid);
    const ik = is.find((s) => s.keys !== undefined)?.keys;
    const rk = rs.find((s) => s.keys !== undefined)?.keys;
    if (ik !== undefined && rk !== undefined && ik !== rk) out.push({ session: iid, problem: `exported keys differ from the responder's (${rid})` });
    if (ik !== undefined && rk === undefined && opts.allowUnconfirmed !== true) out.push({ session: iid, problem: 'initiator exported keys but the responder did not' });
  }
  for (const [rid, rs] of responders) {
    const first = receivedBy(rs)[0];
    if (first !== undefined && !pairedResponders.has(rid) && !initiators.some(([, is]) => sentBy(is).includes(first))) {
      out.push({ session: rid, problem: 'received a message 1 no initiator in the trace sent' });
    }
  }
  return out;
}

export function checkTraceFile(path: string, opts?: CheckOptions): Violation[] {
  return checkTrace(readTrace(path), opts);
}
