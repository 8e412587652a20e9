#!/usr/bin/env node
// The single test command: type check, then every vitest suite (unit, model tests, conformance,
// eBPF and network-namespace tests), then the stand-alone checks registered in STAGES.
// Prints one closing line `N passed, N failed, N skipped` and exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
const t0 = Date.now();

function stage(name, cmd, args) {
  process.stdout.write(`\n=== ${name}: ${[cmd, ...args].join(' ')}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status === 0) passed++;
  else {
    failed++;
    process.stdout.write(`=== ${name}: FAILED (exit ${r.status ?? r.signal})\n`);
  }
  return r.status === 0;
}

if (process.getuid?.() !== 0) {
  process.stdout.write('note: not root: eBPF and network-namespace tests will be reported as skipped (they need root)\n');
}

// 1. Type check everything (src, tests, model tests, conformance).
stage('typecheck', 'npx', ['--no-install', 'tsc', '--noEmit', '-p', 'tsconfig.json']);

// 2. Every vitest suite; counts come from its JSON report.
const dir = mkdtempSync(join(tmpdir(), 'attestflow-test-'));
const report = join(dir, 'vitest.json');
process.stdout.write('\n=== vitest\n');
const v = spawnSync('npx', ['--no-install', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
try {
  const j = JSON.parse(readFileSync(report, 'utf8'));
  passed += j.numPassedTests;
  failed += j.numFailedTests;
  skipped += j.numPendingTests + (j.numTodoTests ?? 0);
  // A file that fails to load has no failed test but still fails the run: count it once.
  if (v.status !== 0 && j.numFailedTests === 0) failed++;
} catch {
  failed++;
  process.stdout.write(`=== vitest: no report (exit ${v.status ?? v.signal})\n`);
}
rmSync(dir, { recursive: true, force: true });

// 3. Stand-alone checks that are not vitest files (each counts as one test).
const STAGES = [
  // [name, command, args] — added as the model checker and conformance runner land.
  // Exhaustive exploration of the MAKE + release machines, one mutant per defence, spec drift check.
  ['model-check', 'node', ['bin/attestflow.js', 'model-check', '--mutants', '--drift']],
];
for (const [name, cmd, args] of STAGES) stage(name, cmd, args);

process.stdout.write(`\n(${((Date.now() - t0) / 1000).toFixed(1)} s)\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(failed === 0 ? 0 : 1);
