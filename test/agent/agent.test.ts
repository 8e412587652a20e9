import { afterEach, describe, expect, it } from 'vitest';
import { SimWorld, type SimWorldSpec } from '../../src/agent/sim-world.js';
import { agentPlanFrom } from '../../src/agent/plan.js';
import { CompiledPolicy } from '../../src/policy/compile.js';
import { policyYaml } from '../../src/demo/policy-text.js';
import { Cluster, edgeKeysMatch, sleep, until, simComponents } from './support/cluster.js';

const SPEC: SimWorldSpec = {
  workflow: 'agent-test',
  components: simComponents('10.0.0.1'),
  edges: [
    { from: 'a', to: 'b', protocol: 'tcp', port: 7001 },
    { from: 'b', to: 'c', protocol: 'tcp', port: 7002 },
    { from: 'a', to: 'c', protocol: 'udp', port: 7003 },
  ],
};

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

describe('agent with real MAKE, sim TEEs and policy (loopback)', () => {
  it('keys every edge on both ends with matching keys, and status says so', async () => {
    const c = (cluster = new Cluster(SPEC));
    for (const n of ['c', 'b', 'a']) await c.add(n);
    await Promise.all(['a', 'b', 'c'].map((n) => c.get(n).agent.whenAllKeyed()));
    for (const e of ['a->b', 'b->c', 'a->c']) expect(edgeKeysMatch(c, e)).toEqual({ epochs: [1], match: true });
    // Two SAs (in, out) per edge end: a has 2 edges, b 2, c 2.
    expect(c.get('a').keys.size).toBe(4);
    const s = c.get('b').agent.status();
    expect(s.edges.map((e) => [e.edge, e.side, e.status, e.epoch])).toEqual([
      ['b->c', 'initiator', 'keyed', 1],
      ['a->b', 'responder', 'keyed', 1],
    ]);
    expect(s.edges.find((e) => e.edge === 'a->b')?.peerMeasurement).toBe(c.world.launchFile('a').measurement);
    expect(s.keysInstalled).toBe(4);
    expect(c.get('b').agent.metrics.get('attestflow_handshakes_total', { role: 'responder', result: 'ok' })).toBe(1);
  });

  it('rekeys every epoch with fresh keys, keeps the old epoch only during the overlap, and stop removes every key', async () => {
    const c = (cluster = new Cluster(SPEC));
    for (const n of ['c', 'b', 'a']) await c.add(n, { rekeyMs: 250, overlapMs: 100 });
    await until(() => (c.get('a').agent.status().edges.find((e) => e.edge === 'a->b')?.epoch ?? 0) >= 3, 5_000, 'epoch 3 on a->b');
    const e = edgeKeysMatch(c, 'a->b');
    expect(e.match).toBe(true);
    expect(Math.max(...e.epochs)).toBeGreaterThanOrEqual(3);
    // Never more than two epochs installed at once, and the keys of different epochs differ.
    const outs = c.get('a').keys.installed().filter((s) => s.flow.edge === 'a->b' && s.direction === 'out');
    expect(outs.length).toBeLessThanOrEqual(2);
    expect(new Set(outs.map((s) => Buffer.from(s.key).toString('hex'))).size).toBe(outs.length);
    expect(c.get('a').agent.metrics.get('attestflow_rekeys_total')).toBeGreaterThanOrEqual(2);
    await c.stopAll();
    for (const n of ['a', 'b', 'c']) {
      expect(c.get(n).keys.size).toBe(0);
      expect(c.get(n).agent.status().keysInstalled).toBe(0);
    }
  });

  it('an impostor with the wrong measurement and a genuine image in another role are refused; nothing is installed for them', async () => {
    const c = (cluster = new Cluster(SPEC));
    await c.add('c');
    // "b" runs the wrong image; then the genuine image of a, launched claiming the role of b.
    const impostor = await c.add('b', { image: 'b-tampered' });
    await until(() => impostor.agent.status().edges.find((e) => e.edge === 'b->c')?.status === 'failed', 5_000, 'impostor round exhausted');
    const cFail = c.get('c').agent.status().failures;
    expect(cFail['make.measurement']).toBe(4); // every attempt of the round, refused by c
    expect(c.get('c').keys.size).toBe(0);
    expect(impostor.keys.size).toBe(0);
    await impostor.agent.stop();
    c.members.delete('b');
    const diverted = await c.add('b', { image: 'b', role: 'a' });
    await until(() => diverted.agent.status().edges.find((e) => e.edge === 'b->c')?.status === 'failed', 5_000, 'diverted round exhausted');
    expect(c.get('c').agent.status().failures['make.role']).toBe(4);
    expect(c.get('c').keys.size).toBe(0);
  });

  it('a policy update that removes a component revokes its keys at once and refuses it from then on', async () => {
    const c = (cluster = new Cluster(SPEC));
    for (const n of ['c', 'b', 'a']) await c.add(n);
    await Promise.all(['a', 'b', 'c'].map((n) => c.get(n).agent.whenAllKeyed()));
    // Version 2 drops component a (and its edges). b and c move to it; a keeps running v1.
    const v2 = CompiledPolicy.fromText(
      policyYaml({
        workflow: 'agent-test',
        version: 2,
        rekeyIntervalSeconds: 3600,
        simRoot: Buffer.from(c.world.root.publicKey).toString('hex'),
        owners: Object.fromEntries(c.world.policy.document.owners.filter((o) => o.name !== 'p1').map((o) => [o.name, o.publicKey])),
        components: c.world.policy.document.components.filter((x) => x.name !== 'a').map((x) => ({ name: x.name, owner: x.owner, measurement: x.measurements[0] as string, ...(x.address ? { address: x.address } : {}) })),
        edges: [{ from: 'b', to: 'c', protocol: 'tcp', port: 7002 }],
      }),
    ).after(c.world.policy);
    expect(v2.isRevoked('a')).toBe(true);
    for (const n of ['b', 'c']) {
      const m = c.get(n);
      m.policy = v2;
      await m.agent.applyPlan(agentPlanFrom(v2.plan(n)));
    }
    // Keys of the removed edges are gone on the remaining nodes; b->c was rekeyed under v2.
    expect(c.get('b').keys.installed().filter((s) => s.flow.edge === 'a->b')).toEqual([]);
    expect(c.get('c').keys.installed().filter((s) => s.flow.edge === 'a->c')).toEqual([]);
    await until(() => (c.get('b').agent.status().edges.find((e) => e.edge === 'b->c')?.epoch ?? 0) >= 2, 5_000, 'b->c rekeyed under v2');
    expect(edgeKeysMatch(c, 'b->c').match).toBe(true);
    // The revoked component keeps trying: bounded attempts, every one refused, nothing installed.
    const refused = (n: string): number => c.get(n).agent.metrics.total('attestflow_handshake_failures_total');
    const [b0, c0] = [refused('b'), refused('c')];
    c.get('a').agent.newEpoch();
    await until(() => refused('b') - b0 >= 4 && refused('c') - c0 >= 4, 5_000, 'four refusals each');
    // Let the backoff schedule run out; the count must stay at the bound.
    await sleep(600);
    expect(c.get('a').agent.status().edges.map((e) => e.attempts)).toEqual([4, 4]);
    expect(refused('b') - b0).toBe(4);
    expect(refused('c') - c0).toBe(4);
    // v2 does not name a: the refusal says so (before any version comparison).
    expect(c.get('b').agent.status().failures).toEqual({ 'make.unknown-component': 4 });
    expect(c.get('b').keys.installed().filter((s) => s.flow.edge === 'a->b')).toEqual([]);
    expect(c.get('c').keys.installed().filter((s) => s.flow.edge === 'a->c')).toEqual([]);
  });

  it('refuses a plan whose edges are not its own', async () => {
    const w = new SimWorld(SPEC);
    const p = agentPlanFrom(w.policy.plan('a'));
    const c = (cluster = new Cluster(SPEC));
    await expect(c.add('b', { policy: w.policy })).resolves.toBeDefined();
    await expect(c.get('b').agent.applyPlan({ ...p, component: 'b' })).rejects.toMatchObject({ code: 'agent.state' });
    await sleep(0);
  });
});

