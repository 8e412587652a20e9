/**
 * The machines as pure functions: effects are visible in the result of transition(), a failure is
 * final with a typed reason and no export, and a final state ignores everything after it.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { nodeCrypto } from '../../src/crypto/index.js';
import { bytesCrypto } from '../../src/make/bytes-crypto.js';
import { effectsOf, type MakeEvent } from '../../src/make/machines/common.js';
import { initiatorMachine } from '../../src/make/machines/initiator.js';
import { responderMachine } from '../../src/make/machines/responder.js';
import { MAKE_FAILURE_CODES } from '../../src/make/reasons.js';
import { makeWorld } from './fixtures.js';

const w = makeWorld(4);
const crypto = bytesCrypto(nodeCrypto);
const iInput = () => ({ crypto, policy: w.policy(), self: 'alpha', peer: 'beta', epoch: 1, secret: nodeCrypto.x25519Generate().secret, nonce: new Uint8Array(32).fill(1), spi: 4096 });
const rInput = () => ({ crypto, policy: w.policy(), self: 'beta', secret: nodeCrypto.x25519Generate().secret, nonce: new Uint8Array(32).fill(2), spi: 8192 });

describe('MAKE machines are pure and expose their effects', () => {
  it('start sends message 1: the effect and its message are in the transition result', () => {
    const [s0, a0] = initialTransition(initiatorMachine, iInput());
    expect(effectsOf(a0)).toEqual([]);
    expect(s0.value).toBe('idle');
    const [s1, a1] = transition(initiatorMachine, s0, { type: 'start' });
    expect(s1.value).toBe('awaitM2');
    const fx = effectsOf(a1);
    expect(fx.map((e) => e.type)).toEqual(['send']);
    const m = fx[0]!.type === 'send' ? fx[0]!.params.message : undefined;
    expect(m).toMatchObject({ type: 'm1', initiator: 'alpha', responder: 'beta', epoch: 1, spi: 4096, policyVersion: 3 });
    // Pure: the same snapshot and event give the same result again.
    const [s1b] = transition(initiatorMachine, s0, { type: 'start' });
    expect(s1b.value).toBe('awaitM2');
    expect(s0.value).toBe('idle');
  });

  it('every failing event ends in failed with a typed reason and no export; later events do nothing', () => {
    const bad: MakeEvent[] = [
      { type: 'timeout' },
      { type: 'abort', code: 'make.transport', detail: 'ECONNRESET' },
      { type: 'recv.m3', message: { type: 'm3', evidence: new Uint8Array(1), mac: new Uint8Array(32) } },
      { type: 'revoke', component: 'beta' },
    ];
    for (const ev of bad) {
      const [s0] = initialTransition(initiatorMachine, iInput());
      const [s1] = transition(initiatorMachine, s0, { type: 'start' });
      const [s2, a2] = transition(initiatorMachine, s1, ev);
      expect(s2.value).toBe('failed');
      expect(s2.status).toBe('done');
      const fx = effectsOf(a2);
      expect(fx.map((e) => e.type)).toEqual(['fail']);
      const code = fx[0]!.type === 'fail' ? fx[0]!.params.code : '';
      expect(MAKE_FAILURE_CODES as readonly string[]).toContain(code);
      expect(s2.context.keys).toBeUndefined();
      const [s3, a3] = transition(initiatorMachine, s2, { type: 'recv.m4', message: { type: 'm4', confirm: new Uint8Array(32) } });
      expect(s3.value).toBe('failed');
      expect(a3).toEqual([]);
    }
  });

  it('a revocation of another component does not touch the handshake', () => {
    const [s0] = initialTransition(initiatorMachine, iInput());
    const [s1] = transition(initiatorMachine, s0, { type: 'start' });
    const [s2, a2] = transition(initiatorMachine, s1, { type: 'revoke', component: 'gamma' });
    expect(s2.value).toBe('awaitM2');
    expect(a2).toEqual([]);
  });

  it('the responder checks message 1 and asks its attester for report data bound to the transcript', () => {
    const [i1, ia] = transition(initiatorMachine, initialTransition(initiatorMachine, iInput())[0], { type: 'start' });
    expect(i1.value).toBe('awaitM2');
    const m1 = effectsOf(ia)[0]!;
    if (m1.type !== 'send' || m1.params.message.type !== 'm1') throw new Error('no m1');
    const [r0] = initialTransition(responderMachine, rInput());
    const [r1, ra] = transition(responderMachine, r0, { type: 'recv.m1', message: m1.params.message });
    expect(r1.value).toBe('attest');
    const fx = effectsOf(ra);
    expect(fx.map((e) => e.type)).toEqual(['attest']);
    expect(fx[0]!.type === 'attest' && (fx[0]!.params.reportData as Uint8Array).length).toBe(64);
    // the same m1 to a responder with another name is refused
    const [r2, rb] = transition(responderMachine, initialTransition(responderMachine, { ...rInput(), self: 'gamma' })[0], { type: 'recv.m1', message: m1.params.message });
    expect(r2.value).toBe('failed');
    expect(effectsOf(rb)).toEqual([{ type: 'fail', params: { code: 'make.wrong-responder' } }]);
  });

  it('a low-order share fails with make.bad-share', () => {
    const [i1, ia] = transition(initiatorMachine, initialTransition(initiatorMachine, iInput())[0], { type: 'start' });
    expect(i1.value).toBe('awaitM2');
    const m1 = effectsOf(ia)[0]!;
    if (m1.type !== 'send' || m1.params.message.type !== 'm1') throw new Error('no m1');
    const [r1, ra] = transition(responderMachine, initialTransition(responderMachine, rInput())[0], { type: 'recv.m1', message: { ...m1.params.message, share: new Uint8Array(32) } });
    expect(r1.value).toBe('failed');
    expect(effectsOf(ra)).toEqual([{ type: 'fail', params: { code: 'make.bad-share' } }]);
  });
});
