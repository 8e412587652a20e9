/**
 * The attacks of the threat model against the real implementation (in memory, through the wire
 * encoding), each with all defences on (it fails with the expected code) and with the defence
 * that stops it switched off (it succeeds), so every check is shown to matter.
 */
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../../src/crypto/index.js';
import { bytesCrypto } from '../../src/make/bytes-crypto.js';
import { eventOfBytes, pump, runLocal, type Interceptor } from '../../src/make/local.js';
import * as ks from '../../src/make/machines/schedule.js';
import type { Msg1, Msg2 } from '../../src/make/messages.js';
import { keysDigest, Party, toEdgeKeys, type TraceStep } from '../../src/make/party.js';
import { checkTrace } from '../../model-tests/trace-check.js';
import { ALL_DEFENCES, type Defences } from '../../src/make/types.js';
import { StaticHandshakePolicy } from '../../src/make/static-policy.js';
import { decodeMessage, encodeMessage } from '../../src/wire/messages.js';
import { makeWorld } from './fixtures.js';

const w = makeWorld(3);
const c = bytesCrypto(nodeCrypto);
const off = (d: keyof Defences): Defences => ({ ...ALL_DEFENCES, [d]: false });

async function run(opts: { defences?: Defences; intercept?: Interceptor; iPolicy?: StaticHandshakePolicy; rPolicy?: StaticHandshakePolicy; rAttester?: keyof typeof w.attesters; suite?: string; replayed?: () => boolean }) {
  const steps: TraceStep[] = [];
  const extra = { trace: (st: TraceStep) => steps.push(st), ...(opts.defences ? { defences: opts.defences } : {}) };
  const i = Party.initiator(w.config('alpha', w.attesters.alpha, opts.iPolicy ?? w.policy(), extra), 'beta', 1, opts.suite ? { suite: opts.suite } : {});
  const r = Party.responder(w.config('beta', w.attesters[opts.rAttester ?? 'beta'], opts.rPolicy ?? w.policy(), extra));
  await runLocal(i, r, opts.intercept, opts.replayed);
  // Trace validation: even under attack every step is one the protocol model allows.
  expect(checkTrace(steps, { honestNetwork: false, allowUnconfirmed: opts.defences?.keyConfirmation === false })).toEqual([]);
  const code = (p: Party) => (p.result === undefined ? 'none' : p.result.ok ? 'ok' : p.result.failure.code);
  return { i, r, iCode: code(i), rCode: code(r) };
}

/** A man in the middle that replaces the responder's share with its own and re-MACs message 2. */
function shareSwap(y2: Uint8Array, replaceEvidence?: Uint8Array) {
  let m1: Msg1<Uint8Array> | undefined;
  const state: { attackerKeys?: ReturnType<typeof ks.exportKeys>; dh?: Uint8Array; h2?: Uint8Array } = {};
  const intercept: Interceptor = (dir, bytes) => {
    const m = decodeMessage(bytes);
    if (m.type === 'm1') m1 = m;
    if (m.type !== 'm2' || m1 === undefined) return bytes;
    const Y2 = c.dhPublic(y2);
    const forged = { ...m, share: Y2, ...(replaceEvidence ? { evidence: replaceEvidence } : {}) };
    const h2 = ks.th2(c, ks.th1(c, m1), forged) as Uint8Array;
    const dh = c.dh(y2, m1.share) as Uint8Array;
    state.dh = dh;
    state.h2 = h2;
    const mac = ks.macR(c, ks.macKeyR(c, dh, h2), h2, 'beta', forged.evidence) as Uint8Array;
    return encodeMessage({ ...forged, mac } satisfies Msg2<Uint8Array>);
  };
  return { intercept, state };
}

/**
 * The full man in the middle: relays beta's evidence (or an old one) to alpha with the attacker's
 * share, completes the handshake as "beta" and derives the keys alpha exports.
 */