describe('secrets over MAKE sessions', () => {
  const SECRETS_SPEC: SimWorldSpec = {
    ...SPEC,
    secrets: [
      { name: 'records-key', holder: 'a', releaseTo: ['b'] },
      { name: 'report-key', holder: 'c', releaseTo: ['b'] },
    ],
  };

  it('each secret reaches exactly the components the policy names, sealed to the session, with the holder\'s value', async () => {
    const c = (cluster = new Cluster(SECRETS_SPEC));
    const recordsKey = new Uint8Array(Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex'));
    const reportKey = new Uint8Array(Buffer.from('report signing key, not a real one'));
    await c.add('c', { holds: { 'report-key': reportKey } });
    await c.add('b');
    await c.add('a', { holds: { 'records-key': recordsKey } });
    // b is the responder of a->b (holder a initiates) and the initiator of b->c (holder c answers).
    await until(() => c.get('b').received.size === 2, 5_000, 'b received both secrets');
    expect(Buffer.from(c.get('b').received.get('records-key')!).equals(Buffer.from(recordsKey))).toBe(true);
    expect(Buffer.from(c.get('b').received.get('report-key')!).equals(Buffer.from(reportKey))).toBe(true);
    expect([...c.get('b').agent.status().secrets].sort()).toEqual(['records-key', 'report-key']);
    // Nobody else gets anything: a and c are holders only, and a->c carries no secret.
    expect(c.get('a').received.size).toBe(0);
    expect(c.get('c').received.size).toBe(0);
    expect(c.get('b').agent.metrics.get('attestflow_secrets_fetched_total', { result: 'ok' })).toBe(2);
  });

  it('a request the policy does not allow is refused by the holder\'s release machine, and nothing is sent', async () => {
    const spec: SimWorldSpec = { ...SPEC, secrets: [{ name: 'only-for-c', holder: 'a', releaseTo: ['c'] }] };
    const c = (cluster = new Cluster(spec));
    await c.add('c');
    // b asks a for a secret the policy releases to c only (a misconfigured or curious b).
    await c.add('b', { fetches: [{ name: 'only-for-c', holder: 'a' }] });
    await c.add('a', { holds: { 'only-for-c': new Uint8Array([1, 2, 3]) } });
    await until(() => c.get('c').received.size === 1 && c.get('b').agent.metrics.get('attestflow_secrets_fetched_total', { result: 'refused' }) === 1, 5_000, 'c served, b refused');
    expect(c.get('b').received.size).toBe(0);
    expect(c.get('b').agent.status().secrets).toEqual([]);
    // The refusal came from a's release machine, with its reason.
    expect(c.get('b').refused.get('only-for-c')).toBe('not-allowed');
  });
});
