/**
 * Each MAKE defence switched off (`--disable-defence NAME`: in our adapter it sets that `Defences`
 * flag to false in the real machines; the Python implementation skips the same check) must fail
 * exactly the cases that declare they cover it, and no other: a case that stopped catching its
 * attack, or a defence no case notices, fails here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CASES } from '../src/conformance/cases.js';
import { DEFENCE_NAMES } from '../src/conformance/defences.js';
import { announceSkip } from '../test/util/env.js';
import { ADAPTER, PYTHON_IMPL, ensureBuilt, parseJsonRun, pythonSkipReason, runCli } from './helpers.js';

beforeAll(() => ensureBuilt(), 120_000);

/** Defences that belong to other stages than MAKE (no handshake case can notice them). */
const NOT_MAKE = new Set(['appraisalBeforeRelease']);

const pySkip = pythonSkipReason();
announceSkip('conformance mutants of the Python implementation', pySkip);

const IMPLS = [
  { name: 'attestflow (TypeScript)', cmd: ADAPTER, skip: undefined },
  { name: 'make_impl.py (independent Python implementation)', cmd: PYTHON_IMPL, skip: pySkip },
];

for (const impl of IMPLS) {
  describe.skipIf(impl.skip !== undefined)(`conformance: defence-off mutants of ${impl.name} fail exactly the cases that cover them`, () => {
    for (const defence of DEFENCE_NAMES) {
      const covering = CASES.filter((c) => (c.covers as string[]).includes(defence)).map((c) => c.id);
      it(`${defence} off → fails ${covering.length === 0 ? 'no case' : covering.join(', ')}`, { timeout: 240_000 }, async () => {
        if (!NOT_MAKE.has(defence)) expect(covering.length, `no case covers ${defence}`).toBeGreaterThan(0);
        const r = await runCli(['conformance', 'run', '--json', '--jobs', '4', '--timeout', '20000', '--impl', `${impl.cmd} --disable-defence ${defence}`]);
        const { results, summary } = parseJsonRun(r.stdout);
        expect(results).toHaveLength(CASES.length);
        const failed = results.filter((x) => !x.passed);
        expect(failed.map((x) => x.id).sort()).toEqual([...covering].sort());
        // The failure is the attack getting through, not a crash of the mutant.
        for (const f of failed) expect(f.detail).toMatch(/exported keys \(attack succeeded\)|went on with the handshake/);
        expect(summary.failed).toBe(covering.length);
        expect(r.status).toBe(covering.length === 0 ? 0 : 1);
      });
    }
  });
}
