import { createHash, verify as cryptoVerify, type X509Certificate } from 'node:crypto';
import type { Claims, Evidence, Verifier } from '../types.js';
import { bytesEqual, hex } from '../common/bytes.js';
import { EvidenceParseError, EvidenceVerifyError, VerifierInputError } from '../common/errors.js';
import { assertValid, Checks, type CheckReport, type Json } from '../common/report.js';
import { fingerprint256, parseCertificates, signedBy, validAt } from '../common/x509.js';
import { amdArkFingerprint, amdProductLine, PINNED_ROOTS } from '../roots.js';
import { amdKeyCertInfo, type AmdKeyCertInfo } from './certs.js';
import { hclBindingHolds, isHclReport, parseHclReport, type HclReport } from './hcl.js';
import { decodeTcb, parseSnpReport, snpFields, SNP_SIGNED_LENGTH, tcbLayout, type SnpReport } from './report.js';

/** What SNP verification needs besides the report. */
export interface SnpCheckInput {
  /** A raw 1184-byte report, or an Azure HCL report wrapping one (detected by its magic). */
  readonly evidence: Uint8Array;
  /** The VCEK or VLEK (PEM or DER). If it holds more certificates (Azure IMDS), they are the chain. */
  readonly keyCert: Uint8Array;
  /** ASK (or ASVK) then ARK, PEM or DER; defaults to the certificates after the key certificate. */
  readonly chain?: Uint8Array;
  /** A root to require instead of the pinned AMD ARKs (compared byte for byte). */
  readonly root?: Uint8Array;
  /** Time at which every certificate must be valid; defaults to now. */
  readonly at?: Date;
  /** When given, also check report_data = SHA-512(nonce ‖ x25519 key) (teekit's binding). */
  readonly x25519Binding?: { readonly nonce: Uint8Array; readonly key: Uint8Array };
}

/** The result of {@link checkSnp}, with the parsed report for building claims. */
export interface SnpCheckResult extends CheckReport {
  readonly report?: SnpReport;
  readonly keyCertInfo?: AmdKeyCertInfo;
  readonly anchorFingerprint?: string;
}

/** ECDSA P-384/SHA-384 over bytes 0x000–0x29F, signature as IEEE P1363 r‖s. */
function reportSignatureValid(report: SnpReport, cert: X509Certificate): boolean {
  try {
    return cryptoVerify('sha384', report.raw.subarray(0, SNP_SIGNED_LENGTH), { key: cert.publicKey, dsaEncoding: 'ieee-p1363' }, report.signatureRS);
  } catch {
    return false;
  }
}

function tcbMatches(info: AmdKeyCertInfo, report: SnpReport, productName: string | null): boolean {
  const t = decodeTcb(report.reportedTcb, tcbLayout(report, productName));
  if (info.blSpl !== t.bl || info.teeSpl !== t.tee || info.snpSpl !== t.snp || info.ucodeSpl !== t.ucode) return false;
  return t.layout !== 'turin' || info.fmcSpl === t.fmc;
}

function hwIdMatches(info: AmdKeyCertInfo, chipId: Uint8Array): boolean {
  const hw = info.hwId;
  if (hw === undefined || hw.length === 0 || hw.length > 64) return false;
  // Turin hwIDs are 8 bytes: the report's chip_id carries them first, the rest zero.
  return bytesEqual(chipId.subarray(0, hw.length), hw) && chipId.subarray(hw.length).every((x) => x === 0);
}

/**
 * Runs every SNP check of the corpus README, in its order, and decodes the fields. Never throws for
 * bad evidence (it becomes `parse: false`); throws {@link VerifierInputError} for unreadable inputs.
 */
