/**
 * The canonical form and digest of a policy. The digest is what MAKE binds into every transcript
 * and what owners sign, so it depends on meaning only: not on formatting, key order, comments,
 * list order where order means nothing, hex case, defaults written out or left implicit, or
 * whether a role was given by name or by its bytes.
 *
 * Canonical JSON is written here by hand (sorted keys, no whitespace, JSON string escaping): the
 * values are only strings, safe integers, booleans, arrays and objects, for which RFC 8785's
 * output is exactly this, and a dependency would add nothing.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { PolicyDocument } from './types.js';

/** Domain-separation label prefixed to the canonical JSON before hashing. */
export const DIGEST_LABEL = 'attestflow/policy/v1\0';

type Canon = string | number | boolean | readonly Canon[] | { readonly [k: string]: Canon };

/** Canonical JSON of a value made of strings, safe integers, booleans, arrays and plain objects. */
export function canonicalJson(v: Canon): string {
  if (typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new TypeError(`canonical JSON: only safe integers, got ${v}`);
    return String(v);
  }
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as { readonly [k: string]: Canon };
  const keys = Object.keys(o).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k] as Canon)}`).join(',')}}`;
}

/** The meaning of a policy as a canonical value (every field that changes behaviour; nothing else). */
export function canonicalPolicy(doc: PolicyDocument): Canon {
  const opt = <T extends Canon>(k: string, v: T | undefined): Record<string, Canon> => (v === undefined ? {} : { [k]: v });
  return {
    format: 'attestflow-policy/1',
    workflow: { name: doc.workflow.name, version: doc.workflow.version },
    rekeyIntervalSeconds: doc.rekeyIntervalSeconds,
    trustedRoots: doc.trustedRoots.map((r) => ({ platform: r.platform, ...opt('publicKey', r.publicKey), ...opt('fingerprint', r.fingerprint) })),
    owners: doc.owners.map((o) => ({ name: o.name, publicKey: o.publicKey })),
    approval: { owners: [...doc.approval.owners], threshold: doc.approval.threshold },
    components: doc.components.map((c) => ({
      name: c.name,
      owner: c.owner,
      platform: c.platform,
      measurements: [...c.measurements],
      role: c.role,
      allowDebug: c.allowDebug,
      ...opt('minTcb', c.minTcb),
      ...opt('acceptedTcbStatuses', c.acceptedTcbStatuses ? [...c.acceptedTcbStatuses] : undefined),
      ...opt('signingKeys', c.signingKeys ? [...c.signingKeys] : undefined),
      ...opt('address', c.address),
    })),
    edges: doc.edges.map((e) => ({ from: e.from, to: e.to, protocol: e.protocol, port: e.port })),
    secrets: doc.secrets.map((s) => ({ name: s.name, holder: s.holder, releaseTo: [...s.releaseTo] })),
  };
}

/** The policy digest: SHA-256(label ‖ canonical JSON), 32 bytes. */
export function policyDigest(doc: PolicyDocument): Uint8Array {
  return sha256(utf8ToBytes(DIGEST_LABEL + canonicalJson(canonicalPolicy(doc))));
}

/** The policy digest as lowercase hex. */
export const policyDigestHex = (doc: PolicyDocument): string => bytesToHex(policyDigest(doc));
