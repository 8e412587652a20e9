import { describe, expect, it } from 'vitest';
import { ALL_DEFENCES, type Defences } from '../src/make/types.js';
import { explore, type Invariant } from '../src/model/explorer.js';
import { invariants } from '../src/model/invariants.js';
import { MakeWorld, type Bounds, type World } from '../src/model/world.js';

// Each invariant must be able to fail: a predicate that never fails would make the exploration
// vacuous. States that break one come from mutant counterexamples (replayed by label) or from
// a finished honest run edited by hand.

const BOUNDS: Bounds = { epochs: 1, responderSessions: { B: 2, C: 1 }, attackerInitiates: true, revocation: true, release: true };
const inv = (name: string): Invariant<World> => {
  const i = invariants.find((x) => x.name === name);
  if (i === undefined) throw new Error(name);
  return i;
};

function replay(world: MakeWorld, labels: readonly string[]): World {
  let w = world.initial()[0] as World;
  for (const l of labels) {
    const next = [...world.successors(w)].find(([x]) => x === l);
    if (next === undefined) throw new Error(`cannot replay ${l}`);
    w = next[1];
  }
  return w;
}

/** The violating state of a mutant's shortest counterexample. */
function counterexampleState(defence: keyof Defences): World {
  const world = new MakeWorld({ bounds: BOUNDS, defences: { ...ALL_DEFENCES, [defence]: false } });
  const r = explore(world);
  if (r.violation === undefined) throw new Error(`${defence} not caught`);
  return replay(world, r.violation.trace.slice(1).map((s) => s.label));
}

const HONEST = ['A starts epoch 1 with policy v2'];
function honestInstalled(): World {
  const world = new MakeWorld({ bounds: BOUNDS });
  let w = replay(world, HONEST);
  for (const re of [/delivers m1#\d+ \[sent by A1\] to B /, /delivers m2#\d+ \[sent by B1\] to A1$/, /delivers m3#\d+ \[sent by A1\] to B1$/, /delivers m4#\d+ \[sent by B1\] to A1$/, /B's agent appraises B1/, /B's agent asks to install B1/]) {
    const next = [...world.successors(w)].find(([l]) => re.test(l));
    if (next === undefined) throw new Error(String(re));
    w = next[1];
  }
  for (const i of invariants) expect(i.check(w), i.name).toBeUndefined();
  return w;
}

describe('invariants can fail', () => {
  it('Secrecy: the relay counterexample leaves A1 with a key the attacker knows', () => {
    expect(inv('Secrecy').check(counterexampleState('transcriptBinding'))).toMatch(/A1 on A finished with a key the attacker knows/);
  });

  it('MeasurementBinding: relayed evidence does not come from the key holder', () => {
    expect(inv('MeasurementBinding').check(counterexampleState('transcriptBinding'))).toMatch(/accepted evidence of meas-b but shares its key with attacker/);
  });

  it('ReleaseOnlyToAllowed: a secret released before appraisal', () => {
    const world = new MakeWorld({ bounds: BOUNDS, defences: { ...ALL_DEFENCES, appraisalBeforeRelease: false } });
    let w = world.initial()[0] as World;
    for (const re of [/^A starts epoch 1 with policy v2$/, /delivers m1#\d+ \[sent by A1\] to B /, /delivers m2#\d+ \[sent by B1\] to A1$/, /delivers m3#\d+ \[sent by A1\] to B1$/, /peer of B1 requests secret S/]) {
      const next = [...world.successors(w)].find(([l]) => re.test(l));
      if (next === undefined) throw new Error(String(re));
      w = next[1];
    }
    expect(inv('ReleaseOnlyToAllowed').check(w)).toMatch(/secret left before the peer was appraised/);
  });

  it('Revocation: an SA with a revoked component that was not torn down', () => {
    const w = { ...honestInstalled(), revoked: true };
    expect(inv('Revocation').check(w)).toMatch(/B still holds an SA with revoked A/);
  });

  it('DataPlaneSafety: an SA on an edge the policy does not allow, or two for one slot', () => {
    const w = honestInstalled();
    expect(inv('DataPlaneSafety').check({ ...w, dataplane: ['B C->B 1 B1'] })).toMatch(/edge the policy does not allow/);
    expect(inv('DataPlaneSafety').check({ ...w, dataplane: ['B A->B 1 A1'] })).toMatch(/without a finished handshake of B/);
    expect(inv('DataPlaneSafety').check({ ...w, dataplane: ['B A->B 1 B1', 'B A->B 1 B1x'] })).toMatch(/without a finished handshake|two SAs/);
  });

  it('TypeOK: a malformed SA', () => {
    expect(inv('TypeOK').check({ ...honestInstalled(), dataplane: ['B A->B'] })).toMatch(/malformed SA/);
  });

  it('NoDiversion, NoReplay, NoDowngrade, Agreement: the counterexamples of their mutants', () => {
    expect(inv('NoDiversion').check(counterexampleState('roleBinding'))).toMatch(/key is shared with C in role-c/);
    expect(inv('NoReplay').check(counterexampleState('nonceFreshness'))).toMatch(/finished the same transcript/);
    expect(inv('NoDowngrade').check(counterexampleState('policyDigest'))).toMatch(/policy version 1/);
    expect(inv('Agreement').check(counterexampleState('keyConfirmation'))).toMatch(/no responder finished that transcript/);
  });
});
