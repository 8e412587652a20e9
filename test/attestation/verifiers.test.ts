import { describe, expect, it } from 'vitest';
import { appraise, AppraisalError, tcbAtLeast } from '../../src/attestation/appraise.js';
import { CcaVerifier } from '../../src/attestation/cca/verify.js';
import { EvidenceVerifyError, VerifierInputError } from '../../src/attestation/common/errors.js';
import { decodeEvidenceFile } from '../../src/attestation/evidence/decode.js';
import { readCollateralDir, verifyEvidence } from '../../src/attestation/evidence/verify.js';
import { PINNED_ROOTS } from '../../src/attestation/roots.js';
import { SnpVerifier } from '../../src/attestation/snp/verify.js';
import { checkTdx, tdxClaims, TdxVerifier } from '../../src/attestation/tdx/verify.js';
import type { Claims, Evidence, ReferenceValues } from '../../src/attestation/types.js';
import { fingerprint256, parseCertificate } from '../../src/attestation/common/x509.js';
import { corpus, inputOf, vec, vecPath, type CorpusEntry } from './corpus.js';

const entry = (id: string): CorpusEntry => corpus.find((e) => e.id === id)!;
const at = (e: CorpusEntry) => ({ now: new Date(e.now) });

function snpEvidence(e: CorpusEntry): Evidence {
  return { platform: 'snp', data: decodeEvidenceFile(vec(e.path), 'auto'), auxiliary: { [e.files['vcek'] ? 'vcek' : 'vlek']: vec(e.files['vcek'] ?? e.files['vlek']!), chain: vec(e.files['ask_ark_chain']!) } };
}

describe('pinned roots', () => {
  it('the fingerprints in roots.ts are those of the vendor roots in the corpus', () => {
    expect(fingerprint256(parseCertificate(vec('snp/virtee-sev/milan_ark.pem')))).toBe(PINNED_ROOTS['amd-ark-milan']);
    expect(fingerprint256(parseCertificate(vec('snp/virtee-sev/genoa_ark.pem')))).toBe(PINNED_ROOTS['amd-ark-genoa']);
    expect(fingerprint256(parseCertificate(vec('snp/virtee-sev/turin_ark.pem')))).toBe(PINNED_ROOTS['amd-ark-turin']);
    expect(fingerprint256(parseCertificate(vec('tdx/go-tdx-guest/trusted_root.pem')))).toBe(PINNED_ROOTS['intel-sgx-root-ca']);
  });

  it('the Intel QVL test root is not pinned: the synthetic quote fails without an explicit --root', () => {
    const e = entry('tdx-qvl-synthetic');
    const r = checkTdx({ quote: vec(e.path), at: new Date(e.now) });
    expect(r.failingChecks).toEqual(['root_matches_pinned']);
  });
});

describe('certificate validity at the given time', () => {
  it('a Turin VCEK before its notBefore (2026-06-28) fails the key certificate check only', async () => {
    const e = entry('snp-openanolis-turin-v5');
    const r = verifyEvidence({ ...inputOf(e), at: new Date('2026-01-01T00:00:00Z') });
    expect(r.failingChecks).toEqual(['key_cert_signed_by_ask']);
    expect(r.reasons['key_cert_signed_by_ask']).toMatch(/not valid at 2026-01-01/);
    await expect(new SnpVerifier().verify(snpEvidence(e), { now: new Date('2026-01-01T00:00:00Z') })).rejects.toMatchObject({ code: 'attestation.verify.key_cert_signed_by_ask' });
  });

  it('TCB Signing certificate expired (2025-05-21): collateral signer check fails after it', () => {
    const e = entry('tdxcol-gotdx-tcbinfo-50806f');
    const r = verifyEvidence({ ...inputOf(e), at: new Date('2025-06-01T00:00:00Z') });
    expect(r.failingChecks).toEqual(['signer_issued_by_pinned_root']);
  });

  it('a PCK chain checked before the PCK leaf was issued fails pck_chain_signatures', () => {
    const e = entry('tdx-gotdx-v5-sample');
    const r = verifyEvidence({ ...inputOf(e), at: new Date('2025-01-01T00:00:00Z') });
    expect(r.failingChecks).toEqual(['pck_chain_signatures']);
  });
});

