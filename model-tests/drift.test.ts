import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SPEC_DIR } from '../src/model/cli.js';
import { checkDrift, parseConfig } from '../src/model/drift.js';

const dirs: string[] = [];
function specCopy(): string {
  const d = mkdtempSync(join(tmpdir(), 'attestflow-spec-'));
  dirs.push(d);
  cpSync(SPEC_DIR, d, { recursive: true });
  return d;
}
const edit = (dir: string, file: string, f: (s: string) => string) => writeFileSync(join(dir, file), f(readFileSync(join(dir, file), 'utf8')));

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('spec drift check', () => {
  it('spec/ parses and maps both ways to the machines and the checker', async () => {
    const r = await checkDrift(SPEC_DIR);
    expect(r.problems).toEqual([]);
    expect(r.modules.map((m) => m.name).sort()).toEqual(['DataPlane', 'MAKE', 'Release']);
    expect(r.actions).toBeGreaterThanOrEqual(13);
    expect(r.invariants).toBe(10);
    expect(r.configs.length).toBeGreaterThanOrEqual(4);
  });

  it('fails on a syntax error, with file and line', async () => {
    const d = specCopy();
    edit(d, 'MAKE.tla', (s) => s.replace('Secrecy == \\A s \\in Done :', 'Secrecy == \\A s \\in Done : : ('));
    const r = await checkDrift(d);
    expect(r.problems.some((p) => /^spec\/MAKE\.tla:\d+:\d+: syntax error/.test(p))).toBe(true);
  });

  it('fails on a name that is defined nowhere (a typo SANY would catch)', async () => {
    const d = specCopy();
    edit(d, 'MAKE.tla', (s) => s.replace('Secrecy == \\A s \\in Done : ~AttackerKnows(sess[s].dh)', 'Secrecy == \\A s \\in Done : ~AttackerKnow(sess[s].dh)'));
    const r = await checkDrift(d);
    expect(r.problems.some((p) => /^spec\/MAKE\.tla:\d+: AttackerKnow is not defined$/.test(p))).toBe(true);
  });

  it('fails on a new action no machine event stands for', async () => {
    const d = specCopy();
    edit(d, 'MAKE.tla', (s) => s.replace('MakeStep ==', 'Sneaky == revoked\' = FALSE /\\ UNCHANGED <<sess, net, seen, hist>>\n\nMakeStep =='));
    const r = await checkDrift(d);
    expect(r.problems.some((p) => p.includes('action Sneaky has no mapping'))).toBe(true);
  });

  it('fails when a mapped action disappears from the spec', async () => {
    const d = specCopy();
    edit(d, 'MAKE.tla', (s) => s.replaceAll('IRecvM4', 'IRecvConfirm'));
    const r = await checkDrift(d);
    expect(r.problems).toContain('src/model/mapping.ts: IRecvM4 is not an action of any spec module');
    expect(r.problems.some((p) => p.includes('action IRecvConfirm has no mapping'))).toBe(true);
  });

  it('fails on a configured invariant without a checker predicate, and on an undefined one', async () => {
    const d = specCopy();
    edit(d, 'MAKE.cfg', (s) => s.replace('    Secrecy\n', '    Secrecy\n    Liveliness\n'));
    const r = await checkDrift(d);
    expect(r.problems).toContain('spec/MAKE.cfg: invariant Liveliness maps to no checker predicate (src/model/mapping.ts)');
    expect(r.problems).toContain('spec/MAKE.cfg: invariant Liveliness is not defined in MAKE or what it extends');
  });

  it('fails when a checker predicate is configured nowhere', async () => {
    const d = specCopy();
    edit(d, 'DataPlane.cfg', (s) => s.replace('    DataPlaneSafety\n', ''));
    const r = await checkDrift(d);
    expect(r.problems).toContain('checker predicate DataPlaneSafety is checked by no TLC config');
  });

  it('fails when spec/README.md stops naming an action', async () => {
    const d = specCopy();
    edit(d, 'README.md', (s) => s.replaceAll('`PeerRequest`', 'PeerRequest'));
    const r = await checkDrift(d);
    expect(r.problems).toContain('spec/README.md does not mention `PeerRequest`');
  });

  it('reads TLC configs: constants, INIT, NEXT, invariants, comments', () => {
    const c = parseConfig('spec/X.cfg', '\\* comment\nCONSTANTS\n  N = 3\n  S <- Def\nINIT Init\nNEXT Next\nINVARIANT A B\nINVARIANTS\n  C\n');
    expect(c).toEqual({ file: 'spec/X.cfg', module: 'X', constants: ['N', 'S'], init: 'Init', next: 'Next', invariants: ['A', 'B', 'C'] });
  });
});
