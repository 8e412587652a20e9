import { spawnSync } from 'node:child_process';
import { repoRoot } from '../../util/env.js';

/**
 * Tests that run the `attestflow` binary need dist/ to match src/: an incremental build (seconds
 * when nothing changed; `npm test` has already built through the setup script).
 */
export function ensureBuilt(): void {
  const r = spawnSync('npx', ['--no-install', 'tsc', '-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', 'dist/.tsbuildinfo'], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed:\n${r.stdout}${r.stderr}`);
}
