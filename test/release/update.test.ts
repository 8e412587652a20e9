import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { isAttestflowError } from '../../src/errors.js';
import type { CompiledPolicy } from '../../src/policy/compile.js';
import { PolicyStore, signApproval, type Approval } from '../../src/policy/update.js';
import { ReleaseController, type ReleasePort } from '../../src/release/controller.js';
import type { EndReason } from '../../src/release/machine.js';
import { approve, demoVersion, handshake, launch, ownerSeed } from './world.js';

const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (isAttestflowError(e)) return e.code;
    throw e;
  }
  return 'no error';
};

class Port implements ReleasePort {
  readonly log: string[] = [];
  readonly keys = new Set<string>();
  sendSecret(session: string, secret: string) {
    this.log.push(`send ${secret} ${session}`);
  }
  installKey(session: string, edge: string, epoch: number) {
    this.keys.add(`${edge}#${epoch}@${session}`);
  }
  removeKey(session: string, edge: string, epoch: number) {
    this.keys.delete(`${edge}#${epoch}@${session}`);
    this.log.push(`remove ${edge} ${session}`);
  }
  revokeSecret(session: string, secret: string) {
    this.log.push(`revoke ${secret} ${session}`);
  }
  endSession(session: string, reason: EndReason) {
    this.log.push(`end ${session} ${reason}`);
  }
}

describe('policy updates: approvals', () => {
  const v1 = demoVersion(1);

  it('activates only with every approval the policy requires', () => {
    expect(code(() => new PolicyStore().activate(v1, approve(v1, ['hospital', 'lab'])))).toBe('policy.approval');
    const store = new PolicyStore();
    const a = store.activate(v1, approve(v1));
    expect(a.approvers).toEqual(['auditor', 'hospital', 'lab']);
    expect(store.current?.digestHex).toBe(v1.digestHex);
  });

  it('signatures over another digest, by an unknown owner, twice by one owner, or malformed do not count', () => {
    const v2 = demoVersion(2);
    const forged: Approval[] = [
      signApproval('hospital', ownerSeed('hospital'), v2), // other digest
      signApproval('mallory', ownerSeed('mallory'), v1), // not an owner
      signApproval('lab', ownerSeed('lab'), v1),
      signApproval('lab', ownerSeed('lab'), v1), // duplicate
      { owner: 'auditor', signature: 'zz' }, // malformed
      { owner: 'auditor', signature: 'ab'.repeat(64) }, // not a signature
      signApproval('auditor', ownerSeed('hospital'), v1), // right name, wrong key
    ];
    expect(code(() => new PolicyStore().activate(v1, forged))).toBe('policy.approval');
  });

  it('an update also needs the approvals of the rule in force (owner keys cannot be swapped unilaterally)', () => {
    const store = new PolicyStore();
    store.activate(v1, approve(v1));
    // v2 replaces the auditor's key with mallory's and lets the hospital approve alone.
    const mallorySeed = ownerSeed('mallory');
    const v2 = demoVersion(2, (t) =>
      t
        .replace('eaa10be669547e1132afae5e48f2e7a18fa261cf2c0713a2a2416413b6c495fe', Buffer.from(launchKey(mallorySeed)).toString('hex'))
        .replace('owners: [hospital, lab, auditor]', 'owners: [hospital, lab, auditor]\n  threshold: 1'),
    );
    const byNewRule = [signApproval('auditor', mallorySeed, v2)];
    expect(code(() => store.activate(v2, byNewRule))).toBe('policy.approval');
    expect(store.current?.version).toBe(1);
    // With the real owners' approvals (under v1's keys) it activates.
    expect(store.activate(v2, [...byNewRule, ...approve(v2, ['hospital', 'lab', 'auditor'])]).policy.version).toBe(2);
  });

  it('rollback protection: a version lower than or equal to the one in force is refused, nothing changes', () => {
    const store = new PolicyStore();
    store.activate(demoVersion(3), approve(demoVersion(3)));
    for (const v of [1, 2, 3]) {
      const p = demoVersion(v, (t) => t.replace('rekeyIntervalSeconds: 60', 'rekeyIntervalSeconds: 61'));
      expect(code(() => store.activate(p, approve(p)))).toBe('policy.rollback');
    }
    expect(store.current?.version).toBe(3);
    expect(code(() => store.activate(demoVersion(4, (t) => t.replace('name: clinical-pipeline', 'name: other')), []))).toBe('policy.workflow');
  });
});

const launchKey = (seed: Uint8Array) => ed25519.getPublicKey(seed);

