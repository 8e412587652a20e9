import { describe, expect, it } from 'vitest';
import { SimRoot, SimVerifier } from '../../src/attestation/sim/index.js';
import { nobleCrypto, nodeCrypto } from '../../src/crypto/index.js';
import { isAttestflowError } from '../../src/errors.js';
import type { Evidence } from '../../src/attestation/types.js';

const m = new Uint8Array(48).fill(0x11);
const role = new Uint8Array(32).fill(0x22);
const rd = new Uint8Array(64).map((_, i) => i);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return isAttestflowError(e) ? e.code : `untyped ${String(e)}`;
  }
}

describe('software TEE (sim)', () => {
  const root = SimRoot.generate();
  const tee = root.launch({ measurement: m, role });

  it('produces evidence that its root verifies, with measurement, role and report data', async () => {
    const ev = await tee.attest(rd);
    const c = await new SimVerifier([root.publicKey]).verify(ev);
    expect(c).toMatchObject({ platform: 'sim', measurement: hex(m), role: hex(role), reportData: hex(rd), debug: false, signer: root.fingerprint });
    // the noble provider verifies node-made evidence too
    expect((await new SimVerifier([root.publicKey], nobleCrypto).verify(ev)).reportData).toBe(hex(rd));
  });

  it('is refused by a verifier that was not given its root', async () => {
    const ev = await tee.attest(rd);
    const other = SimRoot.generate();
    expect(await codeOf(new SimVerifier([other.publicKey]).verify(ev))).toBe('attestation.verify.endorsement');
    expect(() => new SimVerifier([])).toThrow(/at least one trusted root/);
  });

  it('a TEE launched by another root cannot borrow this root\'s endorsement', async () => {
    const rogue = SimRoot.generate().launch({ measurement: m, role });
    const ev = await rogue.attest(rd);
    const stolen: Evidence = { ...ev, auxiliary: { endorsement: (await tee.attest(rd)).auxiliary!.endorsement! } };
    expect(await codeOf(new SimVerifier([root.publicKey]).verify(stolen))).toBe('attestation.verify.device_key');
  });

  it('detects any change to the signed report', async () => {
    const ev = await tee.attest(rd);
    const v = new SimVerifier([root.publicKey]);
    for (const at of [20, 70, 100, 150]) {
      const data = ev.data.slice();
      data[at]! ^= 1;
      expect(await codeOf(v.verify({ ...ev, data }))).toBe('attestation.verify.report_signature');
    }
    const data = ev.data.slice();
    data[0] = 0;
    expect(await codeOf(v.verify({ ...ev, data }))).toBe('attestation.parse');
    expect(await codeOf(v.verify({ ...ev, data: ev.data.subarray(0, 200) }))).toBe('attestation.parse');
    expect(await codeOf(v.verify({ ...ev, platform: 'snp' }))).toBe('attestation.parse');
    expect(await codeOf(v.verify({ platform: 'sim', data: ev.data }))).toBe('attestation.parse');
  });

  it('reports debug TEEs and fixed-seed roots are deterministic', async () => {
    const r1 = SimRoot.fromSeed(new Uint8Array(32).fill(5), nodeCrypto);
    const r2 = SimRoot.fromSeed(new Uint8Array(32).fill(5), nobleCrypto);
    expect(r1.fingerprint).toBe(r2.fingerprint);
    const dbg = r1.launch({ measurement: m, role, debug: true, deviceSeed: new Uint8Array(32).fill(6) });
    const ev = await dbg.attest(rd);
    expect((await new SimVerifier([r2.publicKey]).verify(ev)).debug).toBe(true);
    const again = await r2.launch({ measurement: m, role, debug: true, deviceSeed: new Uint8Array(32).fill(6) }).attest(rd);
    expect(hex(again.data)).toBe(hex(ev.data));
  });

  it('refuses bad launch configuration and report data', async () => {
    expect(() => root.launch({ measurement: new Uint8Array(47), role })).toThrow(/48 bytes/);
    expect(() => root.launch({ measurement: m, role: new Uint8Array(33) })).toThrow(/32 bytes/);
    expect(await codeOf(tee.attest(new Uint8Array(63)))).toBe('attestation.input');
  });

  it('remembers a verified endorsement but still checks every report signature and every new endorsement', async () => {
    const v = new SimVerifier([root.publicKey]);
    const ev = await tee.attest(rd);
    expect((await v.verify(ev)).signer).toBe(root.fingerprint);
    // Same endorsement (now remembered), a report with one flipped report-data bit: refused.
    const bad = ev.data.slice();
    bad[100] = (bad[100] as number) ^ 1;
    expect(await codeOf(v.verify({ ...ev, data: bad }))).toBe('attestation.verify.report_signature');
    // A fresh report from the same TEE still verifies, with its own report data.
    const rd2 = rd.map((b) => b ^ 0xff);
    expect((await v.verify(await tee.attest(rd2))).reportData).toBe(hex(rd2));
    // A tampered endorsement is not a cache hit: verified afresh and refused.
    const end = (ev.auxiliary?.endorsement as Uint8Array).slice();
    end[40] = (end[40] as number) ^ 1;
    expect(await codeOf(v.verify({ ...ev, auxiliary: { endorsement: end } }))).toBe('attestation.verify.endorsement');
    // Another root's TEE, seen after this one's endorsement was remembered: still refused.
    const foreign = await SimRoot.generate().launch({ measurement: m, role }).attest(rd);
    expect(await codeOf(v.verify(foreign))).toBe('attestation.verify.endorsement');
  });
});
