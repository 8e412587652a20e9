import { ByteReader, hex, u32hex } from '../common/bytes.js';
import { EvidenceParseError } from '../common/errors.js';

/** TDX quote header size and the Intel QE vendor id. */
export const TDX_HEADER_SIZE = 48;
export const INTEL_QE_VENDOR_ID = '939a7233f79c4ca9940a0db3957f0607';
/** TD report body sizes by v5 descriptor type (2 = TDX 1.0, 3 = TDX 1.5). */
export const TDX_BODY_SIZES: Readonly<Record<number, number>> = { 2: 584, 3: 648 };

/** A parsed TDX quote (v4 or v5), parsed by its length fields; bytes after the structure are kept apart. */
export interface TdxQuote {
  readonly raw: Uint8Array;
  readonly version: number;
  readonly attKeyType: number;
  readonly teeType: number;
  /** v5 body descriptor type (2 or 3); null for v4. */
  readonly bodyType: number | null;
  /** The TD report body (584 or 648 bytes). */
  readonly body: Uint8Array;
  /** Header (+ descriptor) + body: what the attestation key signs. */
  readonly signedPart: Uint8Array;
  readonly signature: Uint8Array;
  readonly attestationKey: Uint8Array;
  readonly qeReport: Uint8Array;
  readonly qeReportSignature: Uint8Array;
  readonly qeAuthData: Uint8Array;
  /** Certification data type inside the QE certification data (5 = PCK chain), or null if absent. */
  readonly pckCertType: number | null;
  /** The PCK chain bytes (PEM text, or concatenated DER) when type 5. */
  readonly pckChain: Uint8Array | null;
  readonly structuralLength: number;
}

/**
 * Parses a TDX quote v4/v5. Every length field is checked against the buffer and against the
 * length that encloses it; a quote may be longer than its structure (padding), never shorter.
 */
export function parseTdxQuote(bytes: Uint8Array): TdxQuote {
  const raw = new Uint8Array(bytes);
  const r = new ByteReader(raw, 'tdx');
  const version = r.u16();
  if (version !== 4 && version !== 5) throw new EvidenceParseError('tdx', `unsupported quote version ${version} (need 4 or 5)`, { version });
  const attKeyType = r.u16();
  if (attKeyType !== 2) throw new EvidenceParseError('tdx', `unsupported attestation key type ${attKeyType} (need 2 = ECDSA P-256)`);
  const teeType = r.u32();
  if (teeType !== 0x81) throw new EvidenceParseError('tdx', `TEE type 0x${teeType.toString(16)} is not TDX (0x81)`);
  r.take(TDX_HEADER_SIZE - 8);
  let bodyType: number | null = null;
  let bodySize = TDX_BODY_SIZES[2]!;
  if (version === 5) {
    bodyType = r.u16();
    const size = r.u32();
    const want = TDX_BODY_SIZES[bodyType];
    if (want === undefined) throw new EvidenceParseError('tdx', `unsupported v5 body type ${bodyType}`, { bodyType });
    if (size !== want) throw new EvidenceParseError('tdx', `v5 body type ${bodyType} must be ${want} bytes, descriptor says ${size}`);
    bodySize = size;
  }
  const body = r.take(bodySize);
  const signedPart = raw.subarray(0, r.offset);
  const sigDataLen = r.u32();
  const sigDataStart = r.offset;
  const signature = r.take(64);
  const attestationKey = r.take(64);
  const certType = r.u16();
  if (certType !== 6) throw new EvidenceParseError('tdx', `certification data type ${certType} (need 6 = QE report certification data)`, { offset: r.offset - 2 });
  const certSize = r.u32();
  const certStart = r.offset;
  const qeReport = r.take(384);
  const qeReportSignature = r.take(64);
  const authLen = r.u16();
  const qeAuthData = r.take(authLen);
  let pckCertType: number | null = null;
  let pckChain: Uint8Array | null = null;
  if (r.offset < certStart + certSize) {
    pckCertType = r.u16();
    const chainSize = r.u32();
    const chain = r.take(chainSize);
    if (pckCertType === 5) pckChain = chain;
  }
  if (r.offset !== certStart + certSize) {
    throw new EvidenceParseError('tdx', `QE certification data is ${certSize} bytes but its contents take ${r.offset - certStart}`, { offset: certStart });
  }
  if (r.offset > sigDataStart + sigDataLen) {
    throw new EvidenceParseError('tdx', `signature data length ${sigDataLen} is shorter than its contents (${r.offset - sigDataStart})`, { offset: sigDataStart - 4 });
  }
  r.offset = sigDataStart;
  r.need(sigDataLen);
  return {
    raw,
    version,
    attKeyType,
    teeType,
    bodyType,
    body,
    signedPart,
    signature,
    attestationKey,
    qeReport,
    qeReportSignature,
    qeAuthData,
    pckCertType,
    pckChain,
    structuralLength: sigDataStart + sigDataLen,
  };
}

