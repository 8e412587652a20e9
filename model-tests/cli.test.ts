import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { runModelCheckCli } from '../src/model/cli.js';
import { repoRoot } from '../test/util/env.js';

describe('model-check CLI', () => {
  it('runs the named mutants and the drift check, and says what it is (not TLC)', async () => {
    const lines: string[] = [];
    const ok = await runModelCheckCli({ explore: false, mutants: true, only: ['keyConfirmation', 'policyDigest'], drift: true, traces: true, out: (l) => lines.push(l) });
    const text = lines.join('\n');
    expect(ok).toBe(true);
    expect(text).toContain('This is not TLC');
    expect(text).toMatch(/caught\s+keyConfirmation\s+Agreement\s+counterexample 3 transitions/);
    expect(text).toMatch(/caught\s+policyDigest\s+NoDowngrade/);
    expect(text).toContain('2 of 2 mutants caught');
    expect(text).toContain('OK: spec parses');
    expect(text).toContain('counterexample (3 transitions, shortest)');
  });

  it('fails an exploration cut short by --max-states (not exhaustive is not a pass)', async () => {
    const lines: string[] = [];
    const ok = await runModelCheckCli({ explore: true, mutants: false, only: [], drift: false, traces: false, maxStates: 500, out: (l) => lines.push(l) });
    expect(ok).toBe(false);
    expect(lines.join('\n')).toContain('FAIL: the run stopped early (maxStates)');
  });

  it('refuses an unknown defence', async () => {
    await expect(runModelCheckCli({ explore: false, mutants: true, only: ['nope' as 'roleBinding'], drift: false, traces: false, out: () => {} })).rejects.toThrow(UsageError);
  });
});

describe('npm run tlc', () => {
  const tlc = (env: Record<string, string>) =>
    spawnSync('node', ['scripts/tlc.mjs'], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, TLA2TOOLS_JAR: '', ...env } });

  it('without a jar: exits non-zero, says TLC did not run and how to provide one', () => {
    const r = tlc({});
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('TLC did not run');
    expect(r.stderr).toContain('TLA2TOOLS_JAR=/path/to/tla2tools.jar npm run tlc');
    expect(r.stderr).toContain('936a262061c914694dfd669a543be24573c45d5aa0ff20a8b96b23d01e050e88');
    expect(r.stdout).not.toMatch(/passed/);
  });

  it('with a jar whose SHA-256 is not the pinned one: refuses before running anything', () => {
    const d = mkdtempSync(join(tmpdir(), 'attestflow-jar-'));
    try {
      const jar = join(d, 'tla2tools.jar');
      writeFileSync(jar, 'not the TLA+ tools');
      const r = tlc({ TLA2TOOLS_JAR: jar });
      expect(r.status).toBe(3);
      expect(r.stderr).toMatch(/TLC did not run: .* has SHA-256 [0-9a-f]{64}, not the pinned/);
      expect(r.stdout).toBe('');
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
