import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTraceFile } from '../model-tests/trace-check.js';
import { CASES } from '../src/conformance/cases.js';
import { readTrace } from '../src/make/trace.js';
import { announceSkip } from '../test/util/env.js';
import { ADAPTER, PYTHON_IMPL, ensureBuilt, parseJsonRun, pythonSkipReason, runCli } from './helpers.js';

beforeAll(() => ensureBuilt(), 120_000);

const traces = mkdtempSync(join(tmpdir(), 'af-conf-traces-'));
afterAll(() => rmSync(traces, { recursive: true, force: true }));

/** Every session the implementation ran is a trace the protocol model allows (the network is hostile here). */
function expectValidTraces(path: string): void {
  expect(checkTraceFile(path, { honestNetwork: false })).toEqual([]);
  // Each case runs at least one session of the implementation; some run two.
  expect(new Set(readTrace(path).map((s) => s.session)).size).toBeGreaterThanOrEqual(CASES.length);
}

const pySkip = pythonSkipReason();
announceSkip('conformance of the Python implementation', pySkip);

describe.skipIf(pySkip !== undefined)('conformance: an independent implementation in Python', () => {
  it('conformance/adapters/python/make_impl.py passes every case (frames byte-identical to the reference)', { timeout: 180_000 }, async () => {
    const r = await runCli(['conformance', 'run', '--json', '--jobs', '4', '--impl', PYTHON_IMPL]);
    const { results, summary } = parseJsonRun(r.stdout);
    expect(results.map((x) => x.id)).toEqual(CASES.map((c) => c.id));
    expect(results.filter((x) => !x.passed)).toEqual([]);
    expect(summary).toMatchObject({ passed: CASES.length, failed: 0 });
    expect(r.status).toBe(0);
  });
});

describe("conformance: the project's own implementation", () => {
  it('passes every case: one line per case, a closing "N passed, 0 failed", exit 0; its traces validate', { timeout: 180_000 }, async () => {
    const trace = join(traces, 'memory.ndjson');
    const r = await runCli(['conformance', 'run', '--jobs', '4', '--impl', `${ADAPTER} --trace ${trace}`]);
    const lines = r.stdout.trim().split('\n');
    const caseLines = lines.slice(0, -1);
    expect(caseLines).toHaveLength(CASES.length);
    for (const [i, c] of CASES.entries()) expect(caseLines[i]).toMatch(new RegExp(`^PASS ${c.id.replace(/\./g, '\\.')} `));
    expect(lines.at(-1)).toBe(`${CASES.length} passed, 0 failed`);
    expect(r.status, r.stderr).toBe(0);
    expectValidTraces(trace);
  });

  it('passes every case through the CLI mode with the TCP driver over loopback (`attestflow conformance impl --transport tcp`, --json); its traces validate', { timeout: 180_000 }, async () => {
    const trace = join(traces, 'tcp.ndjson');
    const r = await runCli(['conformance', 'run', '--json', '--jobs', '4', '--impl', `node bin/attestflow.js conformance impl --transport tcp --trace ${trace}`]);
    const { results, summary } = parseJsonRun(r.stdout);
    expect(results.map((x) => x.id)).toEqual(CASES.map((c) => c.id));
    expect(results.filter((x) => !x.passed)).toEqual([]);
    expect(summary).toMatchObject({ passed: CASES.length, failed: 0 });
    expect(r.status).toBe(0);
    expectValidTraces(trace);
  });

  it('covers every scenario the protocol issue names, each naming its defence', () => {
    const ids = CASES.map((c) => c.id);
    for (const want of [
      'handshake.initiator', 'handshake.responder',
      'neg.tampered-msg2', 'neg.tampered-msg3', 'neg.replayed-evidence', 'neg.relayed-evidence', 'neg.wrong-role',
      'neg.policy-digest', 'neg.policy-downgrade', 'neg.suite-downgrade', 'neg.bad-mac-msg2', 'neg.bad-mac-msg3',
      'neg.truncated-msg1', 'neg.truncated-msg2', 'neg.oversized-frame-msg2', 'neg.oversized-field-msg1',
    ]) expect(ids).toContain(want);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of CASES) {
      expect(c.defence.length).toBeGreaterThan(5);
      if (c.id.startsWith('neg.')) expect(c.expect.outcome).toBe('error');
    }
  });
});
