import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentStatus } from '../../src/agent/agent.js';
import { DEFAULT_BACKOFF, checkBackoff, nextDelay } from '../../src/agent/backoff.js';
import { jsonLogger } from '../../src/agent/log.js';
import { Metrics, parsePrometheus } from '../../src/agent/metrics.js';
import { fetchStatus, formatStatus } from '../../src/agent/status-client.js';
import { parseStatusAddress, startStatusServer } from '../../src/agent/status-server.js';

describe('backoff', () => {
  it('grows exponentially up to the cap, never below a tenth of it, and stops after maxAttempts', () => {
    const p = { baseMs: 100, factor: 2, maxMs: 1_000, maxAttempts: 6 };
    expect([1, 2, 3, 4, 5].map((a) => nextDelay(p, a, () => 0.999999))).toEqual([100, 200, 400, 800, 1000]);
    expect([1, 2, 3, 4, 5].map((a) => nextDelay(p, a, () => 0))).toEqual([10, 20, 40, 80, 100]);
    expect(nextDelay(p, 6, () => 0.5)).toBeUndefined();
    // The sum of all delays of a round is bounded: that is what "bounded retries" means here.
    let total = 0;
    for (let a = 1; ; a++) {
      const d = nextDelay(DEFAULT_BACKOFF, a, () => 0.999999);
      if (d === undefined) break;
      total += d;
    }
    expect(total).toBeLessThanOrEqual(DEFAULT_BACKOFF.maxMs * DEFAULT_BACKOFF.maxAttempts);
  });

  it('refuses nonsense policies', () => {
    expect(() => checkBackoff({ baseMs: 0, factor: 2, maxMs: 10, maxAttempts: 1 })).toThrow(/baseMs/);
    expect(() => checkBackoff({ baseMs: 10, factor: 0.5, maxMs: 10, maxAttempts: 1 })).toThrow(/factor/);
    expect(() => checkBackoff({ baseMs: 10, factor: 2, maxMs: 5, maxAttempts: 1 })).toThrow(/maxMs/);
    expect(() => checkBackoff({ baseMs: 10, factor: 2, maxMs: 50, maxAttempts: 1.5 })).toThrow(/maxAttempts/);
  });
});

describe('metrics', () => {
  it('renders the Prometheus text format that parses back to the same values', async () => {
    const m = new Metrics();
    m.define('x_total', 'counter', 'an x\nwith a newline');
    m.define('y', 'gauge', 'a y');
    m.inc('x_total', { reason: 'make.bad-mac' });
    m.inc('x_total', { reason: 'make.bad-mac' }, 2);
    m.inc('x_total', { reason: 'weird "quoted"\\label' });
    m.set('y', {}, 7);
    m.collect('z_total', 'counter', 'collected', async () => [{ name: 'z_total', labels: { verdict: 'drop' }, value: 5 }]);
    const text = await m.render();
    expect(text).toContain('# TYPE x_total counter');
    expect(text).toContain('# HELP x_total an x\\nwith a newline');
    expect(text).toContain('x_total{reason="make.bad-mac"} 3');
    const rows = parsePrometheus(text);
    expect(rows).toContainEqual({ name: 'x_total', labels: { reason: 'weird "quoted"\\label' }, value: 1 });
    expect(rows).toContainEqual({ name: 'y', labels: {}, value: 7 });
    expect(rows).toContainEqual({ name: 'z_total', labels: { verdict: 'drop' }, value: 5 });
    expect(m.total('x_total')).toBe(4);
  });

  it('counters only go up, and types are enforced', () => {
    const m = new Metrics();
    m.define('c', 'counter', 'c');
    m.define('g', 'gauge', 'g');
    expect(() => m.inc('c', {}, -1)).toThrow(/only go up/);
    expect(() => m.set('c', {}, 1)).toThrow(/not a gauge/);
    expect(() => m.inc('g')).toThrow(/not a counter/);
    expect(() => m.inc('nope')).toThrow(/not defined/);
    expect(() => m.define('bad name', 'gauge', '')).toThrow(/bad metric name/);
  });

  it('a failing collector does not break the scrape', async () => {
    const m = new Metrics();
    m.define('a', 'gauge', 'a');
    m.set('a', {}, 1);
    m.collect('b', 'gauge', 'b', async () => {
      throw new Error('dataplane gone');
    });
    const text = await m.render();
    expect(parsePrometheus(text)).toEqual([{ name: 'a', labels: {}, value: 1 }]);
    expect(text).toContain('# collector for b failed');
  });
});