async function mitm(defences: Defences, oldEvidence?: Uint8Array) {
  const i = Party.initiator(w.config('alpha', w.attesters.alpha, w.policy(), { defences }), 'beta', 1);
  const r = Party.responder(w.config('beta', w.attesters.beta, w.policy()));
  const [m1b] = await pump(i, { type: 'start' });
  const [m2b] = await pump(r, eventOfBytes(m1b!));
  const y2 = nodeCrypto.x25519Generate().secret;
  const swap = shareSwap(y2, oldEvidence);
  swap.intercept('i2r', m1b!, 0);
  const forged = swap.intercept('r2i', m2b!, 1)!;
  const [m3b] = await pump(i, eventOfBytes(forged));
  if (i.result !== undefined && !i.result.ok) return { failure: i.result.failure.code };
  const m1 = decodeMessage(m1b!, 'm1') as Msg1<Uint8Array>;
  const m2 = decodeMessage(forged, 'm2') as Msg2<Uint8Array>;
  const m3 = decodeMessage(m3b!, 'm3');
  if (m3.type !== 'm3') throw new Error('no m3');
  const dh = swap.state.dh!;
  const h4 = ks.th4(c, ks.th3(c, swap.state.h2!, m2.evidence, m2.mac), m3.evidence, m3.mac);
  await pump(i, { type: 'recv.m4', message: { type: 'm4', confirm: ks.confirmTag(c, dh, h4) } });
  const attacker = toEdgeKeys(ks.exportKeys(c, dh, h4, m1, m2.spi, 'beta'));
  return { initiatorKeys: i.result?.ok ? keysDigest(i.result.keys) : undefined, attackerKeys: keysDigest(attacker) };
}

