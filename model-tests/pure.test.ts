import fc from 'fast-check';
import { initialTransition, transition } from 'xstate';
import { describe, expect, it } from 'vitest';
import { initiatorMachine } from '../src/make/machines/initiator.js';
import { responderMachine } from '../src/make/machines/responder.js';
import { releaseMachine, type ReleaseEvent } from '../src/release/machine.js';
import { canonicalJson } from '../src/model/canonical.js';
import { pureStepper } from '../src/model/pure.js';
import { MakeWorld, type World } from '../src/model/world.js';
import { bytesCrypto } from '../src/make/bytes-crypto.js';
import { nodeCrypto } from '../src/crypto/index.js';
import { makeWorld } from '../test/make/fixtures.js';

const SKIP = new Set(['env']);

describe('pure stepper', () => {
  it('gives exactly what XState transition() gives, on every step of recorded model runs', () => {
    // Walk the model a few layers deep; replay every MAKE step with transition() and compare.
    const world = new MakeWorld();
    const stepI = pureStepper(initiatorMachine);
    const stepR = pureStepper(responderMachine);
    let frontier: World[] = world.initial();
    let compared = 0;
    for (let depth = 0; depth < 4; depth++) {
      const next: World[] = [];
      for (const w of frontier) for (const [, s] of world.successors(w)) next.push(s);
      for (const w of next) {
        for (const s of w.sessions) {
          for (const ev of [{ type: 'recv.m4', message: { type: 'm4', confirm: 'x' } }, { type: 'revoke', component: 'A' }, { type: 'timeout' }] as const) {
            const a = s.kind === 'I' ? stepI.transition(s.snap, ev) : stepR.transition(s.snap, ev);
            const b = s.kind === 'I' ? transition(initiatorMachine, s.snap, ev) : transition(responderMachine, s.snap, ev);
            expect(String(a[0].value)).toBe(String(b[0].value));
            expect(canonicalJson(a[0].context, SKIP)).toBe(canonicalJson(b[0].context, SKIP));
            expect(a[1].map((x) => [x.type, canonicalJson(x.params)])).toEqual(b[1].map((x) => [x.type, canonicalJson(x.params)]));
            compared++;
          }
        }
      }
      frontier = next.slice(0, 300);
    }
    expect(compared).toBeGreaterThan(500);
  });

  it('matches transition() on random release event sequences', () => {
    const step = pureStepper(releaseMachine);
    const input = {
      defences: { appraisalBeforeRelease: true, revocationCheck: true },
      version: 2,
      secrets: [{ name: 'S', allowed: ['A'] }],
      edges: [{ id: 'A->B', peer: 'A' }],
    };
    const sid = fc.constantFrom('s1', 's2');
    const event: fc.Arbitrary<ReleaseEvent> = fc.oneof(
      fc.record({ type: fc.constant('SESSION_OPENED' as const), session: sid, component: fc.constantFrom('A', 'C') }),
      fc.record({ type: fc.constant('APPRAISED' as const), session: sid, refs: fc.constantFrom('A@v2', 'A@v1') }),
      fc.record({ type: fc.constant('REQUEST_SECRET' as const), session: sid, secret: fc.constantFrom('S', 'T') }),
      fc.record({ type: fc.constant('INSTALL_KEY' as const), session: sid, edge: fc.constant('A->B'), epoch: fc.constantFrom(1, 2) }),
      fc.record({ type: fc.constant('REVOKE' as const), component: fc.constant('A'), refs: fc.constantFrom('*', 'A@v2') }),
      fc.constant({ type: 'STOP' as const }),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 12 }), (events) => {
        let a = initialTransition(releaseMachine, input)[0];
        let b = a;
        for (const e of events) {
          a = step.transition(a, e)[0];
          b = transition(releaseMachine, b, e)[0];
          expect(String(a.value)).toBe(String(b.value));
          expect(canonicalJson(a.context)).toBe(canonicalJson(b.context));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('initial() gives what initialTransition() gives, for both MAKE machines', () => {
    const policy = makeWorld().policy();
    const common = { crypto: bytesCrypto(nodeCrypto), policy, secret: new Uint8Array(32).fill(7), nonce: new Uint8Array(32).fill(9), spi: 4242 };
    const iIn = { ...common, self: 'alpha', peer: 'beta', epoch: 3 };
    const rIn = { ...common, self: 'beta' };
    const cases = [
      [pureStepper(initiatorMachine).initial(iIn), initialTransition(initiatorMachine, iIn)],
      [pureStepper(responderMachine).initial(rIn), initialTransition(responderMachine, rIn)],
    ] as const;
    for (const [a, b] of cases) {
      expect(String(a[0].value)).toBe(String(b[0].value));
      expect(canonicalJson(a[0].context, SKIP)).toBe(canonicalJson(b[0].context, SKIP));
      expect(a[1].map((x) => [x.type, canonicalJson(x.params)])).toEqual(b[1].map((x) => [x.type, canonicalJson(x.params)]));
    }
    // The initiator's start sends m1: the step after initial() must match too.
    const si = pureStepper(initiatorMachine);
    const [s0] = si.initial(iIn);
    const a = si.transition(s0, { type: 'start' });
    const b = transition(initiatorMachine, initialTransition(initiatorMachine, iIn)[0], { type: 'start' });
    expect(String(a[0].value)).toBe(String(b[0].value));
    expect(a[1].map((x) => [x.type, canonicalJson(x.params)])).toEqual(b[1].map((x) => [x.type, canonicalJson(x.params)]));
    expect(a[1].some((x) => x.type === 'send')).toBe(true);
  });
});