describe('Verifier interface on real evidence', () => {
  it('SNP: claims from a Genoa HCL report (role = HOST_DATA, signer = ARK fingerprint)', async () => {
    const e = entry('snp-azure-genoa-v3-hcl-json');
    const c = await new SnpVerifier().verify(snpEvidence(e), at(e));
    expect(c).toMatchObject({ platform: 'snp', measurement: e.fields!['measurement'], role: e.fields!['host_data'], reportData: e.fields!['report_data'], tcb: e.fields!['reported_tcb'], signer: PINNED_ROOTS['amd-ark-genoa'], debug: false });
  });

  it('SNP: Turin claims carry the Turin TCB layout', async () => {
    const e = entry('snp-openanolis-turin-v5');
    const c = await new SnpVerifier().verify(snpEvidence(e), at(e));
    expect(c.extra?.['tcbLayout']).toBe('turin');
    expect(c.signer).toBe(PINNED_ROOTS['amd-ark-turin']);
  });

  it('SNP: a tampered report is a typed error naming report_signature', async () => {
    const e = entry('snp-mut-measurement-bitflip');
    const err = await new SnpVerifier().verify(snpEvidence(e), at(e)).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(EvidenceVerifyError);
    expect((err as EvidenceVerifyError).code).toBe('attestation.verify.report_signature');
  });

  it('SNP: without certificates the verifier refuses with a typed input error', async () => {
    const e = entry('snp-gosevguest-milan-v2');
    await expect(new SnpVerifier().verify({ platform: 'snp', data: vec(e.path) })).rejects.toBeInstanceOf(VerifierInputError);
  });

  it('TDX: claims (measurement = MRTD, role = MRCONFIGID) and the DEBUG bit', async () => {
    const e = entry('tdx-coco-quote4-debug');
    const c = await new TdxVerifier().verify({ platform: 'tdx', data: vec(e.path) }, at(e));
    expect(c).toMatchObject({ measurement: e.fields!['mrtd'], role: e.fields!['mrconfigid'], reportData: e.fields!['reportdata'], tcb: e.fields!['tee_tcb_svn'], debug: true, signer: PINNED_ROOTS['intel-sgx-root-ca'] });
    const ok = entry('tdx-gotdx-spr-e4-v4');
    expect((await new TdxVerifier().verify({ platform: 'tdx', data: vec(ok.path) }, at(ok))).debug).toBe(false);
  });

  it('TDX: a wrong platform is refused', async () => {
    await expect(new TdxVerifier().verify({ platform: 'snp', data: new Uint8Array(4) })).rejects.toBeInstanceOf(VerifierInputError);
  });

  it('CCA: claims (measurement = RIM, role = personalization value, signer = CPAK)', async () => {
    const e = entry('cca-tfm-example-2.0-cmw');
    const c = await new CcaVerifier(vec(e.files['cpak']!)).verify({ platform: 'cca', data: vec(e.path) });
    expect(c).toMatchObject({ measurement: e.fields!['rim'], role: e.fields!['realm_personalization_value'], reportData: e.fields!['realm_challenge'], debug: false });
    expect(c.signer).toMatch(/^[0-9a-f]{64}$/);
  });

  it('CCA: a wrong CPAK is a typed error naming platform_signature', async () => {
    const e = entry('cca-neg-wrong-cpak');
    await expect(new CcaVerifier(vec(e.files['cpak']!)).verify({ platform: 'cca', data: vec(e.path) })).rejects.toMatchObject({ code: 'attestation.verify.platform_signature' });
  });
});

