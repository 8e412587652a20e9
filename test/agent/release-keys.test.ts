/**
 * Data-plane keys go through release: every SA an agent installs is an `install-key` effect of its
 * release controller (audited), and the controller's `remove-key` effects — retire, revocation by a
 * policy update, stop — are what take SAs out of the key table. Real MAKE, sim TEEs, policy.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { SimWorldSpec } from '../../src/agent/sim-world.js';
import { policyYaml } from '../../src/demo/policy-text.js';
import { CompiledPolicy } from '../../src/policy/compile.js';
import { PolicyStore, signApproval } from '../../src/policy/update.js';
import { AuditLog, verifyAuditLog, type AuditEntry } from '../../src/release/audit.js';
import { Cluster, until, simComponents } from './support/cluster.js';

const SPEC: SimWorldSpec = {
  workflow: 'release-keys-test',
  components: simComponents('10.0.0.1'),
  edges: [
    { from: 'a', to: 'b', protocol: 'tcp', port: 7001 },
    { from: 'b', to: 'c', protocol: 'tcp', port: 7002 },
  ],
};

const dir = mkdtempSync(join(tmpdir(), 'af-agent-relkeys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

const entries = (file: string): AuditEntry[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as AuditEntry);
const ofType = (file: string, type: string) => entries(file).filter((e) => e.event.type === type).map((e) => e.event);

describe('data-plane keys through the release controller', () => {
  it('every SA installed is an audited install-key decision, and stop removes them through remove-key', async () => {
    const c = (cluster = new Cluster(SPEC));
    const logs: Record<string, string> = {};
    for (const n of ['c', 'b', 'a']) {
      logs[n] = join(dir, `${n}-install.log`);
      await c.add(n, { audit: AuditLog.open(logs[n]) });
    }
    await Promise.all(['a', 'b', 'c'].map((n) => c.get(n).agent.whenAllKeyed()));
    // b: responder of a->b (peer a), initiator of b->c (peer c); one install-key per edge end.
    const installs = ofType(logs.b!, 'install-key');
    expect(installs.map((e) => [e.edge, e.component, e.epoch]).sort()).toEqual([
      ['a->b', 'a', 1],
      ['b->c', 'c', 1],
    ]);
    expect(installs.every((e) => e.node === 'b')).toBe(true);
    // The key table holds exactly the SAs of those decisions (in + out per edge end).
    expect(c.get('b').keys.installed().map((s) => `${s.flow.edge}/${s.epoch}/${s.direction}`).sort()).toEqual(['a->b/1/in', 'a->b/1/out', 'b->c/1/in', 'b->c/1/out']);
    await c.stopAll();
    expect(c.get('b').keys.size).toBe(0);
    expect(ofType(logs.b!, 'remove-key').map((e) => e.edge).sort()).toEqual(['a->b', 'b->c']);
    for (const n of ['a', 'b', 'c']) expect(verifyAuditLog(readFileSync(logs[n]!, 'utf8')).ok).toBe(true);
  });

  it('a policy update that revokes a component: the controller removes its SAs, and release refuses its next keys although MAKE accepts it', async () => {
    const c = (cluster = new Cluster(SPEC));
    const log = join(dir, 'b-revoke.log');
    await c.add('c');
    const b = await c.add('b', { audit: AuditLog.open(log) });
    await c.add('a');
    await Promise.all(['a', 'b', 'c'].map((n) => c.get(n).agent.whenAllKeyed()));
    expect(b.keys.installed().filter((s) => s.flow.edge === 'a->b')).toHaveLength(2);

    // Version 2 removes a; b's release controller activates it (approved by the owners). b's MAKE
    // policy and plan are left at v1 on purpose: only release stands between a and b's keys.
    const v1 = c.world.policy;
    const d = v1.document;
    const v2 = CompiledPolicy.fromText(
      policyYaml({
        workflow: SPEC.workflow,
        version: 2,
        rekeyIntervalSeconds: 3600,
        simRoot: Buffer.from(c.world.root.publicKey).toString('hex'),
        owners: c.world.owners,
        components: d.components.filter((x) => x.name !== 'a').map((x) => ({ name: x.name, owner: x.owner, measurement: x.measurements[0] as string, ...(x.address ? { address: x.address } : {}) })),
        edges: [{ from: 'b', to: 'c', protocol: 'tcp', port: 7002 }],
      }),
    );
    const store = new PolicyStore();
    store.adopt(v1);
    const activation = store.activate(v2, Object.entries(c.world.ownerSeeds).map(([o, seed]) => signApproval(o, seed, v2)));
    expect(activation.revoked.map((r) => r.component)).toEqual(['a']);
    await b.exchange.controller.policyActivated(activation);

    // The remove-key effects took a's SAs out; the edge to c is untouched.
    expect(b.keys.installed().filter((s) => s.flow.edge === 'a->b')).toEqual([]);
    expect(b.keys.installed().filter((s) => s.flow.edge === 'b->c')).toHaveLength(2);
    expect(b.agent.status().edges.find((e) => e.edge === 'a->b')?.status).toBe('pending');
    expect(b.agent.status().keysInstalled).toBe(2);
    expect(ofType(log, 'remove-key').map((e) => [e.edge, e.component])).toEqual([['a->b', 'a']]);

    // a rekeys: MAKE on b still accepts it (v1), but release refuses, so nothing is installed.
    c.get('a').agent.newEpoch();
    await until(() => (b.agent.status().failures['release.revoked'] ?? 0) >= 1, 5_000, 'release refuses a');
    expect(b.keys.installed().filter((s) => s.flow.edge === 'a->b')).toEqual([]);
    expect(ofType(log, 'refuse').some((e) => e.event === 'SESSION_OPENED' && e.reason === 'revoked')).toBe(true);
    expect(ofType(log, 'install-key').filter((e) => e.edge === 'a->b')).toHaveLength(1); // only the first, before revocation
    expect(verifyAuditLog(readFileSync(log, 'utf8')).ok).toBe(true);
  });

  it('the agent installs nothing that release did not ask for', async () => {
    const c = (cluster = new Cluster(SPEC));
    const b = await c.add('b', { start: false });
    await expect(b.agent.performKeyEffect('install', 'keys/a->b/1/99', 'a->b', 1)).rejects.toMatchObject({ code: 'agent.unknown-sa' });
    expect(b.keys.size).toBe(0);
  });
});
