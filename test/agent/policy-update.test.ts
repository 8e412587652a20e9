/**
 * Policy updates on running agents (`attestflow agent`, SIGHUP): a new version activates only with
 * the owners' approvals; a removed component loses its keys at once and is refused from then on
 * (bounded retries); a rollback and an unapproved version are refused and change nothing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchStatus, type FetchedStatus } from '../../src/agent/status-client.js';
import { SimWorld } from '../../src/agent/sim-world.js';
import { policyYaml } from '../../src/demo/policy-text.js';
import { ProcSet, type Proc } from '../../src/demo/procs.js';
import { CompiledPolicy } from '../../src/policy/compile.js';
import { signApproval } from '../../src/policy/update.js';
import { repoRoot } from '../util/env.js';
import { ensureBuilt } from './support/build.js';
import { simComponents } from './support/cluster.js';

const BIN = join(repoRoot, 'bin/attestflow.js');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const world = new SimWorld({
  workflow: 'update-test',
  components: simComponents('127.0.0.31'),
  edges: [
    { from: 'a', to: 'b', protocol: 'tcp', port: 7001 },
    { from: 'c', to: 'b', protocol: 'tcp', port: 7002 },
  ],
});

/** Version `v` of the workflow with only the named components and edges among them. */
function version(v: number, names: string[]): string {
  const d = world.policy.document;
  return policyYaml({
    workflow: 'update-test',
    version: v,
    rekeyIntervalSeconds: 3600,
    simRoot: Buffer.from(world.root.publicKey).toString('hex'),
    owners: world.owners,
    components: d.components.filter((c) => names.includes(c.name)).map((c) => ({ name: c.name, owner: c.owner, measurement: c.measurements[0] as string, address: c.address as string })),
    edges: d.edges.filter((e) => names.includes(e.from) && names.includes(e.to)).map((e) => ({ from: e.from, to: e.to, protocol: e.protocol, port: e.port })),
  });
}

function approvals(text: string, owners: string[]): string {
  const p = CompiledPolicy.fromText(text);
  return JSON.stringify(owners.map((o) => signApproval(o, world.ownerSeeds[o] as Uint8Array, p)));
}

describe('policy updates on running agents (SIGHUP)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'af-agent-update-'));
  const procs = new ProcSet();
  const policyFile = join(dir, 'policy.yaml');
  const approvalsFile = join(dir, 'approvals.json');
  const agents: Record<string, Proc> = {};
  const status = (n: string): Promise<FetchedStatus> => fetchStatus({ kind: 'unix', path: join(dir, `${n}.sock`) }, 2_000);
  async function until(n: string, pred: (s: FetchedStatus) => boolean, ms: number, what: string): Promise<FetchedStatus> {
    const end = Date.now() + ms;
    let last: FetchedStatus | undefined;
    while (Date.now() < end) {
      last = await status(n).catch(() => undefined);
      if (last && pred(last)) return last;
      await sleep(50);
    }
    throw new Error(`${n}: ${what} not within ${ms} ms (last: ${JSON.stringify(last)})`);
  }
  const logOf = (n: string): Array<Record<string, unknown>> =>
    readFileSync(join(dir, `${n}.log`), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  beforeAll(async () => {
    ensureBuilt();
    const v1 = version(1, ['a', 'b', 'c']);
    writeFileSync(policyFile, v1);
    writeFileSync(approvalsFile, approvals(v1, ['p1', 'p2', 'p3']));
    for (const n of ['b', 'a', 'c']) {
      const tee = join(dir, `${n}.tee.json`);
      writeFileSync(tee, JSON.stringify(world.launchFile(n)));
      agents[n] = procs.start(n, undefined, [process.execPath, BIN, 'agent', '--policy', policyFile, '--approvals', approvalsFile, '--component', n, '--sim-tee', tee, '--status', `unix:${join(dir, `${n}.sock`)}`, '--handshake-timeout', '1000', '--max-attempts', '3', '--rekey-seconds', '3'], join(dir, `${n}.log`));
    }
    for (const n of ['a', 'b', 'c']) await until(n, (s) => s.edges.every((e) => e.status === 'keyed'), 15_000, 'keyed');
  }, 60_000);
  afterAll(async () => {
    await procs.stopAll(2_000);
    rmSync(dir, { recursive: true, force: true });
  });

  it('an approved version that removes c: b drops c\'s keys at once, a and b rekey under it, c is refused with bounded retries', async () => {
    const v2 = version(2, ['a', 'b']);
    writeFileSync(policyFile, v2);
    // Both rules must be met: v1's (p1, p2, p3) and v2's own (p1, p2).
    writeFileSync(approvalsFile, approvals(v2, ['p1', 'p2', 'p3']));
    const before = await status('b');
    agents.b!.child.kill('SIGHUP');
    agents.a!.child.kill('SIGHUP');
    const b2 = await until('b', (s) => s.policyVersion === 2 && s.edges.length === 1, 5_000, 'b on v2');
    expect(b2.edges[0]?.edge).toBe('a->b');
    // c's SAs were removed at once, and said so in the log: by b's release controller, whose
    // revocation of c (POLICY_ACTIVATED) removes them before the plan update drops the edge.
    const removedLogged = (): boolean => logOf('b').some((r) => r.msg === 'edge keys removed' && r.edge === 'c->b' && r.why === 'release removed them');
    for (let i = 0; i < 40 && !removedLogged(); i++) await sleep(50); // the log reaches the file through a pipe
    expect(removedLogged()).toBe(true);
    const b3 = await until('b', (s) => (s.edges[0]?.epoch ?? 0) > (before.edges.find((e) => e.edge === 'a->b')?.epoch ?? 0), 10_000, 'a->b rekeyed');
    expect(b3.edges[0]?.status).toBe('keyed');
    // c, still on v1, keeps trying every epoch: each round refused by b, at most 3 attempts.
    const f0 = b3.failures['make.unknown-component'] ?? 0;
    await sleep(3_500);
    const c = await status('c');
    expect(c.edges[0]?.attempts).toBeLessThanOrEqual(3);
    expect(c.edges.find((e) => e.edge === 'c->b')?.lastError).toBeDefined();
    const b4 = await status('b');
    const refused = (b4.failures['make.unknown-component'] ?? 0) - f0;
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThanOrEqual(6); // two epochs at most in 3.5 s, three attempts each
    expect(b4.edges.map((e) => e.edge)).toEqual(['a->b']);
  }, 60_000);

  it('a rollback to v1 and an unapproved v3 are refused; b stays on v2', async () => {
    const v1 = version(1, ['a', 'b', 'c']);
    writeFileSync(policyFile, v1);
    writeFileSync(approvalsFile, approvals(v1, ['p1', 'p2', 'p3']));
    agents.b!.child.kill('SIGHUP');
    await sleep(500);
    const v3 = version(3, ['a', 'b']);
    writeFileSync(policyFile, v3);
    writeFileSync(approvalsFile, approvals(v3, ['p1'])); // p2 did not approve
    agents.b!.child.kill('SIGHUP');
    for (let i = 0; i < 40 && logOf('b').filter((r) => r.msg === 'policy update refused').length < 2; i++) await sleep(50);
    const refusals = logOf('b').filter((r) => r.msg === 'policy update refused').map((r) => r.reason);
    expect(refusals).toEqual(['policy.rollback', 'policy.approval']);
    expect((await status('b')).policyVersion).toBe(2);
  }, 30_000);
});