describe('TDX with collateral: TCB Info and QE Identity verified, TCB status computed', () => {
  // Quote and collateral whose certificates share a validity window (the corpus `now` of the quote).
  const goChain = 'tdx/go-tdx-guest/tcb_info_issuer_chain.pem';
  const cases: [string, string, string, string | null][] = [
    ['tdx-coco-quote4-debug', 'tdx/go-tdx-guest/sample_tcbInfo_response', 'tdx/go-tdx-guest/sample_qeIdentity_response', 'string'],
    ['tdx-coco-quote6', 'tdx/coco-trustee/tcbInfo.json', 'tdx/coco-trustee/enclaveIdentity.json', 'string'],
    // SPR_E4's PCK SGX components (3,3,2,...) are below every level of this TCB Info (5,5,2,...):
    // the collateral verifies, yet no TCB level matches, so the platform has no status.
    ['tdx-gotdx-spr-e4-v4', 'tdx/go-tdx-guest/sample_tcbInfo_response', 'tdx/go-tdx-guest/sample_qeIdentity_response', null],
  ];
  it.each(cases)('%s with %s', (id, tcbInfo, qeIdentity, status) => {
    const e = entry(id);
    const collateral = { tcbInfo: vec(tcbInfo), qeIdentity: vec(qeIdentity), chain: vec(goChain) };
    const r = checkTdx({ quote: vec(e.path), at: new Date(e.now), collateral });
    expect(r.checks['collateral_tcb_info_signature']).toBe(true);
    expect(r.checks['collateral_qe_identity_signature']).toBe(true);
    expect(r.checks['collateral_tcb_info_fmspc']).toBe(true);
    expect(r.checks['collateral_qe_identity_match']).toBe(true);
    expect(r.checks['collateral_qe_tcb_level']).toBe(true);
    expect(typeof r.fields!['qe_tcb_status']).toBe('string');
    if (status === null) {
      expect(r.fields!['tcb_status']).toBeNull();
      expect(r.failingChecks).toEqual(['collateral_tcb_level']);
    } else {
      expect(typeof r.fields!['tcb_status']).toBe('string');
      expect(r.verdict).toBe('valid');
    }
  });

  it('TDX module: identity TDX_03 gives quote 6 its module status; a different MRSIGNERSEAM is refused', () => {
    const e = entry('tdx-coco-quote6');
    const collateral = { tcbInfo: vec('tdx/coco-trustee/tcbInfo.json'), qeIdentity: vec('tdx/coco-trustee/enclaveIdentity.json'), chain: vec(goChain) };
    const r = checkTdx({ quote: vec(e.path), at: new Date(e.now), collateral });
    expect(r.checks['collateral_tdx_module']).toBe(true);
    expect(r.fields!['tdx_module_tcb_status']).toBe('UpToDate');
    const q = Uint8Array.from(vec(e.path));
    q[48 + 64] = q[48 + 64]! ^ 1; // MRSIGNERSEAM (body +64 in a v4 quote)
    const bad = checkTdx({ quote: q, at: new Date(e.now), collateral });
    expect(bad.checks['collateral_tdx_module']).toBe(false);
    expect(bad.checks['quote_signature']).toBe(false);
  });

  it('the collateral directory reader finds TCB Info, QE Identity and chain', () => {
    const c = readCollateralDir(vecPath('tdx/go-tdx-guest'));
    const fmspcs = (c.tcbInfo as Uint8Array[]).map((b) => JSON.parse(Buffer.from(b).toString()).tcbInfo.fmspc.toLowerCase()).sort();
    expect(fmspcs).toEqual(['50806f000000', '90c06f000000']);
    // With both present, the quote's FMSPC selects its TCB Info.
    for (const id of ['tdx-coco-quote4-debug', 'tdx-coco-quote5-v5']) {
      const e = entry(id);
      const r = checkTdx({ quote: vec(e.path), at: new Date(e.now) < new Date('2025-05-21') ? new Date(e.now) : new Date('2025-03-01'), collateral: c });
      expect(r.checks['collateral_tcb_info_fmspc']).toBe(true);
    }
    expect(() => readCollateralDir(vecPath('cca/tf-m-tools'))).toThrow(VerifierInputError);
  });

  it('synthetic quote with synthetic collateral under the test root', () => {
    const e = entry('tdx-qvl-synthetic');
    const dir = 'tdx/teekit-qvl/tdx-qvl-synthetic';
    const collateral = { tcbInfo: vec(`${dir}/tcbInfo.json`), qeIdentity: vec(`${dir}/qeIdentity.json`), chain: vec(`${dir}/tcbSignChain.pem`) };
    const r = checkTdx({ quote: vec(e.path), at: new Date(e.now), root: vec(`${dir}/trustedRootCaCert.pem`), collateral });
    expect(r.checks['collateral_tcb_info_signature']).toBe(true);
    expect(r.checks['collateral_tcb_info_fmspc']).toBe(true);
    expect(r.checks['collateral_qe_identity_signature']).toBe(true);
  });

  it('TCB Info for another FMSPC is refused', () => {
    const e = entry('tdx-gotdx-spr-e4-v4');
    const collateral = { tcbInfo: vec('tdx/coco-trustee/tcbInfo.json'), qeIdentity: vec('tdx/go-tdx-guest/sample_qeIdentity_response'), chain: vec('tdx/go-tdx-guest/tcb_info_issuer_chain.pem') };
    const r = checkTdx({ quote: vec(e.path), at: new Date(e.now), collateral });
    expect(r.checks['collateral_tcb_info_fmspc']).toBe(false);
    expect(r.verdict).toBe('invalid');
  });

  it('tampered TCB Info is refused', () => {
    const e = entry('tdx-gotdx-spr-e4-v4');
    const collateral = { tcbInfo: vec('tdx/mutated/sample_tcbInfo_response-evalnum-changed.json'), qeIdentity: vec('tdx/go-tdx-guest/sample_qeIdentity_response'), chain: vec('tdx/go-tdx-guest/tcb_info_issuer_chain.pem') };
    const r = checkTdx({ quote: vec(e.path), at: new Date(e.now), collateral });
    expect(r.failingChecks).toContain('collateral_tcb_info_signature');
  });

  it('the TCB status reaches the claims and the appraisal', () => {
    const e = entry('tdx-coco-quote4-debug');
    const collateral = readCollateralDir(vecPath('tdx/go-tdx-guest'));
    const r = checkTdx({ quote: vec(e.path), at: new Date(e.now), collateral });
    const c = tdxClaims(r);
    const status = String(c.extra?.['tcbStatus']);
    expect(['UpToDate', 'SWHardeningNeeded', 'ConfigurationNeeded', 'ConfigurationAndSWHardeningNeeded', 'OutOfDate', 'OutOfDateConfigurationNeeded']).toContain(status);
    expect(() => appraise(c, { platform: 'tdx', measurements: [c.measurement], role: c.role, allowDebug: true }, c.reportData)).not.toThrow();
    const ref0: ReferenceValues = { platform: 'tdx', measurements: [c.measurement], role: c.role, allowDebug: true, acceptedTcbStatuses: ['UpToDate'] };
    const noCollateral = tdxClaims(checkTdx({ quote: vec(e.path), at: new Date(e.now) }));
    expect(() => appraise(noCollateral, ref0, c.reportData)).toThrow(/no collateral/);
    const ref: ReferenceValues = { platform: 'tdx', measurements: [c.measurement], role: c.role, allowDebug: true, acceptedTcbStatuses: [status] };
    expect(appraise(c, ref, c.reportData)).toBe(c);
    expect(() => appraise(c, { ...ref, acceptedTcbStatuses: ['NoSuchStatus'] }, c.reportData)).toThrow(AppraisalError);
  });
});

