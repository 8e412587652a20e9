/**
 * `attestflow agent --audit FILE`: the daemon writes every release decision — data-plane keys and
 * secrets, releases and refusals — to the hash-chained audit log, and `attestflow audit verify`
 * accepts it. Daemons run in-process (real policy file, sim TEEs, MAKE over loopback TCP, no kernel
 * data plane); a curious third component asks for a secret it is not given.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daemon } from '../../src/agent/daemon.js';
import { silentLogger } from '../../src/agent/log.js';
import { SimWorld, type SimWorldSpec } from '../../src/agent/sim-world.js';
import type { AuditEntry } from '../../src/release/audit.js';
import { runCli } from '../util/cli.js';
import { ensureBuilt } from './support/build.js';
import { Cluster, until, simComponents } from './support/cluster.js';

const run = runCli;

const SPEC: SimWorldSpec = {
  workflow: 'audit-test',
  components: simComponents('127.0.0.41'),
  edges: [
    { from: 'a', to: 'b', protocol: 'tcp', port: 7001 },
    { from: 'c', to: 'a', protocol: 'tcp', port: 7002 },
  ],
  secrets: [{ name: 'records-key', holder: 'a', releaseTo: ['b'] }],
};

describe('attestflow agent --audit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'af-agent-audit-'));
  beforeAll(() => ensureBuilt(), 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('every key and secret decision of the daemon, released or refused, is in a log that audit verify accepts', async () => {
    const world = new SimWorld(SPEC);
    const policyFile = join(dir, 'policy.yaml');
    writeFileSync(policyFile, world.policyText);
    const makePort = 20_000 + Math.floor(Math.random() * 20_000);
    const daemon = (name: string, extra: Partial<ConstructorParameters<typeof Daemon>[0]> = {}): Daemon =>
      new Daemon({
        policyFile,
        component: name,
        attester: world.launch(name),
        makePort,
        status: { kind: 'unix', path: join(dir, `${name}.sock`) },
        log: silentLogger,
        handshakeTimeoutMs: 2_000,
        auditFile: join(dir, `${name}.audit`),
        ...extra,
      });
    const a = daemon('a', { secrets: { 'records-key': new Uint8Array(Buffer.from('the records key')) } });
    const b = daemon('b');
    const cluster = new Cluster(SPEC, world);
    cluster.route.set('a', { host: '127.0.0.41', port: makePort });
    try {
      await b.start();
      await a.start();
      // c is genuine and keys c->a, but asks a for a secret the policy releases to b only.
      const c = await cluster.add('c', { fetches: [{ name: 'records-key', holder: 'a' }] });
      await until(() => b.running?.status().secrets.includes('records-key') === true && c.refused.has('records-key') && a.running?.allKeyed() === true && b.running?.allKeyed() === true, 10_000, 'keys and secrets settled');
      expect(c.refused.get('records-key')).toBe('not-allowed');
    } finally {
      await cluster.stopAll();
      await a.stop('test done');
      await b.stop('test done');
    }

    const log = join(dir, 'a.audit');
    const r = await run('audit', 'verify', log);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const entries = readFileSync(log, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as AuditEntry);
    expect(r.stdout).toContain(`ok: ${entries.length} entries`);
    const ev = entries.map((e) => e.event);
    const has = (f: (e: AuditEntry['event']) => boolean): boolean => ev.some(f);
    // Keys: installed for both edges of a, each with the peer that proved itself; removed on stop.
    expect(has((e) => e.type === 'install-key' && e.edge === 'a->b' && e.component === 'b')).toBe(true);
    expect(has((e) => e.type === 'install-key' && e.edge === 'c->a' && e.component === 'c')).toBe(true);
    expect(ev.filter((e) => e.type === 'remove-key').map((e) => e.edge).sort()).toEqual(['a->b', 'c->a']);
    // Secrets: released to b, refused to c with the machine's reason.
    expect(has((e) => e.type === 'release-secret' && e.secret === 'records-key' && e.component === 'b')).toBe(true);
    expect(has((e) => e.type === 'refuse' && e.event === 'REQUEST_SECRET' && e.target === 'records-key' && e.reason === 'not-allowed' && e.component === 'c')).toBe(true);
    expect(ev.every((e) => e.node === undefined || e.node === 'a')).toBe(true);
    // The secret's value never reaches the log.
    expect(readFileSync(log, 'utf8')).not.toContain(Buffer.from('the records key').toString('hex'));
    expect(readFileSync(log, 'utf8')).not.toContain('the records key');
    // b's own log: its key decision for a->b, and it verifies too.
    const rb = await run('audit', 'verify', join(dir, 'b.audit'));
    expect(rb.status, rb.stdout).toBe(0);
    expect(readFileSync(join(dir, 'b.audit'), 'utf8')).toMatch(/"type":"install-key"[^\n]*"edge":"a->b"|"edge":"a->b"[^\n]*"type":"install-key"/);
  }, 60_000);

  it('the CLI takes --audit and refuses to append to a broken log (typed error, exit 1)', async () => {
    const log = join(dir, 'broken.audit');
    writeFileSync(log, '{"not":"an entry"}\n');
    const world = new SimWorld(SPEC);
    const policyFile = join(dir, 'policy2.yaml');
    writeFileSync(policyFile, world.policyText);
    const tee = join(dir, 'a.tee.json');
    writeFileSync(tee, JSON.stringify(world.launchFile('a')));
    const r = await run('agent', '--policy', policyFile, '--component', 'a', '--sim-tee', tee, '--listen', '127.0.0.1:0', '--status', `unix:${join(dir, 'cli.sock')}`, '--audit', log);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('[audit.corrupt]');
  }, 30_000);
});
