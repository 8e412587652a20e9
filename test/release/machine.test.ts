import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { ALL_DEFENCES } from '../../src/make/types.js';
import {
  isRevokedIn,
  releaseMachine,
  type ReleaseContext,
  type ReleaseDefences,
  type ReleaseEvent,
  type ReleaseInput,
} from '../../src/release/machine.js';

type Snap = SnapshotFrom<typeof releaseMachine>;

const input = (defences: ReleaseDefences = ALL_DEFENCES): ReleaseInput => ({
  defences,
  version: 1,
  secrets: [{ name: 'model-key', allowed: ['analyze'] }],
  edges: [
    { id: 'ingest->analyze', peer: 'analyze' },
    { id: 'ingest->report', peer: 'report' },
  ],
});

const start = (defences?: ReleaseDefences): Snap => initialTransition(releaseMachine, input(defences))[0];
const run = (s: Snap, ...events: ReleaseEvent[]): Snap => events.reduce((acc, e) => transition(releaseMachine, acc, e)[0], s);
const effects = (s: Snap) => s.context.effects;

const open = (session: string, component: string): ReleaseEvent => ({ type: 'SESSION_OPENED', session, component });
const appraised = (session: string, refs = 'r1'): ReleaseEvent => ({ type: 'APPRAISED', session, refs });
const ask = (session: string, secret = 'model-key'): ReleaseEvent => ({ type: 'REQUEST_SECRET', session, secret });
const key = (session: string, edge = 'ingest->analyze', epoch = 0): ReleaseEvent => ({ type: 'INSTALL_KEY', session, edge, epoch });

describe('release machine: release', () => {
  it('releases a secret to an appraised peer the secret names', () => {
    const s = run(start(), open('s1', 'analyze'), appraised('s1'), ask('s1'));
    expect(effects(s)).toEqual([{ type: 'release-secret', session: 's1', component: 'analyze', secret: 'model-key' }]);
    expect(s.context.released).toEqual([{ secret: 'model-key', session: 's1', component: 'analyze', refs: 'r1' }]);
  });

  it('never releases before appraisal', () => {
    const s = run(start(), open('s1', 'analyze'), ask('s1'));
    expect(effects(s)).toEqual([{ type: 'refuse', event: 'REQUEST_SECRET', session: 's1', target: 'model-key', reason: 'not-appraised' }]);
    expect(s.context.released).toEqual([]);
  });

  it('refuses a peer the secret does not name, an unknown secret, an unknown session', () => {
    let s = run(start(), open('s2', 'report'), appraised('s2'), ask('s2'));
    expect(effects(s)[0]).toMatchObject({ type: 'refuse', reason: 'not-allowed' });
    s = run(s, ask('s2', 'nope'));
    expect(effects(s)[0]).toMatchObject({ type: 'refuse', reason: 'unknown-secret' });
    s = run(s, ask('s9'));
    expect(effects(s)[0]).toMatchObject({ type: 'refuse', reason: 'unknown-session' });
    expect(s.context.released).toEqual([]);
  });

  it('installs a key only on an edge to the appraised component', () => {
    let s = run(start(), open('s1', 'analyze'), key('s1'));
    expect(effects(s)[0]).toMatchObject({ reason: 'not-appraised' });
    s = run(s, appraised('s1'), key('s1', 'ingest->report'));
    expect(effects(s)[0]).toMatchObject({ reason: 'not-allowed' });
    s = run(s, key('s1', 'a->b'));
    expect(effects(s)[0]).toMatchObject({ reason: 'unknown-edge' });
    s = run(s, key('s1'));
    expect(effects(s)).toEqual([{ type: 'install-key', session: 's1', component: 'analyze', edge: 'ingest->analyze', epoch: 0 }]);
    s = run(s, key('s1', 'ingest->analyze', 1), { type: 'RETIRE_KEY', session: 's1', edge: 'ingest->analyze', epoch: 0 });
    expect(effects(s)).toEqual([{ type: 'remove-key', session: 's1', component: 'analyze', edge: 'ingest->analyze', epoch: 0 }]);
    expect(s.context.keys.map((k) => k.epoch)).toEqual([1]);
  });

  it('failed appraisal ends the session; nothing is released on it afterwards', () => {
    const s = run(start(), open('s1', 'analyze'), { type: 'APPRAISAL_FAILED', session: 's1' });
    expect(effects(s)).toEqual([
      { type: 'refuse', event: 'APPRAISAL_FAILED', session: 's1', target: '', reason: 'appraisal-failed' },
      { type: 'end-session', session: 's1', component: 'analyze', reason: 'appraisal-failed' },
    ]);
    const t = run(s, appraised('s1'), ask('s1'));
    expect(effects(t)[0]).toMatchObject({ reason: 'session-closed' });
  });
});