describe('appraisal against reference values', () => {
  let snp: Claims;
  const e = entry('snp-gcp-milan-v5');
  const refOf = (c: Claims): ReferenceValues => ({ platform: 'snp', measurements: ['00'.repeat(48), c.measurement], role: c.role, minTcb: c.tcb!, signingKeys: [PINNED_ROOTS['amd-ark-milan']] });
  const claimOf = (f: () => unknown): string => {
    try {
      f();
    } catch (x) {
      if (x instanceof AppraisalError) return x.claim;
      throw x;
    }
    return 'accepted';
  };

  it('accepts matching claims and names each failing claim', async () => {
    snp = await new SnpVerifier().verify(snpEvidence(e), at(e));
    const ref = refOf(snp);
    expect(claimOf(() => appraise(snp, ref, snp.reportData))).toBe('accepted');
    expect(claimOf(() => appraise(snp, ref, Buffer.from(snp.reportData, 'hex')))).toBe('accepted');
    expect(claimOf(() => appraise(snp, ref, 'ff'.repeat(64)))).toBe('reportData');
    expect(claimOf(() => appraise(snp, ref, 'ff'.repeat(32)))).toBe('reportData');
    expect(claimOf(() => appraise(snp, { ...ref, platform: 'tdx' }, snp.reportData))).toBe('platform');
    expect(claimOf(() => appraise(snp, { ...ref, measurements: ['11'.repeat(48)] }, snp.reportData))).toBe('measurement');
    expect(claimOf(() => appraise(snp, { ...ref, role: '01'.repeat(32) }, snp.reportData))).toBe('role');
    expect(claimOf(() => appraise(snp, { ...ref, signingKeys: [PINNED_ROOTS['amd-ark-genoa']] }, snp.reportData))).toBe('signer');
    expect(claimOf(() => appraise({ ...snp, debug: true }, ref, snp.reportData))).toBe('debug');
    expect(claimOf(() => appraise({ ...snp, debug: true }, { ...ref, allowDebug: true }, snp.reportData))).toBe('accepted');
  });

  it('minimum TCB is compared per component, not as one integer', async () => {
    snp = await new SnpVerifier().verify(snpEvidence(e), at(e));
    // reported_tcb de1b000000000004: ucode 0xde, snp 0x1b, tee 0, bl 4 (Milan layout).
    expect(snp.tcb).toBe('de1b000000000004');
    const ref = refOf(snp);
    expect(claimOf(() => appraise(snp, { ...ref, minTcb: 'de1c000000000004' }, snp.reportData))).toBe('tcb'); // SNP SPL 0x1c > 0x1b
    expect(claimOf(() => appraise(snp, { ...ref, minTcb: '001c000000000000' }, snp.reportData))).toBe('tcb'); // numerically smaller, yet newer SNP firmware
    expect(claimOf(() => appraise(snp, { ...ref, minTcb: 'd01a000000000003' }, snp.reportData))).toBe('accepted');
  });

  it('TDX debug evidence is refused by default (tdx_quote_4 has DEBUG set)', async () => {
    const d = entry('tdx-coco-quote4-debug');
    const c = await new TdxVerifier().verify({ platform: 'tdx', data: vec(d.path) }, at(d));
    const ref: ReferenceValues = { platform: 'tdx', measurements: [c.measurement], role: c.role, minTcb: c.tcb! };
    expect(claimOf(() => appraise(c, ref, c.reportData))).toBe('debug');
    expect(claimOf(() => appraise(c, { ...ref, allowDebug: true }, c.reportData))).toBe('accepted');
    const higher = c.tcb!.slice(0, 2) + 'ff' + c.tcb!.slice(4);
    expect(claimOf(() => appraise(c, { ...ref, allowDebug: true, minTcb: higher }, c.reportData))).toBe('tcb');
  });

  it('CCA has no TCB: a policy requiring one refuses it', async () => {
    const c0 = entry('cca-veraison-tfrmm');
    const c = await new CcaVerifier(vec(c0.files['cpak']!)).verify({ platform: 'cca', data: vec(c0.path) });
    const ref: ReferenceValues = { platform: 'cca', measurements: [c.measurement], role: c.role };
    expect(claimOf(() => appraise(c, ref, c.reportData))).toBe('accepted');
    expect(claimOf(() => appraise(c, { ...ref, minTcb: '00' }, c.reportData))).toBe('tcb');
  });

  it('tcbAtLeast uses the Turin layout when told', () => {
    // Turin bytes 0..3 = fmc, bl, tee, snp; value hex is big-endian so fmc is the last byte.
    expect(tcbAtLeast('snp', '6100000005020301', '6100000005020301', 'turin')).toBe(true);
    expect(tcbAtLeast('snp', '6100000005020301', '6100000005020302', 'turin')).toBe(false); // fmc 2 > 1
    // Byte 6 is the SNP SPL on Milan/Genoa but unused on Turin.
    expect(tcbAtLeast('snp', '6100000005020301', '6101000005020301', 'turin')).toBe(true);
    expect(tcbAtLeast('snp', '6100000005020301', '6101000005020301', 'milan-genoa')).toBe(false);
    expect(tcbAtLeast('snp', 'zz', '00', 'turin')).toBe(false);
  });
});
