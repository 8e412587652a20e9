import { EvidenceParseError } from '../common/errors.js';
import { hex, u32hex, u64hex } from '../common/bytes.js';

/** Size of an SEV-SNP attestation report (ABI spec, all versions 2–5). */
export const SNP_REPORT_SIZE = 0x4a0;
/** The signed part of the report: bytes 0x000–0x29F. */
export const SNP_SIGNED_LENGTH = 0x2a0;
/** Report versions this parser knows (2: Milan-era; 3 adds CPUID; 5: current firmware). */
export const SNP_VERSIONS: readonly number[] = [2, 3, 4, 5];

/** Which key signed the report (SIGNER_INFO bits 4:2). */
export type SnpSigningKey = 'vcek' | 'vlek' | 'none' | 'reserved';

/** A parsed SNP report: raw byte fields plus the numbers policy cares about. */
export interface SnpReport {
  readonly raw: Uint8Array;
  readonly version: number;
  readonly guestSvn: number;
  /** POLICY u64 as a bigint. */
  readonly policy: bigint;
  readonly vmpl: number;
  readonly signatureAlgo: number;
  readonly signerInfo: number;
  readonly signingKey: SnpSigningKey;
  readonly reportData: Uint8Array;
  readonly measurement: Uint8Array;
  readonly hostData: Uint8Array;
  readonly chipId: Uint8Array;
  /** REPORTED_TCB, raw 8 bytes. */
  readonly reportedTcb: Uint8Array;
  /** CPUID family/model/stepping (v3+), else null. */
  readonly cpuid: { family: number; model: number; stepping: number } | null;
  /** Big-endian r‖s (48 + 48 bytes) from the little-endian 72-byte R and S. */
  readonly signatureRS: Uint8Array;
  /** True when POLICY bit 19 (DEBUG) is set. */
  readonly debug: boolean;
}

const u32 = (b: Uint8Array, off: number): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off, true);

/**
 * Parses an SNP attestation report. It must be exactly 1184 bytes with a known version and
 * signature algorithm 1 (ECDSA P-384 with SHA-384); anything else is an {@link EvidenceParseError}.
 */
export function parseSnpReport(bytes: Uint8Array): SnpReport {
  if (bytes.length !== SNP_REPORT_SIZE) throw new EvidenceParseError('snp', `SNP report must be ${SNP_REPORT_SIZE} bytes, got ${bytes.length}`, { length: bytes.length });
  const raw = new Uint8Array(bytes);
  const version = u32(raw, 0);
  if (!SNP_VERSIONS.includes(version)) throw new EvidenceParseError('snp', `unsupported SNP report version ${version}`, { version });
  const signatureAlgo = u32(raw, 0x34);
  if (signatureAlgo !== 1) throw new EvidenceParseError('snp', `unsupported signature algorithm ${signatureAlgo} (only 1 = ECDSA P-384/SHA-384)`, { signatureAlgo });
  const signerInfo = u32(raw, 0x48);
  const keySel = (signerInfo >> 2) & 7;
  const signingKey: SnpSigningKey = keySel === 0 ? 'vcek' : keySel === 1 ? 'vlek' : keySel === 7 ? 'none' : 'reserved';
  // R and S are 72-byte little-endian integers whose top 24 bytes are zero.
  const r = raw.slice(0x2a0, 0x2a0 + 72);
  const s = raw.slice(0x2e8, 0x2e8 + 72);
  for (const part of [r, s]) {
    if (part.subarray(48).some((x) => x !== 0)) throw new EvidenceParseError('snp', 'signature component wider than 48 bytes', { offset: 0x2a0 });
  }
  const signatureRS = new Uint8Array(96);
  signatureRS.set(r.subarray(0, 48).reverse(), 0);
  signatureRS.set(s.subarray(0, 48).reverse(), 48);
  const policy = new DataView(raw.buffer).getBigUint64(8, true);
  return {
    raw,
    version,
    guestSvn: u32(raw, 4),
    policy,
    vmpl: u32(raw, 0x30),
    signatureAlgo,
    signerInfo,
    signingKey,
    reportData: raw.subarray(0x50, 0x90),
    measurement: raw.subarray(0x90, 0xc0),
    hostData: raw.subarray(0xc0, 0xe0),
    chipId: raw.subarray(0x1a0, 0x1e0),
    reportedTcb: raw.subarray(0x180, 0x188),
    cpuid: version >= 3 ? { family: raw[0x188]!, model: raw[0x189]!, stepping: raw[0x18a]! } : null,
    signatureRS,
    debug: (policy & (1n << 19n)) !== 0n,
  };
}