describe('release machine: revocation', () => {
  const established = () => run(start(), open('s1', 'analyze'), appraised('s1', 'r1'), ask('s1'), key('s1'));

  it('revoke ends the sessions, removes the keys, revokes the secrets', () => {
    const s = run(established(), { type: 'REVOKE', component: 'analyze', refs: 'r1' });
    expect(effects(s)).toEqual([
      { type: 'remove-key', session: 's1', component: 'analyze', edge: 'ingest->analyze', epoch: 0 },
      { type: 'revoke-secret', session: 's1', component: 'analyze', secret: 'model-key' },
      { type: 'end-session', session: 's1', component: 'analyze', reason: 'revoked' },
    ]);
    expect(s.context.keys).toEqual([]);
    expect(s.context.released).toEqual([]);
  });

  it('no new key or secret to revoked reference values; new reference values still work', () => {
    let s = run(established(), { type: 'REVOKE', component: 'analyze', refs: 'r1' }, open('s2', 'analyze'), appraised('s2', 'r1'));
    expect(effects(s)[0]).toMatchObject({ type: 'refuse', reason: 'revoked' });
    s = run(s, key('s2'));
    expect(effects(s)[0]).toMatchObject({ reason: 'session-closed' });
    s = run(s, open('s3', 'analyze'), appraised('s3', 'r2'), key('s3'));
    expect(effects(s)[0]).toMatchObject({ type: 'install-key', session: 's3' });
  });

  it('a removed component (refs *) cannot even open a session', () => {
    const s = run(established(), { type: 'REVOKE', component: 'analyze', refs: '*' }, open('s2', 'analyze'));
    expect(effects(s)).toEqual([
      { type: 'refuse', event: 'SESSION_OPENED', session: 's2', target: 'analyze', reason: 'revoked' },
      { type: 'end-session', session: 's2', component: 'analyze', reason: 'revoked' },
    ]);
  });

  it('policy activation applies revocations and refuses rollback', () => {
    let s = run(established(), {
      type: 'POLICY_ACTIVATED',
      version: 2,
      secrets: [],
      edges: [{ id: 'ingest->report', peer: 'report' }],
      revoke: [{ component: 'analyze', refs: '*' }],
    });
    expect(effects(s).map((e) => e.type)).toEqual(['remove-key', 'revoke-secret', 'end-session', 'policy-activated']);
    expect(s.context.version).toBe(2);
    s = run(s, { type: 'POLICY_ACTIVATED', version: 2, secrets: [], edges: [], revoke: [] });
    expect(effects(s)).toEqual([{ type: 'refuse', event: 'POLICY_ACTIVATED', session: '', target: '', reason: 'rollback' }]);
    expect(s.context.edges).toHaveLength(1);
  });

  it('STOP removes every key and refuses everything after', () => {
    let s = run(established(), { type: 'STOP' });
    expect(s.value).toBe('stopped');
    expect(s.context.keys).toEqual([]);
    expect(effects(s).map((e) => e.type)).toEqual(['remove-key', 'end-session']);
    s = run(s, open('s5', 'analyze'));
    expect(effects(s)[0]).toMatchObject({ reason: 'stopped' });
  });
});

describe('release machine: mutants switch exactly one defence off', () => {
  it('without appraisalBeforeRelease a secret goes to an unappraised claim', () => {
    const s = run(start({ ...ALL_DEFENCES, appraisalBeforeRelease: false }), open('s1', 'analyze'), ask('s1'));
    expect(effects(s)[0]).toMatchObject({ type: 'release-secret' });
  });

  it('without revocationCheck a revoked identity gets a new key', () => {
    const s = run(
      start({ ...ALL_DEFENCES, revocationCheck: false }),
      { type: 'REVOKE', component: 'analyze', refs: 'r1' },
      open('s1', 'analyze'),
      appraised('s1', 'r1'),
      key('s1'),
    );
    expect(effects(s)[0]).toMatchObject({ type: 'install-key' });
  });
});

describe('release machine: invariants over random event sequences (all defences on)', () => {
  const sessions = ['s1', 's2', 's3'];
  const comps = ['analyze', 'report', 'mallory'];
  const refs = ['r1', 'r2'];
  const ev: fc.Arbitrary<ReleaseEvent> = fc.oneof(
    fc.record({ type: fc.constant('SESSION_OPENED' as const), session: fc.constantFrom(...sessions), component: fc.constantFrom(...comps) }),
    fc.record({ type: fc.constant('APPRAISED' as const), session: fc.constantFrom(...sessions), refs: fc.constantFrom(...refs) }),
    fc.record({ type: fc.constant('APPRAISAL_FAILED' as const), session: fc.constantFrom(...sessions) }),
    fc.record({ type: fc.constant('REQUEST_SECRET' as const), session: fc.constantFrom(...sessions), secret: fc.constantFrom('model-key', 'x') }),
    fc.record({
      type: fc.constant('INSTALL_KEY' as const),
      session: fc.constantFrom(...sessions),
      edge: fc.constantFrom('ingest->analyze', 'ingest->report'),
      epoch: fc.nat(2),
    }),
    fc.record({ type: fc.constant('SESSION_CLOSED' as const), session: fc.constantFrom(...sessions) }),
    fc.record({ type: fc.constant('REVOKE' as const), component: fc.constantFrom(...comps), refs: fc.constantFrom('r1', 'r2', '*') }),
  );

  const check = (c: ReleaseContext) => {
    for (const k of c.keys) {
      const s = c.sessions.find((x) => x.id === k.session)!;
      expect(s.open && s.appraised).toBe(true);
      expect(isRevokedIn(c.revoked, k.component, k.refs)).toBe(false);
      expect(c.edges.find((e) => e.id === k.edge)?.peer).toBe(s.claimed);
    }
    for (const r of c.released) {
      const s = c.sessions.find((x) => x.id === r.session)!;
      expect(s.appraised).toBe(true);
      expect(c.secrets.find((x) => x.name === r.secret)?.allowed).toContain(s.claimed);
      expect(isRevokedIn(c.revoked, r.component, r.refs)).toBe(false);
    }
  };

  it('keys and secrets only ever held by appraised, allowed, unrevoked peers', () => {
    fc.assert(
      fc.property(fc.array(ev, { maxLength: 25 }), (events) => {
        let s = start();
        for (const e of events) {
          const before = JSON.stringify(s.context);
          const next = transition(releaseMachine, s, e)[0];
          expect(JSON.stringify(s.context)).toBe(before); // transition() is pure
          s = next;
          check(s.context);
        }
      }),
      { numRuns: 500 },
    );
  });
});