export function checkSnp(input: SnpCheckInput): SnpCheckResult {
  const c = new Checks();
  const at = input.at ?? new Date();
  const keyCerts = parseCertificates(input.keyCert).certs;
  const keyCert = keyCerts[0];
  if (keyCert === undefined) throw new VerifierInputError('snp: no VCEK/VLEK certificate given');
  const chain = input.chain !== undefined ? parseCertificates(input.chain).certs : keyCerts.slice(1);
  if (chain.length < 2) throw new VerifierInputError(`snp: the ASK/ARK chain needs 2 certificates, got ${chain.length}`);
  // ASK (or ASVK) first, then ARK; tolerate the reverse order by looking for the self-issued one.
  let [ask, ark] = chain as [X509Certificate, X509Certificate];
  if (ask.subject === ask.issuer && ark.subject !== ark.issuer) [ask, ark] = [ark, ask];

  let report: SnpReport;
  let hcl: HclReport | undefined;
  try {
    if (isHclReport(input.evidence)) {
      hcl = parseHclReport(input.evidence);
      report = parseSnpReport(hcl.snpReport);
    } else report = parseSnpReport(input.evidence);
  } catch (e) {
    if (!(e instanceof EvidenceParseError)) throw e;
    const msg = e.message.replace(/^snp: /, '');
    c.set('parse', false, msg);
    return c.report('snp', null, msg);
  }
  c.set('parse', true);
  const info = amdKeyCertInfo(keyCert);
  const layout = tcbLayout(report, info.productName);

  c.set('report_signature', reportSignatureValid(report, keyCert), 'report signature does not verify with the VCEK/VLEK key');
  const expectCn = report.signingKey === 'vcek' ? 'SEV-VCEK' : report.signingKey === 'vlek' ? 'SEV-VLEK' : null;
  c.set('signing_key_field_matches_cert', expectCn !== null && info.subjectCn === expectCn, `SIGNER_INFO says ${report.signingKey}, certificate is ${info.subjectCn}`);
  c.set('cert_tcb_matches_reported_tcb', tcbMatches(info, report, info.productName), 'certificate SPLs differ from REPORTED_TCB');
  if (report.signingKey === 'vcek') c.set('vcek_hwid_matches_chip_id', hwIdMatches(info, report.chipId), 'VCEK hwID differs from CHIP_ID');
  const when = at.toISOString();
  c.set(
    'key_cert_signed_by_ask',
    signedBy(keyCert, ask.publicKey) && validAt(keyCert, at),
    validAt(keyCert, at) ? `${info.subjectCn} is not signed by ${ask.subject.replace(/\n/g, ', ')}` : `${info.subjectCn} is not valid at ${when}`,
  );
  c.set('ask_signed_by_ark', signedBy(ask, ark.publicKey) && validAt(ask, at), validAt(ask, at) ? 'ASK is not signed by the ARK' : `ASK is not valid at ${when}`);
  c.set('ark_self_signed', signedBy(ark, ark.publicKey) && validAt(ark, at), validAt(ark, at) ? 'ARK is not self-signed' : `ARK is not valid at ${when}`);
  const arkFp = fingerprint256(ark);
  let pinned: boolean;
  if (input.root !== undefined) {
    const want = parseCertificates(input.root).certs[0];
    if (want === undefined) throw new VerifierInputError('snp: no certificate in the given root');
    pinned = bytesEqual(new Uint8Array(want.raw), new Uint8Array(ark.raw));
  } else {
    const line = amdProductLine(info.issuerCn) ?? amdProductLine(info.productName);
    pinned = line !== undefined ? arkFp === amdArkFingerprint(line) : [PINNED_ROOTS['amd-ark-milan'], PINNED_ROOTS['amd-ark-genoa'], PINNED_ROOTS['amd-ark-turin']].includes(arkFp);
  }
  c.set('ark_matches_pinned', pinned, `ARK (sha256 ${arkFp}) is not the pinned root`);
  if (hcl !== undefined) c.set('hcl_runtime_claims_binding', hclBindingHolds(hcl, report.reportData), 'report_data does not commit to the HCL runtime claims');
  if (input.x25519Binding !== undefined) {
    const d = createHash('sha512').update(input.x25519Binding.nonce).update(input.x25519Binding.key).digest();
    c.set('report_data_eq_sha512_nonce_x25519', bytesEqual(d, report.reportData), 'report_data is not SHA-512(nonce ‖ X25519 key)');
  }
  const fields: Record<string, Json> = {
    ...snpFields(report, layout),
    key_cert: { subject_cn: info.subjectCn, issuer_cn: info.issuerCn, product_name: info.productName },
  };
  return { ...c.report('snp', fields), report, keyCertInfo: info, anchorFingerprint: arkFp };
}

/** Claims of a verified SNP report (role = HOST_DATA, tcb = REPORTED_TCB as 16-digit hex). */
export function snpClaims(r: SnpCheckResult): Claims {
  const report = r.report;
  if (report === undefined || r.fields === null) throw new EvidenceVerifyError('snp', ['parse'], 'no report');
  const layout = tcbLayout(report, r.keyCertInfo?.productName);
  return {
    platform: 'snp',
    measurement: hex(report.measurement),
    role: hex(report.hostData),
    reportData: hex(report.reportData),
    debug: report.debug,
    tcb: String(r.fields['reported_tcb']),
    signer: r.anchorFingerprint ?? '',
    extra: {
      tcbLayout: layout,
      version: report.version,
      vmpl: report.vmpl,
      signingKey: report.signingKey,
      chipId: hex(report.chipId),
      policy: report.policy.toString(16).padStart(16, '0'),
    },
  };
}

function aux(e: Evidence, ...names: string[]): Uint8Array | undefined {
  for (const n of names) {
    const v = e.auxiliary?.[n];
    if (v !== undefined) return v;
  }
  return undefined;
}

/**
 * The SNP {@link Verifier}. Evidence auxiliaries: `vcek` or `vlek` (or `keyCert`), `chain`
 * (ASK/ASVK then ARK), optional `root` (a non-default anchor).
 */
export class SnpVerifier implements Verifier {
  readonly platform = 'snp' as const;
  async verify(evidence: Evidence, options?: { now?: Date }): Promise<Claims> {
    if (evidence.platform !== 'snp') throw new VerifierInputError(`SnpVerifier got ${evidence.platform} evidence`);
    const keyCert = aux(evidence, 'vcek', 'vlek', 'keyCert');
    if (keyCert === undefined) throw new VerifierInputError('snp evidence needs a VCEK or VLEK certificate (auxiliary "vcek" or "vlek")');
    const chain = aux(evidence, 'chain', 'ask_ark_chain');
    const root = aux(evidence, 'root');
    const r = checkSnp({
      evidence: evidence.data,
      keyCert,
      ...(chain !== undefined ? { chain } : {}),
      ...(root !== undefined ? { root } : {}),
      ...(options?.now !== undefined ? { at: options.now } : {}),
    });
    assertValid(r);
    return snpClaims(r);
  }
}
