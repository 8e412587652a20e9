import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Claims } from '../../src/attestation/types.js';
import { isAttestflowError } from '../../src/errors.js';
import { CompiledPolicy, referenceValuesId, revocationsBetween } from '../../src/policy/compile.js';
import { PolicyError } from '../../src/policy/errors.js';
import { roleFromName } from '../../src/policy/role.js';
import { repoRoot } from '../util/env.js';

const demoText = readFileSync(join(repoRoot, 'examples', 'demo.yaml'), 'utf8');
const demo = CompiledPolicy.fromText(demoText, 'demo.yaml');

describe('role derivation', () => {
  it('is SHA-256/384/512 of the labelled name, by field length (independent computation)', () => {
    const h = (alg: string) => createHash(alg).update('attestflow/role/v1\0analyze').digest('hex');
    expect(roleFromName('sim', 'analyze')).toBe(h('sha256'));
    expect(roleFromName('snp', 'analyze')).toBe(h('sha256'));
    expect(roleFromName('tdx', 'analyze')).toBe(h('sha384'));
    expect(roleFromName('cca', 'analyze')).toBe(h('sha512'));
    expect(roleFromName('sim', 'analyze')).not.toBe(roleFromName('sim', 'report'));
  });
});

describe('compiled policy as MAKE HandshakePolicy', () => {
  it('digest, version, reference values, edges', () => {
    expect(demo.digest).toHaveLength(32);
    expect(Buffer.from(demo.digest).toString('hex')).toBe(demo.digestHex);
    expect(demo.version).toBe(1);
    expect(demo.referenceValues('analyze')).toEqual({
      platform: 'sim',
      measurements: [createHash('sha384').update('attestflow demo image analyze').digest('hex')],
      role: roleFromName('sim', 'analyze'),
      allowDebug: false,
    });
    expect(demo.referenceValues('mallory')).toBeUndefined();
    expect(demo.allowsEdge('ingest', 'analyze')).toBe(true);
    expect(demo.allowsEdge('analyze', 'ingest')).toBe(false); // directed
    expect(demo.allowsEdge('report', 'ingest')).toBe(false);
    expect(demo.isRevoked('analyze')).toBe(false);
    expect(demo.simRootKeys().map((k) => Buffer.from(k).toString('hex'))).toEqual(['e9c819fd77600fed48035b915c01f7d218394cb0cc113ded4f12e489f27e3af9']);
  });

  it('invalid text throws a PolicyError listing every problem', () => {
    try {
      CompiledPolicy.fromText(demoText.replace('port: 7001', 'port: 0').replace('protocol: udp', 'protocol: icmp'), 'x.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PolicyError);
      expect((e as PolicyError).code).toBe('policy.invalid');
      expect((e as PolicyError).problems.map((p) => p.code).sort()).toEqual(['bad-value', 'out-of-range']);
      expect((e as Error).message).toMatch(/x\.yaml:\d+:\d+: error \[out-of-range\]/);
    }
  });
});

describe('per-component plans', () => {
  it('ingest dials analyze and report, holds the record key', () => {
    const p = demo.plan('ingest');
    expect(p.connect.map((e) => `${e.id} ${e.protocol}/${e.port}`)).toEqual(['ingest->analyze tcp/7001', 'ingest->report udp/7003']);
    expect(p.accept).toEqual([]);
    expect(p.peers).toEqual(['analyze', 'report']);
    expect(p.holds).toEqual([{ name: 'records-key', releaseTo: ['analyze'] }]);
    expect(p.fetches).toEqual([]);
    expect(p.connect[0]!.flow).toEqual({ edge: 'ingest->analyze', srcAddr: '10.77.0.1', dstAddr: '10.77.0.2', protocol: 'tcp', dstPort: 7001 });
    expect(p.role).toBe(roleFromName('sim', 'ingest'));
    expect(p.digest).toBe(demo.digestHex);
    expect(p.release).toEqual({
      version: 1,
      secrets: [{ name: 'records-key', allowed: ['analyze'] }],
      edges: [
        { id: 'ingest->analyze', peer: 'analyze' },
        { id: 'ingest->report', peer: 'report' },
      ],
    });
  });

  it('analyze accepts from ingest, dials report, fetches both secrets', () => {
    const p = demo.plan('analyze');
    expect(p.accept.map((e) => [e.id, e.peer, e.initiator])).toEqual([['ingest->analyze', 'ingest', false]]);
    expect(p.connect.map((e) => e.id)).toEqual(['analyze->report']);
    expect(p.fetches).toEqual([
      { name: 'records-key', holder: 'ingest' },
      { name: 'report-signing-key', holder: 'report' },
    ]);
    expect(p.holds).toEqual([]);
  });

  it('every edge appears in exactly the two plans of its ends, once as initiator', () => {
    const all = demo.components.flatMap((c) => demo.plan(c).edges.map((e) => [e.id, e.initiator] as const));
    for (const e of demo.edges) {
      expect(all.filter(([id]) => id === e.id).map(([, i]) => i).sort()).toEqual([false, true]);
    }
  });

  it('an unknown component has no plan (typed error)', () => {
    let err: unknown;
    try {
      demo.plan('mallory');
    } catch (e) {
      err = e;
    }
    expect(isAttestflowError(err, 'policy.unknown-component')).toBe(true);
  });
});

describe('revocations between versions', () => {
  const claims = (measurement: string, role = roleFromName('sim', 'analyze')): Claims => ({ platform: 'sim', measurement, role, reportData: '00'.repeat(64), debug: false });
  const oldM = createHash('sha384').update('attestflow demo image analyze').digest('hex');
  const newM = 'ab'.repeat(48);
  const v2 = CompiledPolicy.fromText(demoText.replace('version: 1', 'version: 2').replace(oldM, newM), 'v2.yaml').after(demo);

  it('changed reference values revoke the old values only', () => {
    expect(revocationsBetween(demo.document, v2.document)).toEqual([{ component: 'analyze', refs: referenceValuesId(demo.referenceValues('analyze')!), values: demo.referenceValues('analyze') }]);
    expect(v2.isRevoked('analyze')).toBe(false);
    expect(v2.isRevoked('analyze', claims(oldM))).toBe(true);
    expect(v2.isRevoked('analyze', claims(newM))).toBe(false);
    expect(v2.referenceValuesId('analyze')).not.toBe(demo.referenceValuesId('analyze'));
  });

  it('revocations carry forward across later versions', () => {
    const v3 = CompiledPolicy.fromText(demoText.replace('version: 1', 'version: 3').replace(oldM, newM).replace('port: 7002', 'port: 7012'), 'v3.yaml').after(v2);
    expect(v3.isRevoked('analyze', claims(oldM))).toBe(true);
    // A revoked set stays revoked even if a later version lists exactly it again ...
    const v4 = CompiledPolicy.fromText(demoText.replace('version: 1', 'version: 4'), 'v4.yaml').after(v3);
    expect(v4.isRevoked('analyze', claims(oldM))).toBe(true);
    expect(v4.isRevoked('analyze', claims(newM))).toBe(true);
    // ... but values that still admit a peer (a measurement added beside it) do not revoke it.
    const v5 = CompiledPolicy.fromText(demoText.replace('version: 1', 'version: 5').replace(`[${oldM}]`, `[${oldM}, ${newM}]`), 'v5.yaml').after(v3);
    expect(v5.isRevoked('analyze', claims(newM))).toBe(false);
  });
});

describe('hardware example policy against the real evidence corpus', () => {
  it('its reference values are the fields of real SNP, TDX and CCA evidence', async () => {
    const { vectorsDir } = await import('../util/env.js');
    const expected = JSON.parse(readFileSync(join(vectorsDir, 'expected.json'), 'utf8')) as { id: string; fields: Record<string, string> }[];
    const f = (id: string) => expected.find((e) => e.id === id)!.fields;
    const hw = CompiledPolicy.fromText(readFileSync(join(repoRoot, 'examples', 'hardware.yaml'), 'utf8'), 'hardware.yaml');
    const snp = f('snp-gosevguest-milan-v2');
    expect(hw.referenceValues('transactions')).toMatchObject({ platform: 'snp', measurements: [snp.measurement], role: snp.host_data, minTcb: snp.reported_tcb });
    const tdx = f('tdx-gotdx-spr-e4-v4');
    expect(hw.referenceValues('scoring')).toMatchObject({ platform: 'tdx', measurements: [tdx.mrtd], role: tdx.mrconfigid, minTcb: tdx.tee_tcb_svn });
    const cca = f('cca-veraison-tfrmm');
    expect(hw.referenceValues('ledger')).toMatchObject({ platform: 'cca', measurements: [cca.rim], role: cca.realm_personalization_value });
    expect(hw.document.approval).toEqual({ owners: ['bank', 'cloud', 'insurer'], threshold: 2 });
    expect(hw.simRootKeys()).toEqual([]);
  });
});
