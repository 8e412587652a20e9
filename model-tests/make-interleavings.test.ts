/**
 * Concurrency: fc.scheduler explores interleavings of several concurrent MAKE handshakes (each
 * message delivery is a scheduled task) and of a revocation of one component. In every
 * interleaving: every handshake ends (done or failed) without timeouts, no party exports a key
 * for a peer after that peer was revoked, finished pairs hold identical keys, and handshakes with
 * unrevoked peers all succeed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventOfBytes, pump } from '../src/make/local.js';
import { keysDigest, Party } from '../src/make/party.js';
import type { MakeEvent } from '../src/make/machines/common.js';
import { makeWorld } from '../test/make/fixtures.js';

describe('MAKE under fc.scheduler: concurrent handshakes and a revocation', () => {
  it('keeps its invariants in every explored interleaving', async () => {
    const w = makeWorld(11);
    let revokedRuns = 0;
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.constantFrom<'beta' | 'gamma'>('beta', 'gamma'), async (s, victim) => {
        const policies = [w.policy(), w.policy(), w.policy()];
        const [pa, pb, pg] = policies as [ReturnType<typeof w.policy>, ReturnType<typeof w.policy>, ReturnType<typeof w.policy>];
        const log: string[] = [];
        const seen = new Set<string>();
        const replayed = (n: Uint8Array) => {
          const k = Buffer.from(n).toString('hex');
          const r = seen.has(k);
          seen.add(k);
          return r;
        };
        // Three concurrent handshakes: two alpha->beta sessions and one alpha->gamma.
        const pairs = [
          { i: Party.initiator(w.config('alpha', w.attesters.alpha, pa), 'beta', 1), r: Party.responder(w.config('beta', w.attesters.beta, pb)) },
          { i: Party.initiator(w.config('alpha', w.attesters.alpha, pa), 'beta', 2), r: Party.responder(w.config('beta', w.attesters.beta, pb)) },
          { i: Party.initiator(w.config('alpha', w.attesters.alpha, pa), 'gamma', 1), r: Party.responder(w.config('gamma', w.attesters.gamma, pg)) },
        ];
        const peerOf = (p: Party, k: number) => (p.role === 'initiator' ? (k === 2 ? 'gamma' : 'beta') : 'alpha');
        const note = (p: Party, k: number) => {
          if (p.result?.ok) log.push(`export ${p.role} ${k} peer=${peerOf(p, k)}`);
        };
        const step = async (p: Party, k: number, ev: MakeEvent, raw?: Uint8Array): Promise<Uint8Array[]> => {
          if (p.done) return [];
          const out = await pump(p, ev, raw);
          note(p, k);
          return out;
        };
        let inflight = 0;
        const send = (k: number, to: 'i' | 'r', bytes: Uint8Array[]) => {
          for (const b of bytes) {
            inflight++;
            void s.schedule(Promise.resolve(`${k}:${to}`)).then(async () => {
              const pair = pairs[k]!;
              const target = pair[to];
              const out = await step(target, k, eventOfBytes(b, to === 'r' ? replayed : undefined), b);
              send(k, to === 'i' ? 'r' : 'i', out);
              inflight--;
            });
          }
        };
        // The revocation: policy owners revoke the victim; running handshakes hear about it.
        inflight++;
        void s.schedule(Promise.resolve(`revoke ${victim}`)).then(async () => {
          for (const p of policies) p.revoke(victim);
          log.push(`revoke ${victim}`);
          for (const [k, pair] of pairs.entries()) for (const p of [pair.i, pair.r]) await step(p, k, { type: 'revoke', component: victim });
          inflight--;
        });
        for (const [k, pair] of pairs.entries()) send(k, 'r', await step(pair.i, k, { type: 'start' }));
        // Release scheduled deliveries one at a time, in the order fast-check picks, until none is
        // pending or running (a delivery's own awaits may schedule the next message later).
        while (inflight > 0) {
          if (s.count() > 0) await s.waitOne();
          else await new Promise((r) => setImmediate(r));
        }

        const at = log.indexOf(`revoke ${victim}`);
        expect(at).toBeGreaterThanOrEqual(0);
        for (const [k, pair] of pairs.entries()) {
          for (const [p, other] of [[pair.i, pair.r], [pair.r, pair.i]] as const) {
            if (!p.done) {
              // Nothing was lost, so a side still waiting waits only because its peer gave up.
              expect(other.result).toEqual({ ok: false, failure: { code: 'make.revoked' } });
              await pump(p, { type: 'timeout' });
              expect(p.result).toEqual({ ok: false, failure: { code: 'make.timeout' } });
            } else if (!p.result?.ok) {
              expect(p.result?.failure.code).toBe('make.revoked');
            }
          }
          const peerRevoked = (p: Party) => peerOf(p, k) === victim;
          for (const p of [pair.i, pair.r]) {
            const exported = log.indexOf(`export ${p.role} ${k} peer=${peerOf(p, k)}`);
            // No key for a revoked peer after its revocation.
            if (peerRevoked(p) && exported >= 0) expect(exported).toBeLessThan(at);
          }
          if (pair.i.result?.ok && pair.r.result?.ok) expect(keysDigest(pair.i.result.keys)).toBe(keysDigest(pair.r.result.keys));
          // Handshakes that do not involve the victim are unaffected.
          const involvesVictim = (k === 2 ? 'gamma' : 'beta') === victim;
          if (!involvesVictim) expect([pair.i.result?.ok, pair.r.result?.ok]).toEqual([true, true]);
        }
        if (pairs.some((p, k) => (k === 2 ? 'gamma' : 'beta') === victim && p.i.result?.ok === false)) revokedRuns++;
      }),
      { numRuns: 120 },
    );
    // Some interleavings put the revocation in the middle of a handshake.
    expect(revokedRuns).toBeGreaterThan(0);
  });
});
