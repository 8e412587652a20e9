/**
 * Helpers for the conformance tests: they run the real CLI and the real adapter as processes
 * (the way any other implementation is run), so the compiled build must be current.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../test/util/env.js';

export const CLI = join(repoRoot, 'bin', 'attestflow.js');
/** The project's implementation behind the conformance protocol. */
export const ADAPTER = join(repoRoot, 'conformance', 'adapters', 'attestflow-impl');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Rebuilds dist/ when a source file is newer than it (npm test builds first; this covers `vitest run conformance`). */
export function ensureBuilt(): void {
  const mtime = (p: string): number => {
    try {
      return statSync(p).mtimeMs;
    } catch {
      return 0;
    }
  };
  // tsc leaves unchanged outputs alone, so a stamp records when this check last built.
  const stamp = join(repoRoot, 'dist', '.conformance-built');
  const adapter = join(repoRoot, 'dist', 'conformance', 'adapter.js');
  if (mtime(adapter) > 0 && Math.max(mtime(adapter), mtime(stamp)) >= newest(join(repoRoot, 'src'))) return;
  const r = spawnSync('npx', ['--no-install', 'tsc', '-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', 'dist/.tsbuildinfo'], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed:\n${r.stdout}${r.stderr}`);
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
}

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `attestflow ARGS` and collects its output (async, so tests can run it alongside others). */
export function runCli(args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** One case line of `conformance run --json`. */
export interface JsonResult {
  readonly id: string;
  readonly passed: boolean;
  readonly detail: string;
  readonly covers: string[];
}

/** Splits `--json` output into case results and the closing summary. */
export function parseJsonRun(stdout: string): { results: JsonResult[]; summary: { summary: string; passed: number; failed: number } } {
  const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const last = lines.pop();
  if (last === undefined || typeof last.summary !== 'string') throw new Error(`no summary line in:\n${stdout}`);
  return { results: lines as unknown as JsonResult[], summary: last as { summary: string; passed: number; failed: number } };
}

/** The independent Python implementation (conformance/adapters/python/make_impl.py). */
export const PYTHON_IMPL = `python3 ${join(repoRoot, 'conformance', 'adapters', 'python', 'make_impl.py')}`;

/** Why the Python implementation cannot run here (no python3 or no `cryptography`), or undefined. */
export function pythonSkipReason(): string | undefined {
  const r = spawnSync('python3', ['-c', 'import cryptography.hazmat.primitives.asymmetric.x25519'], { encoding: 'utf8' });
  if (r.error !== undefined) return 'python3 is not installed';
  if (r.status !== 0) return 'the Python package cryptography is missing (Debian: python3-cryptography)';
  return undefined;
}
