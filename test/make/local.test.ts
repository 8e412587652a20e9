import { describe, expect, it } from 'vitest';
import { pump, runLocal } from '../../src/make/local.js';
import { StaticHandshakePolicy } from '../../src/make/static-policy.js';
import { Party } from '../../src/make/party.js';
import { makeWorld } from './fixtures.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('MAKE in memory through the real wire encoding', () => {
  it('an honest handshake ends with identical keys on both sides', async () => {
    const w = makeWorld();
    const p = w.policy();
    const i = Party.initiator(w.config('alpha', w.attesters.alpha, p), 'beta', 7);
    const r = Party.responder(w.config('beta', w.attesters.beta, p));
    await runLocal(i, r);
    expect(i.state).toBe('done');
    expect(r.state).toBe('done');
    if (!i.result?.ok || !r.result?.ok) throw new Error('not ok');
    const a = i.result.keys;
    const b = r.result.keys;
    expect(a.edge).toBe('alpha->beta');
    expect(a.epoch).toBe(7);
    expect(hex(a.initiatorToResponder.key)).toBe(hex(b.initiatorToResponder.key));
    expect(hex(a.responderToInitiator.salt)).toBe(hex(b.responderToInitiator.salt));
    expect(a.initiatorToResponder.key.length).toBe(16);
    expect(a.initiatorToResponder.salt.length).toBe(3);
    expect(hex(a.initiatorToResponder.key)).not.toBe(hex(a.responderToInitiator.key));
    expect(a.initiatorToResponder.spi).toBe(b.initiatorToResponder.spi);
    expect(a.responderToInitiator.spi).toBe(b.responderToInitiator.spi);
    expect(i.result.peer).toBe('beta');
    expect(r.result.peer).toBe('alpha');
  });
});

describe('robustness of a party', () => {
  it('a message that does not fit the wire bounds ends the handshake with a typed reason, not an exception', async () => {
    const w = makeWorld();
    const p = new StaticHandshakePolicy({
      digest: new Uint8Array(32), version: 1,
      components: { 'bad name!': w.policy().referenceValues('alpha')!, beta: w.policy().referenceValues('beta')! },
      edges: [['bad name!', 'beta']],
    });
    const i = Party.initiator(w.config('bad name!', w.attesters.alpha, p), 'beta', 1);
    const out = await pump(i, { type: 'start' });
    expect(out).toEqual([]);
    expect(i.result).toEqual({ ok: false, failure: { code: 'make.aborted', detail: 'wire.out-of-range' } });
  });

  it('a crypto value of the wrong kind (a machine-level bug) fails the handshake instead of throwing', () => {
    const w = makeWorld();
    const i = Party.initiator(w.config('alpha', w.attesters.alpha, w.policy()), 'beta', 1, { secret: 'not bytes' as unknown as Uint8Array });
    const fx = i.apply({ type: 'start' });
    expect(fx.map((e) => e.type)).toEqual(['fail']);
    expect(i.result?.ok).toBe(false);
    expect(i.done).toBe(true);
    expect(i.apply({ type: 'timeout' })).toEqual([]);
  });
});
