import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../util/env.js';

const bin = join(repoRoot, 'bin', 'attestflow.js');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

describe('attestflow CLI', () => {
  it('--help lists the subcommands that exist', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: attestflow/);
    expect(r.stdout).toMatch(/\bdemo\b/);
  });

  it('unknown command: clear error, exit 2', () => {
    const r = run('no-such-command');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'no-such-command'/);
  });

  it('bad flag: clear error, exit 2', () => {
    const r = run('--no-such-flag');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--no-such-flag'/);
  });

  it('--version prints the package version', async () => {
    const { VERSION } = await import('../../src/version.js');
    const r = run('--version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(VERSION);
  });
});