describe('json logger', () => {
  it('writes one JSON object per line with base fields, filtered by level, and never raw bytes', () => {
    const lines: string[] = [];
    const log = jsonLogger({ component: 'a' }, { level: 'info', sink: (l) => lines.push(l), now: () => new Date(0) });
    log.debug('hidden');
    log.child({ edge: 'a->b' }).warn('failed', { reason: 'make.timeout', key: new Uint8Array(16) });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0]!)).toEqual({ ts: '1970-01-01T00:00:00.000Z', level: 'warn', msg: 'failed', component: 'a', edge: 'a->b', reason: 'make.timeout', key: '<16 bytes>' });
  });
});

describe('status endpoint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'af-agent-status-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const status: AgentStatus = {
    component: 'ingest',
    state: 'running',
    policyVersion: 3,
    listen: '10.198.0.1:7443',
    edges: [
      { edge: 'ingest->model', side: 'initiator', status: 'keyed', epoch: 2, attempts: 1 },
      { edge: 'report->ingest', side: 'responder', status: 'backoff', attempts: 3, lastError: 'make.measurement' },
    ],
    keysInstalled: 2,
    handshakes: { ok: 2, failed: 3 },
    failures: { 'make.measurement': 3 },
    secrets: [],
  };
  const metrics = new Metrics();
  metrics.define('attestflow_keys_installed', 'gauge', 'k');
  metrics.set('attestflow_keys_installed', {}, 2);
  metrics.collect('attestflow_packets_total', 'counter', 'p', async () => [
    { name: 'attestflow_packets_total', labels: { direction: 'in', verdict: 'pass-esp' }, value: 10 },
    { name: 'attestflow_packets_total', labels: { direction: 'in', verdict: 'drop-policy' }, value: 4 },
  ]);

  for (const addr of ['127.0.0.1:0', `unix:${join(dir, 's.sock')}`]) {
    it(`serves /status and /metrics on ${addr.startsWith('unix') ? 'a Unix socket' : 'loopback TCP'}, and status renders them`, async () => {
      const srv = await startStatusServer({ metrics, status: () => status }, parseStatusAddress(addr));
      try {
        const got = await fetchStatus(srv.address);
        expect(got.component).toBe('ingest');
        expect(got.packets).toEqual({ "in.pass-esp": 10, "in.drop-policy": 4 });
        const text = formatStatus(got);
        expect(text).toMatch(/component ingest\s+\(running, policy v3, MAKE on 10\.198\.0\.1:7443\)/);
        expect(text).toMatch(/1\/2 keyed/);
        expect(text).toMatch(/report->ingest\s+responder\s+backoff\s+last error make\.measurement, 3 attempts/);
        expect(text).toMatch(/packets\s+in.pass-esp=10\s+in.drop-policy=4/);
      } finally {
        await srv.close();
      }
      await expect(fetchStatus(srv.address, 500)).rejects.toMatchObject({ code: 'agent.status-unavailable' });
    });
  }

  it('accepts only loopback TCP addresses and absolute socket paths', () => {
    expect(parseStatusAddress(':9464')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 9464 });
    expect(parseStatusAddress('[::1]:9464')).toEqual({ kind: 'tcp', host: '::1', port: 9464 });
    expect(() => parseStatusAddress('0.0.0.0:9464')).toThrow(/not a loopback/);
    expect(() => parseStatusAddress('10.0.0.1:9464')).toThrow(/not a loopback/);
    expect(() => parseStatusAddress('unix:rel.sock')).toThrow(/absolute/);
    expect(() => parseStatusAddress('127.0.0.1:99999')).toThrow(/bad port/);
    expect(() => parseStatusAddress('nonsense')).toThrow(/bad status address/);
  });
});
