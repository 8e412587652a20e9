import { describe, expect, it } from 'vitest';
import { runLocal } from '../../src/make/local.js';
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