describe('MAKE attacks', () => {
  it('honest run with every defence on', async () => {
    const { i, r, iCode, rCode } = await run({});
    expect([iCode, rCode]).toEqual(['ok', 'ok']);
    if (i.result?.ok && r.result?.ok) expect(keysDigest(i.result.keys)).toBe(keysDigest(r.result.keys));
  });

  it('relay: evidence bound to another transcript is refused (transcriptBinding); without it the attacker learns the key', async () => {
    const y2 = nodeCrypto.x25519Generate().secret;
    const a = shareSwap(y2);
    const on = await run({ intercept: a.intercept });
    expect(on.iCode).toBe('make.report-data');
    expect(on.i.result?.ok).toBe(false);

    const mutant = await mitm(off('transcriptBinding'));
    // The initiator finished "with beta", but the attacker holds the same keys.
    expect(mutant.initiatorKeys).toBeDefined();
    expect(mutant.attackerKeys).toBe(mutant.initiatorKeys);
    expect((await mitm(ALL_DEFENCES)).failure).toBe('make.report-data');
  });

  it('replay of old evidence from an earlier session is refused (make.report-data)', async () => {
    let old: Uint8Array | undefined;
    await run({ intercept: (_d, bytes) => { const m = decodeMessage(bytes); if (m.type === 'm2') old = m.evidence; return bytes; } });
    const y2 = nodeCrypto.x25519Generate().secret;
    const a = shareSwap(y2, old);
    expect((await run({ intercept: a.intercept })).iCode).toBe('make.report-data');
    const mutant = await mitm(off('transcriptBinding'), old);
    expect(mutant.attackerKeys).toBe(mutant.initiatorKeys);
  });

  it('diversion to a genuine TEE of the same image in another role is refused (roleBinding)', async () => {
    expect((await run({ rAttester: 'betaAsGamma' })).iCode).toBe('make.role');
    expect((await run({ rAttester: 'betaAsGamma', defences: off('roleBinding') })).iCode).toBe('ok');
  });

  it('policy downgrade is refused (policyDigest); without the check the stale node gets keys', async () => {
    const old = w.policy(2);
    expect((await run({ iPolicy: old })).rCode).toBe('make.policy-downgrade');
    // a stale responder refuses the newer digest (it cannot know it is newer)
    expect((await run({ rPolicy: old })).rCode).toBe('make.policy-digest');
    const sameVersionOtherDigest = w.policy(3, new Uint8Array(32).fill(0x77));
    expect((await run({ iPolicy: sameVersionOtherDigest })).rCode).toBe('make.policy-digest');
    const m = await run({ iPolicy: old, defences: off('policyDigest') });
    expect([m.iCode, m.rCode]).toEqual(['ok', 'ok']);
  });

  it('identity misbinding (unknown key share): rewriting who the initiator is gets nobody keys', async () => {
    // A policy where gamma may also talk to beta, so the rewritten offer is plausible to beta.
    const p = () => new StaticHandshakePolicy({
      digest: new Uint8Array(32).fill(1), version: 1,
      components: { alpha: w.policy().referenceValues('alpha')!, beta: w.policy().referenceValues('beta')!, gamma: w.policy().referenceValues('gamma')! },
      edges: [['alpha', 'beta'], ['gamma', 'beta']],
    });
    const asGamma: Interceptor = (_d, bytes) => {
      const m = decodeMessage(bytes);
      return m.type === 'm1' ? encodeMessage({ ...m, initiator: 'gamma' }) : bytes;
    };
    const on = await run({ intercept: asGamma, iPolicy: p(), rPolicy: p() });
    expect(on.iCode).toBe('make.bad-mac');
    expect(on.rCode).not.toBe('ok');
    const noMac = await run({ intercept: asGamma, iPolicy: p(), rPolicy: p(), defences: off('keyConfirmation') });
    expect(noMac.iCode).toBe('make.report-data');
    expect(noMac.rCode).not.toBe('ok');
  });

  it('suite downgrade is refused (make.suite)', async () => {
    expect((await run({ suite: 'MAKE1-NULL' })).rCode).toBe('make.suite');
  });

  it('a replayed message 1 is refused by the responder (nonceFreshness)', async () => {
    expect((await run({ replayed: () => true })).rCode).toBe('make.replay');
    expect((await run({ replayed: () => true, defences: off('nonceFreshness') })).rCode).toBe('ok');
  });

  it('tampering with any message is detected', async () => {
    const flip = (type: string, field: 'nonce' | 'mac' | 'evidence' | 'confirm') => (_d: string, bytes: Uint8Array) => {
      const m = decodeMessage(bytes) as unknown as Record<string, unknown>;
      if (m.type !== type) return bytes;
      const v = (m[field] as Uint8Array).slice();
      v[v.length - 1]! ^= 1;
      return encodeMessage({ ...(m as object), [field]: v } as never);
    };
    expect((await run({ intercept: flip('m2', 'nonce') })).iCode).toBe('make.bad-mac');
    expect((await run({ intercept: flip('m2', 'mac') })).iCode).toBe('make.bad-mac');
    expect((await run({ intercept: flip('m2', 'evidence') })).iCode).toBe('make.bad-mac');
    expect((await run({ intercept: flip('m3', 'mac') })).rCode).toBe('make.bad-mac');
    expect((await run({ intercept: flip('m3', 'evidence') })).rCode).toBe('make.bad-mac');
    const t4 = await run({ intercept: flip('m4', 'confirm') });
    expect(t4.iCode).toBe('make.bad-confirm');
    expect(t4.i.result?.ok).toBe(false);
    // m1 tampering changes the transcript: the responder's evidence no longer matches the initiator's view
    expect((await run({ intercept: flip('m1', 'nonce') })).iCode).toBe('make.bad-mac');
  });

  it('without key confirmation the initiator exports although the responder never finished', async () => {
    const dropM3: Interceptor = (_d, bytes) => (decodeMessage(bytes).type === 'm3' ? undefined : bytes);
    const on = await run({ intercept: dropM3 });
    expect([on.iCode, on.rCode]).toEqual(['make.timeout', 'make.timeout']);
    const m = await run({ intercept: dropM3, defences: off('keyConfirmation') });
    expect([m.iCode, m.rCode]).toEqual(['ok', 'make.timeout']);
  });

  it('revocation: a revoked peer is refused, and a revoke event ends a running handshake', async () => {
    const p = w.policy();
    p.revoke('beta');
    expect((await run({ iPolicy: p })).iCode).toBe('make.revoked');
    const i = Party.initiator(w.config('alpha', w.attesters.alpha, w.policy()), 'beta', 1);
    i.apply({ type: 'start' });
    const fx = i.apply({ type: 'revoke', component: 'beta' });
    expect(fx.map((e) => e.type)).toEqual(['fail']);
    expect(i.result).toEqual({ ok: false, failure: { code: 'make.revoked' } });
    // Identity-level revocation: the policy sees the verified claims and revokes one measurement.
    const byMeasurement = w.policy();
    byMeasurement.isRevoked = (comp, claims) => comp === 'alpha' && claims?.measurement === Buffer.from(w.measurements.alphaImage).toString('hex');
    expect((await run({ rPolicy: byMeasurement })).rCode).toBe('make.revoked');
    const j = Party.initiator(w.config('alpha', w.attesters.alpha, w.policy(), { defences: off('revocationCheck') }), 'beta', 1);
    j.apply({ type: 'start' });
    expect(j.apply({ type: 'revoke', component: 'beta' })).toEqual([]);
    expect(j.state).toBe('awaitM2');
  });

  it('unexpected and malformed messages end the handshake with typed reasons', async () => {
    const toM4: Interceptor = (dir, bytes) => (dir === 'r2i' ? encodeMessage({ type: 'm4', confirm: new Uint8Array(32) }) : bytes);
    expect((await run({ intercept: toM4 })).iCode).toBe('make.unexpected-message');
    const garbage: Interceptor = (dir, bytes) => (dir === 'i2r' ? new Uint8Array([0xa1, 0x61]) : bytes);
    const g = await run({ intercept: garbage });
    expect(g.rCode).toBe('make.malformed');
    expect(g.r.result).toEqual({ ok: false, failure: { code: 'make.malformed', detail: 'wire.truncated' } });
  });
});