/** TCB_VERSION layouts: Turin (CPUID family 0x1A) moved the SPL bytes and added FMC. */
export type TcbLayout = 'milan-genoa' | 'turin';

/** Decoded TCB_VERSION components. */
export interface TcbParts {
  readonly layout: TcbLayout;
  readonly fmc?: number;
  readonly bl: number;
  readonly tee: number;
  readonly snp: number;
  readonly ucode: number;
}

/** Decodes 8 raw TCB_VERSION bytes in the given layout. */
export function decodeTcb(tcb: Uint8Array, layout: TcbLayout): TcbParts {
  if (layout === 'turin') return { layout, fmc: tcb[0]!, bl: tcb[1]!, tee: tcb[2]!, snp: tcb[3]!, ucode: tcb[7]! };
  return { layout, bl: tcb[0]!, tee: tcb[1]!, snp: tcb[6]!, ucode: tcb[7]! };
}

/**
 * The TCB layout of a report: from CPUID (v3+), else from the product name of the signing
 * certificate (v2 reports carry no CPUID), defaulting to Milan/Genoa.
 */
export function tcbLayout(report: SnpReport, productName?: string | null): TcbLayout {
  if (report.cpuid !== null && report.cpuid.family !== 0) return report.cpuid.family === 0x1a ? 'turin' : 'milan-genoa';
  return (productName ?? '').toLowerCase().startsWith('turin') ? 'turin' : 'milan-genoa';
}

/** The report's fields in the corpus encoding (see vectors README), without certificate details. */
export function snpFields(report: SnpReport, layout: TcbLayout): Record<string, string | number | null | Record<string, string | number>> {
  const b = report.raw;
  const d = decodeTcb(report.reportedTcb, layout);
  return {
    version: report.version,
    guest_svn: report.guestSvn,
    policy: u64hex(b, 0x08),
    family_id: hex(b.subarray(0x10, 0x20)),
    image_id: hex(b.subarray(0x20, 0x30)),
    vmpl: report.vmpl,
    signature_algo: report.signatureAlgo,
    current_tcb: u64hex(b, 0x38),
    platform_info: u64hex(b, 0x40),
    signer_info: u32hex(b, 0x48),
    signing_key: report.signingKey,
    report_data: hex(report.reportData),
    measurement: hex(report.measurement),
    host_data: hex(report.hostData),
    id_key_digest: hex(b.subarray(0xe0, 0x110)),
    author_key_digest: hex(b.subarray(0x110, 0x140)),
    report_id: hex(b.subarray(0x140, 0x160)),
    reported_tcb: u64hex(b, 0x180),
    reported_tcb_bytes: hex(report.reportedTcb),
    cpuid: report.cpuid === null ? null : { ...report.cpuid },
    chip_id: hex(report.chipId),
    chip_id_first8: hex(report.chipId.subarray(0, 8)),
    committed_tcb: u64hex(b, 0x1e0),
    launch_tcb: u64hex(b, 0x1f0),
    current_fw: `${b[0x1ea]}.${b[0x1e9]}.${b[0x1e8]}`,
    reported_tcb_decoded: { ...d },
  };
}
