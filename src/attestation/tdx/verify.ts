import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject, type X509Certificate } from 'node:crypto';
import type { Claims, Evidence, Verifier } from '../types.js';
import { bytesEqual, hex } from '../common/bytes.js';
import { orderChain } from '../common/chain.js';
import { AttestflowError } from '../../errors.js';
import { EvidenceParseError, EvidenceVerifyError, VerifierInputError } from '../common/errors.js';
import { assertValid, Checks, type CheckReport, type Json } from '../common/report.js';
import { commonName, fingerprint256, parseCertificates, signedBy, validAt } from '../common/x509.js';
import { PINNED_ROOTS } from '../roots.js';
import { appraiseCollateral, type CollateralInput, type CollateralResult } from './collateral.js';
import { pckInfo, type PckInfo } from './pck.js';
import { parseTdxQuote, tdxBodyField, tdxDebug, tdxQuoteFields, type TdxQuote } from './quote.js';

/** What TDX verification needs besides the quote (the PCK chain travels inside it). */
export interface TdxCheckInput {
  readonly quote: Uint8Array;
  /** A root to require instead of the pinned Intel SGX Root CA (compared byte for byte). */
  readonly root?: Uint8Array;
  /** Time at which every certificate must be valid; defaults to now. */
  readonly at?: Date;
  /** Signed TCB Info and QE Identity; when given, they are verified and the TCB status computed. */
  readonly collateral?: CollateralInput;
}

export interface TdxCheckResult extends CheckReport {
  readonly quote?: TdxQuote;
  readonly pck?: PckInfo;
  readonly anchorFingerprint?: string;
  readonly collateral?: CollateralResult;
}

/** A P-256 public key from 64 bytes x‖y. */
export function p256Key(xy: Uint8Array): KeyObject | undefined {
  try {
    return createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: Buffer.from(xy.subarray(0, 32)).toString('base64url'), y: Buffer.from(xy.subarray(32, 64)).toString('base64url') },
      format: 'jwk',
    });
  } catch {
    return undefined;
  }
}

function ecdsaOk(data: Uint8Array, key: KeyObject | undefined, rs: Uint8Array): boolean {
  if (key === undefined) return false;
  try {
    return cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, rs);
  } catch {
    return false;
  }
}

/** Runs every TDX check of the corpus README in order; bad quotes become `parse: false`. */
export function checkTdx(input: TdxCheckInput): TdxCheckResult {
  const c = new Checks();
  const at = input.at ?? new Date();
  let q: TdxQuote;
  try {
    q = parseTdxQuote(input.quote);
  } catch (e) {
    if (!(e instanceof EvidenceParseError)) throw e;
    const msg = e.message.replace(/^tdx: /, '');
    c.set('parse', false, msg);
    return c.report('tdx', null, msg);
  }
  c.set('parse', true);
  const fields: Record<string, Json> = tdxQuoteFields(q);
  c.set('quote_signature', ecdsaOk(q.signedPart, p256Key(q.attestationKey), q.signature), 'quote signature does not verify with the attestation key');
  const qeRd = q.qeReport.subarray(320, 384);
  const want = createHash('sha256').update(q.attestationKey).update(q.qeAuthData).digest();
  c.set('qe_report_data_binding', bytesEqual(qeRd.subarray(0, 32), want) && qeRd.subarray(32).every((x) => x === 0), 'QE report data does not bind the attestation key and QE auth data');

  let chain: X509Certificate[] = [];
  let encoding: string | null = null;
  if (q.pckChain !== null) {
    try {
      const parsed = parseCertificates(q.pckChain);
      chain = orderChain(parsed.certs);
      encoding = parsed.encoding === 'pem' ? 'pem' : chain[0] === parsed.certs[0] ? 'concatenated-der,leaf-first' : 'concatenated-der,root-first';
    } catch (e) {
      if (!(e instanceof AttestflowError)) throw e;
      chain = [];
    }
  }
  const present = c.set('pck_chain_present', chain.length >= 2, 'no PCK certificate chain (type 5) in the quote');
  const leaf = chain[0];
  const root = chain[chain.length - 1];
  let pck: PckInfo | undefined;
  try {
    pck = leaf === undefined ? undefined : pckInfo(leaf);
  } catch (e) {
    // An unreadable SGX extension leaves FMSPC unknown; it does not make the quote's checks fail.
    if (!(e instanceof AttestflowError)) throw e;
  }
  c.set('qe_report_signature', present && leaf !== undefined && ecdsaOk(q.qeReport, leaf.publicKey, q.qeReportSignature), 'QE report signature does not verify with the PCK key');
  let links = present;
  let linkReason = 'PCK chain signatures do not verify';
  for (let i = 0; present && i + 1 < chain.length; i++) {
    if (!signedBy(chain[i]!, chain[i + 1]!.publicKey)) {
      links = false;
      linkReason = `${commonName(chain[i]!.subject)} is not signed by ${commonName(chain[i + 1]!.subject)}`;
    } else if (!validAt(chain[i]!, at)) {
      links = false;
      linkReason = `${commonName(chain[i]!.subject)} is not valid at ${at.toISOString()}`;
    }
  }
  c.set('pck_chain_signatures', links, linkReason);
  const rootOk = present && root !== undefined && root.subject === root.issuer && signedBy(root, root.publicKey) && validAt(root, at);
  c.set('root_self_signed', rootOk, 'the chain root is not a valid self-signed certificate');
  let pinned = false;
  if (present && root !== undefined) {
    if (input.root !== undefined) {
      const wantRoot = parseCertificates(input.root).certs[0];
      if (wantRoot === undefined) throw new VerifierInputError('tdx: no certificate in the given root');
      pinned = bytesEqual(new Uint8Array(wantRoot.raw), new Uint8Array(root.raw));
    } else pinned = fingerprint256(root) === PINNED_ROOTS['intel-sgx-root-ca'];
  }
  c.set('root_matches_pinned', pinned, 'the chain root is not the pinned Intel SGX Root CA');

  fields['pck_chain_encoding'] = encoding;
  fields['fmspc'] = pck === undefined ? null : hex(pck.fmspc);
  fields['pce_id'] = pck === undefined ? null : hex(pck.pceId);
  fields['pck_leaf_issuer_cn'] = leaf === undefined ? null : commonName(leaf.issuer);

  let collateral: CollateralResult | undefined;
  if (input.collateral !== undefined) {
    collateral = appraiseCollateral(q, pck, input.collateral, { at, ...(input.root !== undefined ? { root: input.root } : {}) });
    for (const [k, v] of Object.entries(collateral.checks)) c.set(k, v, collateral.reasons[k]);
    fields['tcb_status'] = collateral.tcbStatus;
    fields['qe_tcb_status'] = collateral.qeTcbStatus;
    fields['tdx_module_tcb_status'] = collateral.tdxModuleTcbStatus;
    fields['advisory_ids'] = [...collateral.advisoryIds];
  }
  return { ...c.report('tdx', fields), quote: q, ...(pck !== undefined ? { pck } : {}), ...(root !== undefined ? { anchorFingerprint: fingerprint256(root) } : {}), ...(collateral !== undefined ? { collateral } : {}) };
}

