import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../util/env.js';

// A consumer installs the packed tarball into an empty folder and imports the public API by name.
describe('npm pack → install → import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'attestflow-pack-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exports the public API and the CLI from the installed package', () => {
    const out = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', dir], { cwd: repoRoot, encoding: 'utf8' });
    const tarball = join(dir, out.trim().split('\n').pop()!);
    const app = join(dir, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
    // Dependencies resolve from the npm cache the setup already filled.
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline', tarball], { cwd: app, stdio: 'pipe' });
    writeFileSync(
      join(app, 'use.mjs'),
      "import * as af from 'attestflow';\nconst e = new af.AttestflowError('x.y', 'msg');\nconsole.log(JSON.stringify({ version: af.VERSION, code: e.code, isErr: af.isAttestflowError(e), keys: Object.keys(af).sort() }));\n",
    );
    const r = spawnSync(process.execPath, ['use.mjs'], { cwd: app, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const got = JSON.parse(r.stdout) as { version: string; code: string; isErr: boolean; keys: string[] };
    expect(got.code).toBe('x.y');
    expect(got.isErr).toBe(true);
    expect(got.keys).toContain('AttestflowError');
    const cli = spawnSync(join(app, 'node_modules', '.bin', 'attestflow'), ['--help'], { encoding: 'utf8' });
    expect(cli.status).toBe(0);
    expect(cli.stdout).toMatch(/Usage: attestflow/);
  }, 180_000);
});