describe('policy updates: revocation', () => {
  const v1 = demoVersion(1);
  const tees = { ingest: launch('ingest', 'ingest'), analyze: launch('analyze', 'analyze'), report: launch('report', 'report') };
  const secrets = { 'records-key': new Uint8Array([1, 2, 3]) };

  /** ingest with live sessions to analyze and report, keys installed, the record key released. */
  async function running() {
    const store = new PolicyStore();
    store.activate(v1, approve(v1));
    const port = new Port();
    const ctl = new ReleaseController({ policy: v1, component: 'ingest', secrets, port });
    const a = await handshake('ingest', tees.ingest, v1, 'analyze', tees.analyze, v1);
    const r = await handshake('ingest', tees.ingest, v1, 'report', tees.report, v1);
    await ctl.sessionEstablished({ id: a.session, peer: 'analyze', claims: a.claimsOfResponder! });
    await ctl.sessionEstablished({ id: r.session, peer: 'report', claims: r.claimsOfResponder! });
    await ctl.installKeys(a.session, a.initiatorKeys!);
    await ctl.installKeys(r.session, r.initiatorKeys!);
    await ctl.requestSecret(a.session, 'records-key');
    expect(port.keys.size).toBe(2);
    return { store, port, ctl, a, r };
  }

  const activate = async (w: Awaited<ReturnType<typeof running>>, next: CompiledPolicy) => {
    const act = w.store.activate(next, approve(next));
    return { act, effects: await w.ctl.policyActivated(act) };
  };

  it('a removed component: its sessions end, its keys are removed, no new key is issued to it', async () => {
    const w = await running();
    const v2 = demoVersion(2, (t) =>
      t
        .replace(/ {2}- name: report\n(.*\n){4}.*10\.77\.0\.3\n/, '')
        .replace(/ {2}- \{ from: analyze, to: report.*\n/, '')
        .replace(/ {2}- \{ from: ingest, to: report.*\n/, '')
        .replace(/ {2}# The auditor's report-signing key[^]*$/, ''),
    );
    expect(v2.components).toEqual(['analyze', 'ingest']);
    const { act, effects } = await activate(w, v2);
    expect(act.revoked).toEqual([{ component: 'report', refs: '*' }]);
    expect(effects.map((e) => e.type)).toEqual(['remove-key', 'end-session', 'policy-activated']);
    expect([...w.port.keys]).toEqual([`ingest->analyze#0@${w.a.session}`]);
    expect(w.port.log).toContain(`end ${w.r.session} revoked`);
    // No new key: MAKE under v2 refuses the removed component, and release refuses a session from it.
    const again = await handshake('ingest', tees.ingest, v2, 'report', tees.report, v2);
    expect(again).toMatchObject({ ok: false, failure: 'make.unknown-component' });
    const eff = await w.ctl.sessionEstablished({ id: 'late', peer: 'report', claims: w.r.claimsOfResponder! });
    expect(eff[0]).toMatchObject({ type: 'refuse', reason: 'revoked' });
    expect((await w.ctl.installKeys('late', { edge: 'ingest->report', epoch: 1 }))[0]).toMatchObject({ type: 'refuse' });
    expect(w.port.keys.size).toBe(1);
    expect(act.policy.isRevoked('report')).toBe(true);
    expect(v2.isRevoked('report')).toBe(false); // the bare v2 knows nothing of v1; activation carries it
  });

  it('changed reference values: sessions end, keys and secrets are revoked, the old image gets nothing, the new one does', async () => {
    const w = await running();
    const newImage = Buffer.from((await import('./world.js')).imageOf('analyze v2')).toString('hex');
    const v2 = demoVersion(2, (t) => t.replace('f67f2cbd68e410eb43198fa2e366319307d45767acfb889f2e28b065696f64bee51edc3443a4135a42058bd663dbfea1', newImage));
    const { act, effects } = await activate(w, v2);
    expect(act.revoked.map((r) => r.component)).toEqual(['analyze']);
    expect(effects.map((e) => e.type)).toEqual(['remove-key', 'revoke-secret', 'end-session', 'policy-activated']);
    expect(w.port.log).toEqual([`send records-key ${w.a.session}`, `remove ingest->analyze ${w.a.session}`, `revoke records-key ${w.a.session}`, `end ${w.a.session} revoked`]);
    expect([...w.port.keys]).toEqual([`ingest->report#0@${w.r.session}`]); // report untouched
    // The old image: MAKE under v2 fails on its measurement; the compiled policy calls it revoked.
    const old = await handshake('ingest', tees.ingest, v2, 'analyze', tees.analyze, v2);
    expect(old).toMatchObject({ ok: false, failure: 'make.measurement' });
    expect(act.policy.isRevoked('analyze', w.a.claimsOfResponder!)).toBe(true);
    // Even if a session with the old claims reached release, nothing would be issued.
    const eff = await w.ctl.sessionEstablished({ id: 'old', peer: 'analyze', claims: w.a.claimsOfResponder! });
    expect(eff.map((e) => e.type)).toEqual(['refuse', 'end-session']);
    // The new image is keyed and gets the secret.
    const fresh = launch('analyze v2', 'analyze');
    const n = await handshake('ingest', tees.ingest, v2, 'analyze', fresh, v2);
    expect(n.ok).toBe(true);
    expect(act.policy.isRevoked('analyze', n.claimsOfResponder!)).toBe(false);
    await w.ctl.sessionEstablished({ id: n.session, peer: 'analyze', claims: n.claimsOfResponder! });
    expect((await w.ctl.installKeys(n.session, n.initiatorKeys!))[0]).toMatchObject({ type: 'install-key' });
    expect((await w.ctl.requestSecret(n.session, 'records-key'))[0]).toMatchObject({ type: 'release-secret' });
  });

  it('a peer still on the old version cannot key with a node on the new one (policy digest and version)', async () => {
    const v2 = demoVersion(2, (t) => t.replace('rekeyIntervalSeconds: 60', 'rekeyIntervalSeconds: 120'));
    const hs = await handshake('ingest', tees.ingest, v1, 'analyze', tees.analyze, v2);
    expect(hs.ok).toBe(false);
    expect(['make.policy-downgrade', 'make.policy-digest']).toContain(hs.failure);
  });
});
