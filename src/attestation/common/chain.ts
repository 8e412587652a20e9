import type { X509Certificate } from 'node:crypto';

/**
 * Orders certificates leaf → root by following issuer names, whatever order they came in (PEM
 * chains in quotes are leaf first; Intel's synthetic DER chain is root first). Falls back to the
 * given order when the names do not form one path.
 */
export function orderChain(certs: readonly X509Certificate[]): X509Certificate[] {
  if (certs.length < 2) return [...certs];
  const issuers = new Set(certs.filter((c) => c.subject !== c.issuer).map((c) => c.issuer));
  const leaves = certs.filter((c) => !issuers.has(c.subject) || (c.subject === c.issuer && certs.length === 1));
  if (leaves.length !== 1) return [...certs];
  const out = [leaves[0]!];
  const rest = new Set(certs.filter((c) => c !== leaves[0]));
  while (rest.size > 0) {
    const cur = out[out.length - 1]!;
    if (cur.subject === cur.issuer) break;
    const next = [...rest].find((c) => c.subject === cur.issuer);
    if (next === undefined) return [...certs];
    out.push(next);
    rest.delete(next);
  }
  return rest.size === 0 ? out : [...certs];
}
