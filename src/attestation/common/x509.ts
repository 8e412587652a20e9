import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { VerifierInputError } from './errors.js';

/**
 * X.509 helpers over node:crypto's `X509Certificate` (OpenSSL: RSA-PSS and ECDSA signatures,
 * serial number 0 accepted) and `@peculiar/asn1-x509` for the vendor extensions node does not expose.
 */

const PEM_RE = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/** Splits concatenated DER certificates by their outer SEQUENCE lengths. */
function splitDer(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let off = 0;
  while (off < b.length) {
    if (b[off] !== 0x30 || off + 2 > b.length) throw new VerifierInputError(`not a DER certificate at offset ${off}`);
    const l0 = b[off + 1]!;
    let len: number;
    let hdr: number;
    if (l0 < 0x80) {
      len = l0;
      hdr = 2;
    } else {
      const n = l0 & 0x7f;
      if (n === 0 || n > 4 || off + 2 + n > b.length) throw new VerifierInputError(`bad DER length at offset ${off}`);
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[off + 2 + i]!;
      hdr = 2 + n;
    }
    if (off + hdr + len > b.length) throw new VerifierInputError(`DER certificate at offset ${off} is truncated`);
    out.push(b.subarray(off, off + hdr + len));
    off += hdr + len;
  }
  return out;
}

/** How a chain was encoded, for the corpus field `pck_chain_encoding`. */
export type CertEncoding = 'pem' | 'der';

/**
 * Every certificate in `data` (PEM blocks, or one or more concatenated DER certificates), in order.
 * Trailing NUL padding (as in TDX quotes) is ignored.
 */
export function parseCertificates(data: Uint8Array): { certs: X509Certificate[]; encoding: CertEncoding } {
  const text = Buffer.from(data).toString('latin1');
  if (text.includes('-----BEGIN CERTIFICATE-----')) {
    const certs: X509Certificate[] = [];
    for (const m of text.matchAll(PEM_RE)) certs.push(loadDer(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
    return { certs, encoding: 'pem' };
  }
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  return { certs: splitDer(data.subarray(0, end)).map(loadDer), encoding: 'der' };
}

function loadDer(der: Uint8Array): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (e) {
    throw new VerifierInputError(`unreadable certificate: ${(e as Error).message}`);
  }
}

/** The single certificate in `data` (PEM or DER). */
export function parseCertificate(data: Uint8Array): X509Certificate {
  const { certs } = parseCertificates(data);
  if (certs.length === 0) throw new VerifierInputError('no certificate found');
  return certs[0]!;
}

/** SHA-256 of the certificate's DER, lowercase hex (how roots are pinned). */
export function fingerprint256(cert: X509Certificate): string {
  return createHash('sha256').update(cert.raw).digest('hex');
}

/** True when `at` lies within the certificate's validity period. */
export function validAt(cert: X509Certificate, at: Date): boolean {
  const from = new Date(cert.validFrom).getTime();
  const to = new Date(cert.validTo).getTime();
  const t = at.getTime();
  return Number.isFinite(from) && Number.isFinite(to) && t >= from && t <= to;
}

/** True when `child`'s signature verifies under `issuerKey` (any algorithm OpenSSL knows). */
export function signedBy(child: X509Certificate, issuerKey: KeyObject): boolean {
  try {
    return child.verify(issuerKey);
  } catch {
    return false;
  }
}

/** The value of attribute CN of a distinguished name as node prints it (`CN=...` lines). */
export function commonName(dn: string): string | null {
  for (const line of dn.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return null;
}

/** Extensions by OID → raw extnValue bytes (contents of the OCTET STRING). */
export function extensions(cert: X509Certificate): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  let parsed: Certificate;
  try {
    parsed = AsnConvert.parse(cert.raw, Certificate);
  } catch (e) {
    throw new VerifierInputError(`certificate extensions unreadable: ${(e as Error).message}`);
  }
  for (const ext of parsed.tbsCertificate.extensions ?? []) out.set(ext.extnID, new Uint8Array(ext.extnValue.buffer));
  return out;
}
