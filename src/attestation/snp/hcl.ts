import { createHash } from 'node:crypto';
import { EvidenceParseError } from '../common/errors.js';
import { ByteReader, bytesEqual } from '../common/bytes.js';
import { SNP_REPORT_SIZE } from './report.js';

/**
 * Azure's HCL report: a 32-byte header starting "HCLA", the SNP report at 0x20, then a 20-byte
 * header (data size, version, report type, hash type, variable data size) and the runtime-claims
 * JSON whose SHA-256 the SNP report's report_data[0:32] carries.
 */
export interface HclReport {
  readonly snpReport: Uint8Array;
  readonly hashType: number;
  readonly runtimeClaims: Uint8Array;
}

export const HCL_MAGIC = 'HCLA';
export const HCL_SNP_OFFSET = 0x20;

/** True when `b` starts with the HCL magic. */
export function isHclReport(b: Uint8Array): boolean {
  return b.length >= 4 && Buffer.from(b.subarray(0, 4)).toString('latin1') === HCL_MAGIC;
}

/** Parses an HCL report; a bad magic or lengths past the end are {@link EvidenceParseError}s. */
export function parseHclReport(b: Uint8Array): HclReport {
  if (!isHclReport(b)) throw new EvidenceParseError('snp', 'not an HCL report (magic "HCLA" missing)');
  const r = new ByteReader(b, 'snp', HCL_SNP_OFFSET);
  const snpReport = r.take(SNP_REPORT_SIZE);
  r.u32(); // data size
  r.u32(); // version
  r.u32(); // report type
  const hashType = r.u32();
  const varSize = r.u32();
  const runtimeClaims = r.take(varSize);
  return { snpReport, hashType, runtimeClaims };
}

/** report_data[0:32] = SHA-256(runtime claims) (hash type 1) and report_data[32:64] all zero. */
export function hclBindingHolds(hcl: HclReport, reportData: Uint8Array): boolean {
  if (hcl.hashType !== 1) return false;
  const d = createHash('sha256').update(hcl.runtimeClaims).digest();
  return bytesEqual(reportData.subarray(0, 32), d) && reportData.subarray(32, 64).every((x) => x === 0);
}