/** Body offsets (TDX module ABI). */
const B = { teeTcbSvn: 0, mrseam: 16, mrsignerseam: 64, seamAttributes: 112, tdAttributes: 120, xfam: 128, mrtd: 136, mrconfigid: 184, mrowner: 232, mrownerconfig: 280, rtmr0: 328, reportdata: 520, teeTcbSvn2: 584, mrservicetd: 600 } as const;

/** MRTD, MRCONFIGID, REPORTDATA, TD_ATTRIBUTES etc. of the body. */
export function tdxBodyField(q: TdxQuote, name: keyof typeof B, length: number): Uint8Array {
  return q.body.subarray(B[name], B[name] + length);
}

/** RTMR i (0–3). */
export function tdxRtmr(q: TdxQuote, i: number): Uint8Array {
  return q.body.subarray(B.rtmr0 + 48 * i, B.rtmr0 + 48 * (i + 1));
}

/** True when TD_ATTRIBUTES bit 0 (DEBUG) is set. */
export function tdxDebug(q: TdxQuote): boolean {
  return (tdxBodyField(q, 'tdAttributes', 8)[0]! & 1) === 1;
}

/** The quote's own fields in the corpus encoding (certificate-derived fields are added by the verifier). */
export function tdxQuoteFields(q: TdxQuote): Record<string, string | number | boolean | null> {
  const f = (n: keyof typeof B, l: number): string => hex(tdxBodyField(q, n, l));
  const trailing = q.raw.subarray(q.structuralLength);
  const out: Record<string, string | number | boolean | null> = {
    version: q.version,
    att_key_type: q.attKeyType,
    tee_type: u32hex(q.raw, 4),
    body_type: q.bodyType,
    qe_vendor_id: hex(q.raw.subarray(12, 28)),
    tee_tcb_svn: f('teeTcbSvn', 16),
    mrseam: f('mrseam', 48),
    td_attributes: f('tdAttributes', 8),
    xfam: f('xfam', 8),
    mrtd: f('mrtd', 48),
    mrconfigid: f('mrconfigid', 48),
    mrowner: f('mrowner', 48),
    mrownerconfig: f('mrownerconfig', 48),
    rtmr0: hex(tdxRtmr(q, 0)),
    rtmr1: hex(tdxRtmr(q, 1)),
    rtmr2: hex(tdxRtmr(q, 2)),
    rtmr3: hex(tdxRtmr(q, 3)),
    reportdata: f('reportdata', 64),
  };
  if (q.bodyType === 3) {
    out['tee_tcb_svn2'] = f('teeTcbSvn2', 16);
    out['mrservicetd'] = f('mrservicetd', 48);
  }
  out['quote_length'] = q.raw.length;
  out['structural_length'] = q.structuralLength;
  out['trailing_bytes'] = trailing.length;
  out['trailing_bytes_all_zero'] = trailing.every((x) => x === 0);
  return out;
}
