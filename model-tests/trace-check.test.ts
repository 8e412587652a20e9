/**
 * The trace checker itself: real traces of honest and failing handshakes pass; traces with a step
 * the protocol does not allow, an export before verification, a message nobody sent, or keys that
 * differ are each reported.
 */
import { describe, expect, it } from 'vitest';
import { runLocal } from '../src/make/local.js';
import { Party, type TraceStep } from '../src/make/party.js';
import { ALL_DEFENCES } from '../src/make/types.js';
import { decodeMessage } from '../src/wire/messages.js';
import { makeWorld } from '../test/make/fixtures.js';
import { checkTrace } from './trace-check.js';

const w = makeWorld(5);

async function traced(opts: { defences?: typeof ALL_DEFENCES; dropM3?: boolean; iPolicy?: ReturnType<typeof w.policy> } = {}): Promise<TraceStep[]> {
  const steps: TraceStep[] = [];
  const extra = { trace: (s: TraceStep) => steps.push(s), ...(opts.defences ? { defences: opts.defences } : {}) };
  const i = Party.initiator(w.config('alpha', w.attesters.alpha, opts.iPolicy ?? w.policy(), extra), 'beta', 1);
  const r = Party.responder(w.config('beta', w.attesters.beta, w.policy(), extra));
  await runLocal(i, r, opts.dropM3 ? (_d, b) => (decodeMessage(b).type === 'm3' ? undefined : b) : undefined);
  return steps;
}

const problems = (steps: TraceStep[], o?: Parameters<typeof checkTrace>[1]) => checkTrace(steps, o).map((v) => v.problem);

describe('trace validation against the protocol model', () => {
  it('accepts the traces of honest and of failing handshakes', async () => {
    const ok = await traced();
    expect(ok.length).toBeGreaterThan(8);
    expect(checkTrace(ok)).toEqual([]);
    expect(checkTrace(await traced({ iPolicy: w.policy(1) }))).toEqual([]);
    expect(checkTrace(await traced({ dropM3: true }), { honestNetwork: false })).toEqual([]);
  });

  it('reports a step the model does not allow', async () => {
    const t = await traced();
    const k = t.findIndex((s) => s.role === 'initiator' && s.event === 'recv.m4');
    t[k] = { ...t[k]!, event: 'recv.m2' };
    expect(problems(t).some((p) => p.includes('does not allow'))).toBe(true);
  });

  it('reports keys exported before the peer evidence verified', async () => {
    const t = await traced();
    const cut = t.filter((s) => !(s.role === 'responder' && s.event === 'evidence.verified'));
    // splice the export onto the step that asked for verification
    const k = cut.findIndex((s) => s.role === 'responder' && s.event === 'recv.m3');
    const exp = t.find((s) => s.role === 'responder' && s.effects.includes('export'))!;
    cut[k] = { ...cut[k]!, to: 'done', effects: ['send', 'export'], keys: exp.keys!, sent: exp.sent! };
    const p = problems(cut);
    expect(p).toContain('keys exported before the peer evidence verified and passed appraisal');
  });

  it('reports a message that the peer never sent, and differing keys', async () => {
    const t = await traced();
    const k = t.findIndex((s) => s.role === 'responder' && s.event === 'recv.m3');
    t[k] = { ...t[k]!, received: 'f'.repeat(64) };
    const e = t.findIndex((s) => s.role === 'initiator' && s.effects.includes('export'));
    t[e] = { ...t[e]!, keys: '0'.repeat(64) };
    const p = problems(t);
    expect(p.some((x) => x.startsWith('received message 2'))).toBe(true);
    expect(p.some((x) => x.startsWith('exported keys differ'))).toBe(true);
  });

  it('reports an unconfirmed export unless key confirmation is known to be off', async () => {
    const t = await traced({ defences: { ...ALL_DEFENCES, keyConfirmation: false }, dropM3: true });
    expect(problems(t, { honestNetwork: false }).some((p) => p.includes('does not allow'))).toBe(true);
    expect(checkTrace(t, { honestNetwork: false, allowUnconfirmed: true })).toEqual([]);
  });

  it('reports sessions that stop outside a final state and steps out of order', async () => {
    const t = await traced();
    const lastI = t.map((s) => s.role).lastIndexOf('initiator');
    const cut = t.filter((_, k) => k !== lastI);
    expect(problems(cut).some((p) => p.includes('not in a final state'))).toBe(true);
    const swapped = [...t];
    const a = swapped.findIndex((s) => s.role === 'initiator' && s.seq === 1);
    const b = swapped.findIndex((s) => s.role === 'initiator' && s.seq === 2);
    [swapped[a], swapped[b]] = [swapped[b]!, swapped[a]!];
    expect(problems(swapped).some((p) => p.includes('out of order'))).toBe(true);
  });
});
