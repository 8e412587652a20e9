import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { encode } from 'cbor2';
import type { Claims, Evidence, Verifier } from '../types.js';
import { bytesEqual, hex } from '../common/bytes.js';
import { EvidenceParseError, EvidenceVerifyError, VerifierInputError } from '../common/errors.js';
import { assertValid, Checks, type CheckReport, type Json } from '../common/report.js';
import { parseCcaToken, type CcaToken, type CoseSign1 } from './token.js';

/** COSE algorithms used by CCA tokens: ES256, ES384, ES512. */
const COSE_ALGS: Readonly<Record<number, { hash: string; sigLen: number }>> = {
  [-7]: { hash: 'sha256', sigLen: 64 },
  [-35]: { hash: 'sha384', sigLen: 96 },
  [-36]: { hash: 'sha512', sigLen: 132 },
};

/** Hash algorithm names of the CCA claims (44236, 44240, 2402). */
const HASHES: Readonly<Record<string, string>> = { 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512' };

/** Verifies a COSE_Sign1 over Sig_structure ["Signature1", protected, h'', payload]. */
export function coseSign1Valid(s: CoseSign1, key: KeyObject): boolean {
  const alg = COSE_ALGS[s.alg];
  if (alg === undefined || s.signature.length !== alg.sigLen) return false;
  const toBeSigned = encode(['Signature1', s.protectedBytes, new Uint8Array(0), s.payload]);
  try {
    return cryptoVerify(alg.hash, toBeSigned, { key, dsaEncoding: 'ieee-p1363' }, s.signature);
  } catch {
    return false;
  }
}

/**
 * Loads a CPAK: SPKI PEM, a JWK, or a trust-anchor JSON array whose `[0].pkey` is the JWK.
 * Returns undefined when the key cannot be loaded (e.g. a point not on the curve).
 */
export function loadCpak(data: Uint8Array): KeyObject | undefined {
  const text = Buffer.from(data).toString('utf8').trim();
  try {
    if (text.startsWith('-----BEGIN')) return createPublicKey(text);
    if (text.startsWith('{') || text.startsWith('[')) {
      let j: unknown = JSON.parse(text);
      if (Array.isArray(j)) j = (j[0] as Record<string, unknown> | undefined)?.['pkey'];
      if (typeof j !== 'object' || j === null) return undefined;
      return createPublicKey({ key: j as import('node:crypto').JsonWebKey, format: 'jwk' });
    }
    return createPublicKey({ key: Buffer.from(data), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

export interface CcaCheckInput {
  readonly token: Uint8Array;
  /** The CPAK (platform attestation key) trusted for this platform, in any form {@link loadCpak} reads. */
  readonly cpak: Uint8Array;
}

export interface CcaCheckResult extends CheckReport {
  readonly token?: CcaToken;
  readonly cpakFingerprint?: string;
}

/** Runs the CCA checks of the corpus README in order; bad tokens become `parse: false`. */
export function checkCca(input: CcaCheckInput): CcaCheckResult {
  const c = new Checks();
  let t: CcaToken;
  try {
    t = parseCcaToken(input.token);
  } catch (e) {
    if (!(e instanceof EvidenceParseError)) throw e;
    const msg = e.message.replace(/^cca: /, '');
    c.set('parse', false, msg);
    return c.report('cca', null, msg);
  }
  c.set('parse', true);
  const p = t.platformClaims;
  const fields: Record<string, Json> = {
    envelope_tag: t.envelopeTag,
    platform_profile: p.profile,
    platform_challenge: hex(p.challenge),
    platform_sig_alg: t.platform.alg,
    platform_implementation_id: hex(p.implementationId),
    platform_instance_id: hex(p.instanceId),
  };
  if (t.realm !== undefined && t.realmClaims !== undefined) {
    const r = t.realmClaims;
    let rak: KeyObject | undefined;
    try {
      rak = createPublicKey({ key: r.rakJwk, format: 'jwk' });
    } catch {
      rak = undefined;
    }
    c.set('realm_signature', rak !== undefined && coseSign1Valid(t.realm, rak), 'realm token signature does not verify with its RAK');
    const h = HASHES[r.rakHashAlg];
    c.set(
      'binding_platform_challenge_eq_hash_rak',
      h !== undefined && bytesEqual(p.challenge, createHash(h).update(r.rakBytes).digest()),
      `platform challenge is not ${r.rakHashAlg}(RAK)`,
    );
    Object.assign(fields, {
      realm_profile: r.profile,
      realm_challenge: hex(r.challenge),
      realm_personalization_value: hex(r.personalizationValue),
      rim: hex(r.rim),
      rems: r.rems.map(hex),
      realm_hash_alg: r.hashAlg,
      rak_hash_alg: r.rakHashAlg,
      rak_encoding: r.rakEncoding,
      rak: hex(r.rakBytes),
      realm_sig_alg: t.realm.alg,
    });
  }
  const cpak = loadCpak(input.cpak);
  c.set('cpak_loadable', cpak !== undefined, 'the CPAK cannot be loaded as a public key');
  c.set('platform_signature', cpak !== undefined && coseSign1Valid(t.platform, cpak), 'platform token signature does not verify with the CPAK');
  const cpakFingerprint = cpak === undefined ? undefined : createHash('sha256').update(cpak.export({ format: 'der', type: 'spki' })).digest('hex');
  return { ...c.report('cca', fields), token: t, ...(cpakFingerprint !== undefined ? { cpakFingerprint } : {}) };
}

/** Claims of a verified realm token (measurement = RIM, role = personalization value). */
export function ccaClaims(r: CcaCheckResult): Claims {
  const t = r.token;
  if (t === undefined) throw new EvidenceVerifyError('cca', ['parse'], 'no token');
  const realm = t.realmClaims;
  if (realm === undefined) throw new VerifierInputError('cca: a platform token alone carries no realm claims to appraise');
  const lc = t.platformClaims.lifecycle;
  // PSA lifecycle 0x3000–0x30FF is "secured"; every other state allows debug or provisioning.
  const debug = lc === null || lc < 0x3000 || lc > 0x30ff;
  return {
    platform: 'cca',
    measurement: hex(realm.rim),
    role: hex(realm.personalizationValue),
    reportData: hex(realm.challenge),
    debug,
    signer: r.cpakFingerprint ?? '',
    extra: {
      rems: realm.rems.map(hex).join(','),
      platformInstanceId: hex(t.platformClaims.instanceId),
      platformImplementationId: hex(t.platformClaims.implementationId),
      lifecycle: lc ?? -1,
    },
  };
}

/** The CCA {@link Verifier}: the CPAK comes from the constructor or evidence auxiliary `cpak`. */
export class CcaVerifier implements Verifier {
  readonly platform = 'cca' as const;
  constructor(private readonly cpak?: Uint8Array) {}
  async verify(evidence: Evidence, _options?: { now?: Date }): Promise<Claims> {
    if (evidence.platform !== 'cca') throw new VerifierInputError(`CcaVerifier got ${evidence.platform} evidence`);
    const cpak = this.cpak ?? evidence.auxiliary?.['cpak'];
    if (cpak === undefined) throw new VerifierInputError('cca evidence needs a CPAK (constructor or auxiliary "cpak")');
    const r = checkCca({ token: evidence.data, cpak });
    assertValid(r);
    return ccaClaims(r);
  }
}
