/**
 * Vendor roots, pinned by the SHA-256 of their DER certificate. The certificates themselves come with
 * the evidence (a TDX quote carries its PCK chain) or from the caller (AMD KDS `cert_chain`); a chain
 * is accepted only when its root hashes to one of these values, or equals a root the caller passes
 * explicitly (for test anchors such as Intel's QVL test root).
 *
 * The values were computed from the roots in the shared evidence corpus (which are the vendors'
 * published roots: AMD KDS ARKs, Intel SGX Root CA), and a test checks them against those files.
 */

/** Names of the pinned production roots. */
export type RootName = 'amd-ark-milan' | 'amd-ark-genoa' | 'amd-ark-turin' | 'intel-sgx-root-ca';

/** SHA-256 fingerprints (lowercase hex of the DER certificate). */
export const PINNED_ROOTS: Readonly<Record<RootName, string>> = Object.freeze({
  // CN=ARK-Milan, self-signed RSA-4096, valid until 2045-10-22.
  'amd-ark-milan': '69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd',
  // CN=ARK-Genoa, valid until 2047-01-26.
  'amd-ark-genoa': '4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1',
  // CN=ARK-Turin, valid until 2048-05-15.
  'amd-ark-turin': '1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a',
  // CN=Intel SGX Root CA (ECDSA P-256), valid until 2049-12-31.
  'intel-sgx-root-ca': '44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3',
});

/** AMD product lines and their ARK. */
export type AmdProductLine = 'milan' | 'genoa' | 'turin';

/** The pinned ARK fingerprint of an AMD product line. */
export function amdArkFingerprint(line: AmdProductLine): string {
  return PINNED_ROOTS[`amd-ark-${line}`];
}

/**
 * The product line named by a VCEK/VLEK productName (`Milan-B0`, `Genoa`, `Turin`) or an ASK/ASVK
 * common name (`SEV-Milan`, `SEV-VLEK-Genoa`); undefined when neither names a known line.
 */
export function amdProductLine(name: string | null | undefined): AmdProductLine | undefined {
  const n = (name ?? '').toLowerCase();
  if (n.includes('milan')) return 'milan';
  if (n.includes('genoa')) return 'genoa';
  if (n.includes('turin')) return 'turin';
  return undefined;
}
