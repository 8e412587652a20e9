import { describe, expect, it } from 'vitest';
import { ALL_DEFENCES, type Defences } from '../src/make/types.js';
import { explore } from '../src/model/explorer.js';
import { checkMutants, DEFENCE_NAMES } from '../src/model/run.js';
import { attackerKnowsKey, dhOf, ictx, isDone, MakeWorld, rctx, type Bounds, type World } from '../src/model/world.js';

const SMALL: Bounds = { epochs: 1, responderSessions: { B: 1, C: 1 }, attackerInitiates: true, revocation: true, release: true };

/** Follows the first successor whose label matches, step by step (a scripted run through the model). */
function run(world: MakeWorld, labels: RegExp[]): World {
  let w = world.initial()[0] as World;
  for (const re of labels) {
    const next = [...world.successors(w)].find(([l]) => re.test(l));
    if (next === undefined) throw new Error(`no transition matches ${re} from\n${world.describe(w)}`);
    w = next[1];
  }
  return w;
}

const HONEST = [/^A starts epoch 1 with policy v2$/, /delivers m1#\d+ \[sent by A1\] to B /, /delivers m2#\d+ \[sent by B1\] to A1$/, /delivers m3#\d+ \[sent by A1\] to B1$/, /delivers m4#\d+ \[sent by B1\] to A1$/];

describe('composed MAKE + release world', () => {
  it('an honest run finishes both sides with the same keys, none known to the attacker', () => {
    const world = new MakeWorld({ bounds: SMALL });
    const w = run(world, HONEST);
    const [a1, b1] = w.sessions;
    expect(a1 && isDone(a1) && b1 && isDone(b1)).toBe(true);
    if (a1?.kind !== 'I' || b1?.kind !== 'R') throw new Error('unexpected sessions');
    const { peer: peerA, ...keysA } = ictx(a1).keys ?? { peer: '' };
    const { peer: peerB, ...keysB } = rctx(b1).keys ?? { peer: '' };
    expect(keysA).toEqual(keysB);
    expect([peerA, peerB]).toEqual(['B', 'A']);
    expect(attackerKnowsKey(dhOf(a1))).toBe(false);
    for (const inv of world.invariants) expect(inv.check(w), inv.name).toBeUndefined();
  });

  it('installs the SA only after appraisal, and removes it on revocation', () => {
    const world = new MakeWorld({ bounds: SMALL });
    const installed = run(world, [...HONEST, /B's agent appraises B1/, /B's agent asks to install B1/]);
    expect(installed.dataplane).toContain('B A->B 1 B1');
    const revoked = run(world, [...HONEST, /B's agent appraises B1/, /B's agent asks to install B1/, /owners revoke component A/]);
    expect(revoked.dataplane).not.toContain('B A->B 1 B1');
    for (const inv of world.invariants) expect(inv.check(revoked), inv.name).toBeUndefined();
  });

  it('refuses the install before appraisal (the release defence)', () => {
    const world = new MakeWorld({ bounds: SMALL });
    const w = run(world, [...HONEST, /B's agent asks to install B1/]);
    expect(w.dataplane).toEqual([]);
  });

  it('every invariant holds in every reachable state of a small configuration, exhaustively', () => {
    const r = explore(new MakeWorld({ bounds: SMALL }));
    expect(r.violation).toBeUndefined();
    expect(r.complete).toBe(true);
    expect(r.states).toBeGreaterThan(5_000);
  });

  it('every defence is necessary: each mutant violates an invariant', () => {
    const expected: Record<keyof Defences, string> = {
      transcriptBinding: 'Agreement',
      roleBinding: 'NoDiversion',
      nonceFreshness: 'NoReplay',
      policyDigest: 'NoDowngrade',
      keyConfirmation: 'Agreement',
      appraisalBeforeRelease: 'MeasurementBinding',
      revocationCheck: 'Revocation',
    };
    const reports = checkMutants({ maxStates: 50_000 });
    expect(reports.map((m) => m.defence)).toEqual(DEFENCE_NAMES);
    for (const m of reports) {
      expect(m.caught, `${m.defence} survived`).toBe(true);
      expect(m.invariant, m.defence).toBe(expected[m.defence]);
      expect(m.traceLength).toBeGreaterThanOrEqual(3);
    }
  });

  it('the transcript-binding mutant is a relay attack: the attacker ends up holding A1 key', () => {
    const r = explore(new MakeWorld({ bounds: SMALL, defences: { ...ALL_DEFENCES, transcriptBinding: false } }));
    expect(r.violation?.trace.some((s) => s.label.includes('relayed evidence of B'))).toBe(true);
    expect(r.violation?.trace.at(-1)?.state).toContain('key shared with attacker');
  });
});