/** Claims of a verified quote (measurement = MRTD, role = MRCONFIGID, tcb = TEE_TCB_SVN). */
export function tdxClaims(r: TdxCheckResult): Claims {
  const q = r.quote;
  if (q === undefined) throw new EvidenceVerifyError('tdx', ['parse'], 'no quote');
  const extra: Record<string, string | number | boolean> = {
    version: q.version,
    tdAttributes: hex(tdxBodyField(q, 'tdAttributes', 8)),
    fmspc: r.pck === undefined ? '' : hex(r.pck.fmspc),
  };
  for (const k of ['rtmr0', 'rtmr1', 'rtmr2', 'rtmr3', 'mrowner', 'mrseam'] as const) extra[k] = String(r.fields?.[k] ?? '');
  if (r.collateral !== undefined) {
    extra['tcbStatus'] = r.collateral.tcbStatus ?? '';
    extra['qeTcbStatus'] = r.collateral.qeTcbStatus ?? '';
  }
  return {
    platform: 'tdx',
    measurement: hex(tdxBodyField(q, 'mrtd', 48)),
    role: hex(tdxBodyField(q, 'mrconfigid', 48)),
    reportData: hex(tdxBodyField(q, 'reportdata', 64)),
    debug: tdxDebug(q),
    tcb: hex(tdxBodyField(q, 'teeTcbSvn', 16)),
    signer: r.anchorFingerprint ?? '',
    extra,
  };
}

/** The TDX {@link Verifier}. Evidence auxiliaries: optional `root` (a non-default anchor). */
export class TdxVerifier implements Verifier {
  readonly platform = 'tdx' as const;
  constructor(private readonly collateral?: CollateralInput) {}
  async verify(evidence: Evidence, options?: { now?: Date }): Promise<Claims> {
    if (evidence.platform !== 'tdx') throw new VerifierInputError(`TdxVerifier got ${evidence.platform} evidence`);
    const root = evidence.auxiliary?.['root'];
    const r = checkTdx({
      quote: evidence.data,
      ...(root !== undefined ? { root } : {}),
      ...(options?.now !== undefined ? { at: options.now } : {}),
      ...(this.collateral !== undefined ? { collateral: this.collateral } : {}),
    });
    assertValid(r);
    return tdxClaims(r);
  }
}
