import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentStatus } from '../../src/agent/agent.js';
import { Metrics } from '../../src/agent/metrics.js';
import { startStatusServer } from '../../src/agent/status-server.js';
import { repoRoot } from '../util/env.js';
import { runCli } from '../util/cli.js';
import { ensureBuilt } from './support/build.js';

// Asynchronous on purpose (runCli): the status test serves the endpoint from this very process.
const run = runCli;

describe('agent CLI commands', () => {
  beforeAll(() => ensureBuilt(), 120_000);
  const dir = mkdtempSync(join(tmpdir(), 'af-agent-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('bench bootstrap --json: every edge keyed on both ends, figures and the reference ratio reported', async () => {
    const r = await run('bench', 'bootstrap', '--nodes', '12', '--runs', '1', '--threads', '2', '--json');
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { nodes: number; edges: number; threads: number; medianSeconds: number; medianHandshakesPerSecond: number; reference: { seconds: number; ratio: number }; all: Array<{ seconds: number }> };
    expect([j.nodes, j.edges, j.threads]).toEqual([12, 24, 2]);
    expect(j.medianSeconds).toBeGreaterThan(0);
    expect(j.medianSeconds).toBe(j.all[0]?.seconds);
    expect(j.medianHandshakesPerSecond).toBeCloseTo(24 / j.medianSeconds, 6);
    expect(j.reference.ratio).toBeCloseTo(j.medianSeconds / 1.5, 6);
  }, 120_000);

  it('bench bootstrap refuses fewer than 3 nodes (usage, exit 2)', async () => {
    const r = await run('bench', 'bootstrap', '--nodes', '2');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--nodes must be an integer in 3\.\.5000/);
  });

  it('status prints a readable summary from the endpoint and exits 1 while an edge is not keyed', async () => {
    const status: AgentStatus = {
      component: 'analyze',
      state: 'running',
      policyVersion: 2,
      edges: [
        { edge: 'ingest->analyze', side: 'responder', status: 'keyed', epoch: 3, attempts: 1 },
        { edge: 'analyze->report', side: 'initiator', status: 'backoff', attempts: 2, lastError: 'make.timeout' },
      ],
      keysInstalled: 2,
      handshakes: { ok: 3, failed: 2 },
      failures: { 'make.timeout': 2 },
      secrets: [],
    };
    const srv = await startStatusServer({ metrics: new Metrics(), status: () => status }, { kind: 'unix', path: join(dir, 's.sock') });
    try {
      const r = await run('status', '--endpoint', `unix:${join(dir, 's.sock')}`);
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(/component analyze\s+\(running, policy v2\)/);
      expect(r.stdout).toMatch(/1\/2 keyed\s+keys installed: 2\s+handshakes: 3 ok, 2 failed/);
      expect(r.stdout).toMatch(/failures\s+make\.timeout=2/);
    } finally {
      await srv.close();
    }
    const gone = await run('status', '--endpoint', `unix:${join(dir, 's.sock')}`);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toMatch(/\[agent\.status-unavailable\]/);
  });

  it('agent refuses to run without a TEE it can use (usage, exit 2)', async () => {
    const r = await run('agent', '--policy', join(repoRoot, 'examples/demo.yaml'), '--component', 'ingest');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--sim-tee is required/);
  });
});
