import type { X509Certificate } from 'node:crypto';
import { derInteger, derOctets, derString } from '../common/asn1.js';
import { commonName, extensions } from '../common/x509.js';

/** AMD's arc for VCEK/VLEK extensions. */
const AMD = '1.3.6.1.4.1.3704.1';

/** What a VCEK or VLEK certificate says about the chip and its TCB. */
export interface AmdKeyCertInfo {
  readonly subjectCn: string | null;
  readonly issuerCn: string | null;
  readonly productName: string | null;
  readonly blSpl?: number;
  readonly teeSpl?: number;
  readonly snpSpl?: number;
  readonly ucodeSpl?: number;
  readonly fmcSpl?: number;
  /** hwID (VCEK only): 64 bytes on Milan/Genoa, 8 on Turin. */
  readonly hwId?: Uint8Array;
}

/** Reads the AMD extensions of a VCEK/VLEK (SPLs are DER INTEGERs inside the extension value). */
export function amdKeyCertInfo(cert: X509Certificate): AmdKeyCertInfo {
  const ext = extensions(cert);
  const spl = (n: number): number | undefined => {
    const v = ext.get(`${AMD}.3.${n}`);
    return v === undefined ? undefined : derInteger(v);
  };
  const pn = ext.get(`${AMD}.2`);
  const hw = ext.get(`${AMD}.4`);
  // hwID is an OCTET STRING in KDS certificates; accept the bare bytes too (older issuers).
  const hwId = hw === undefined ? undefined : (derOctets(hw) ?? hw);
  const info: AmdKeyCertInfo = {
    subjectCn: commonName(cert.subject),
    issuerCn: commonName(cert.issuer),
    productName: pn === undefined ? null : (derString(pn) ?? null),
  };
  const opt: Record<string, number | Uint8Array> = {};
  for (const [k, n] of [['blSpl', 1], ['teeSpl', 2], ['snpSpl', 3], ['ucodeSpl', 8], ['fmcSpl', 9]] as const) {
    const v = spl(n);
    if (v !== undefined) opt[k] = v;
  }
  if (hwId !== undefined) opt['hwId'] = hwId;
  return { ...info, ...opt };
}
