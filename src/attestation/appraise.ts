import { AttestflowError } from '../errors.js';
import { fromHex } from './common/bytes.js';
import { decodeTcb, type TcbLayout } from './snp/report.js';
import type { Claims, ReferenceValues } from './types.js';

/** The claims appraisal looks at, in the order it checks them (the first failure is reported). */
export type AppraisedClaim = 'platform' | 'reportData' | 'signer' | 'measurement' | 'role' | 'debug' | 'tcb' | 'tcbStatus';

/**
 * Verified evidence whose claims the policy does not accept. `code` is `attestation.appraise.<claim>`
 * and {@link claim} names the claim, so callers (MAKE, release, audit) can say exactly what failed.
 */
export class AppraisalError extends AttestflowError {
  readonly claim: AppraisedClaim;
  constructor(claim: AppraisedClaim, message: string, details?: Record<string, unknown>) {
    super(`attestation.appraise.${claim}`, message, { claim, ...details });
    this.claim = claim;
  }
}

const norm = (h: string): string => h.toLowerCase().replace(/^0x/, '');

function hexOf(v: Uint8Array | string): string {
  return typeof v === 'string' ? norm(v) : Buffer.from(v).toString('hex');
}

/**
 * True when TCB `have` is at least `min` component by component: SNP TCB_VERSION values (16-digit
 * hex of the u64) are decoded with the report's layout (Turin differs); other platforms compare
 * byte by byte (TDX TEE_TCB_SVN: one SVN per byte). A plain integer compare would be wrong: a
 * higher microcode SPL must not make up for an older SNP firmware.
 */
export function tcbAtLeast(platform: Claims['platform'], have: string, min: string, layout?: string): boolean {
  const h = fromHex(norm(have));
  const m = fromHex(norm(min));
  if (h === undefined || m === undefined || h.length !== m.length) return false;
  if (platform === 'snp') {
    if (h.length !== 8) return false;
    // Claims carry the u64 value (big-endian hex); TCB_VERSION bytes are little-endian.
    const l: TcbLayout = layout === 'turin' ? 'turin' : 'milan-genoa';
    const a = decodeTcb(h.slice().reverse(), l);
    const b = decodeTcb(m.slice().reverse(), l);
    return a.bl >= b.bl && a.tee >= b.tee && a.snp >= b.snp && a.ucode >= b.ucode && (a.fmc ?? 0) >= (b.fmc ?? 0);
  }
  return h.every((x, i) => x >= m[i]!);
}

/**
 * Appraises verified claims against a component's reference values. Returns the claims when every
 * check passes; otherwise throws {@link AppraisalError} naming the first claim that failed. Report
 * data must equal `expectedReportData` exactly (the caller's transcript hash or nonce): evidence
 * for another session is refused here whatever its measurements.
 */
export function appraise(claims: Claims, ref: ReferenceValues, expectedReportData: Uint8Array | string): Claims {
  if (claims.platform !== ref.platform) throw new AppraisalError('platform', `evidence is from ${claims.platform}, the policy expects ${ref.platform}`);
  const rd = hexOf(expectedReportData);
  if (rd.length !== 128) throw new AppraisalError('reportData', `expected report data must be 64 bytes, got ${rd.length / 2}`);
  if (norm(claims.reportData) !== rd) throw new AppraisalError('reportData', 'report data does not equal the expected value (evidence from another session or a replay)');
  if (ref.signingKeys !== undefined && !ref.signingKeys.map(norm).includes(norm(claims.signer ?? ''))) {
    throw new AppraisalError('signer', `signer ${claims.signer ?? '(none)'} is not among the allowed signing keys`, { signer: claims.signer });
  }
  if (!ref.measurements.map(norm).includes(norm(claims.measurement))) {
    throw new AppraisalError('measurement', `measurement ${claims.measurement} is not among the ${ref.measurements.length} accepted`, { measurement: claims.measurement });
  }
  if (norm(claims.role) !== norm(ref.role)) {
    throw new AppraisalError('role', `role field ${claims.role} differs from the policy's ${ref.role} (same image in another role?)`, { role: claims.role });
  }
  if (claims.debug && ref.allowDebug !== true) throw new AppraisalError('debug', 'the TEE runs in debug mode and the policy does not allow debug');
  if (ref.minTcb !== undefined) {
    if (claims.tcb === undefined) throw new AppraisalError('tcb', `the policy requires TCB ≥ ${ref.minTcb} but the evidence has no TCB`);
    const layout = claims.extra?.['tcbLayout'];
    if (!tcbAtLeast(claims.platform, claims.tcb, ref.minTcb, typeof layout === 'string' ? layout : undefined)) {
      throw new AppraisalError('tcb', `TCB ${claims.tcb} is below the minimum ${ref.minTcb}`, { tcb: claims.tcb, minTcb: ref.minTcb });
    }
  }
  if (ref.acceptedTcbStatuses !== undefined) {
    const st = claims.extra?.['tcbStatus'];
    if (typeof st !== 'string' || !ref.acceptedTcbStatuses.includes(st)) {
      throw new AppraisalError('tcbStatus', `TCB status ${typeof st === 'string' && st !== '' ? st : '(unknown: no collateral)'} is not accepted (${ref.acceptedTcbStatuses.join(', ')})`);
    }
  }
  return claims;
}
