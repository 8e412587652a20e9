import { decode, getEncoded, Tag } from 'cbor2';
import { EvidenceParseError } from '../common/errors.js';

/** CCA envelope tags: legacy collection (399), CMW collection (907), bare COSE_Sign1 (18). */
export const CCA_LEGACY_TAG = 399;
export const CCA_CMW_TAG = 907;
export const COSE_SIGN1_TAG = 18;
/** Collection keys and the CMW content format of the inner tokens. */
export const PLATFORM_KEY = 44234;
export const REALM_KEY = 44241;
export const CMW_CCA_CONTENT_FORMAT = 263;

/** A COSE_Sign1 structure, with the exact bytes needed for the signature. */
export interface CoseSign1 {
  readonly protectedBytes: Uint8Array;
  readonly alg: number;
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
}

export interface RealmClaims {
  readonly profile: string | null;
  readonly challenge: Uint8Array;
  readonly personalizationValue: Uint8Array;
  readonly hashAlg: string;
  /** The exact bytes of claim 44237 (raw SEC1 point, or the encoded COSE_Key). */
  readonly rakBytes: Uint8Array;
  readonly rakEncoding: 'sec1-uncompressed-p384' | 'cose-key-p-384';
  /** The RAK as a JWK (P-384). */
  readonly rakJwk: { kty: 'EC'; crv: 'P-384'; x: string; y: string };
  readonly rakHashAlg: string;
  readonly rim: Uint8Array;
  readonly rems: readonly Uint8Array[];
}

export interface PlatformClaims {
  readonly profile: string | null;
  readonly challenge: Uint8Array;
  readonly implementationId: Uint8Array;
  readonly instanceId: Uint8Array;
  readonly lifecycle: number | null;
}

export interface CcaToken {
  readonly envelopeTag: number;
  readonly platform: CoseSign1;
  readonly platformClaims: PlatformClaims;
  readonly realm?: CoseSign1;
  readonly realmClaims?: RealmClaims;
}

const fail = (msg: string): never => {
  throw new EvidenceParseError('cca', msg);
};

function cbor(bytes: Uint8Array, what: string): unknown {
  try {
    // Tags stay Tag objects (no global decoders); maps are Maps; original encodings are kept.
    return decode(bytes, { preferMap: true, saveOriginal: true, ignoreGlobalTags: true, rejectDuplicateKeys: true });
  } catch (e) {
    return fail(`${what}: bad CBOR (${(e as Error).message})`);
  }
}

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;

function bytesClaim(m: Map<unknown, unknown>, key: number, what: string, len?: readonly number[]): Uint8Array {
  const v = m.get(key);
  if (!isBytes(v)) return fail(`${what}: claim ${key} must be a byte string`);
  if (len !== undefined && !len.includes(v.length)) return fail(`${what}: claim ${key} must be ${len.join(' or ')} bytes, got ${v.length}`);
  return v;
}

function textClaim(m: Map<unknown, unknown>, key: number, what: string, optional: true): string | null;
function textClaim(m: Map<unknown, unknown>, key: number, what: string): string;
function textClaim(m: Map<unknown, unknown>, key: number, what: string, optional = false): string | null {
  const v = m.get(key);
  if (v === undefined && optional) return null;
  if (typeof v !== 'string') return fail(`${what}: claim ${key} must be a text string`);
  return v;
}

/** Parses a COSE_Sign1 (tagged 18 or not) from bytes or an already-decoded value. */
export function parseCoseSign1(v: unknown, what: string): CoseSign1 {
  const arr = v instanceof Tag ? (v.tag === COSE_SIGN1_TAG ? v.contents : fail(`${what}: tag ${String(v.tag)} is not COSE_Sign1 (18)`)) : v;
  if (!Array.isArray(arr) || arr.length !== 4) return fail(`${what}: COSE_Sign1 must be an array of 4`);
  const [prot, unprot, payload, signature] = arr as unknown[];
  if (!isBytes(prot) || !(unprot instanceof Map) || !isBytes(payload) || !isBytes(signature)) return fail(`${what}: malformed COSE_Sign1`);
  const hdr = prot.length === 0 ? new Map() : cbor(prot, `${what} protected header`);
  if (!(hdr instanceof Map)) return fail(`${what}: protected header must be a map`);
  const alg = hdr.get(1);
  if (typeof alg !== 'number') return fail(`${what}: protected header lacks alg (1)`);
  return { protectedBytes: prot, alg, payload, signature };
}

const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

function parseRak(v: unknown): Pick<RealmClaims, 'rakBytes' | 'rakEncoding' | 'rakJwk'> {
  if (isBytes(v) && v.length === 97 && v[0] === 4) {
    return { rakBytes: v, rakEncoding: 'sec1-uncompressed-p384', rakJwk: { kty: 'EC', crv: 'P-384', x: b64u(v.subarray(1, 49)), y: b64u(v.subarray(49)) } };
  }
  // A COSE_Key, either as a map in the claims or wrapped in a byte string.
  let raw: Uint8Array | undefined;
  let key: unknown = v;
  if (isBytes(v)) {
    raw = v;
    key = cbor(v, 'realm RAK');
  } else raw = getEncoded(v);
  if (!(key instanceof Map) || raw === undefined) return fail('realm: RAK (44237) is neither a P-384 point nor a COSE_Key');
  const x = key.get(-2);
  const y = key.get(-3);
  if (key.get(1) !== 2 || key.get(-1) !== 2 || !isBytes(x) || !isBytes(y) || x.length !== 48 || y.length !== 48) return fail('realm: RAK COSE_Key must be EC2 P-384');
  return { rakBytes: raw, rakEncoding: 'cose-key-p-384', rakJwk: { kty: 'EC', crv: 'P-384', x: b64u(x), y: b64u(y) } };
}

function parseRealmClaims(payload: Uint8Array): RealmClaims {
  const m = cbor(payload, 'realm claims');
  if (!(m instanceof Map)) return fail('realm claims must be a map');
  const rems = m.get(44239);
  if (!Array.isArray(rems) || rems.length !== 4 || !rems.every((x) => isBytes(x) && [32, 48, 64].includes(x.length))) return fail('realm: REMs (44239) must be 4 digests');
  return {
    profile: textClaim(m, 265, 'realm', true),
    challenge: bytesClaim(m, 10, 'realm', [64]),
    personalizationValue: bytesClaim(m, 44235, 'realm', [64]),
    hashAlg: textClaim(m, 44236, 'realm'),
    ...parseRak(m.get(44237)),
    rakHashAlg: textClaim(m, 44240, 'realm'),
    rim: bytesClaim(m, 44238, 'realm', [32, 48, 64]),
    rems: rems as Uint8Array[],
  };
}

function parsePlatformClaims(payload: Uint8Array): PlatformClaims {
  const m = cbor(payload, 'platform claims');
  if (!(m instanceof Map)) return fail('platform claims must be a map');
  const lc = m.get(2395);
  return {
    profile: textClaim(m, 265, 'platform', true),
    challenge: bytesClaim(m, 10, 'platform', [32, 48, 64]),
    implementationId: bytesClaim(m, 2396, 'platform'),
    instanceId: bytesClaim(m, 256, 'platform'),
    lifecycle: typeof lc === 'number' ? lc : null,
  };
}

/** Unwraps a collection member: a bstr (legacy 399) or [263, bstr] (CMW 907). */
function member(v: unknown, tag: number, what: string): Uint8Array {
  if (tag === CCA_CMW_TAG) {
    if (!Array.isArray(v) || v.length !== 2 || v[0] !== CMW_CCA_CONTENT_FORMAT || !isBytes(v[1])) return fail(`${what}: CMW entry must be [263, bstr]`);
    return v[1];
  }
  if (!isBytes(v)) return fail(`${what}: must be a byte string`);
  return v;
}

/** Parses a CCA token (tag 399 or 907 collection, or a bare tag-18 platform token). */
export function parseCcaToken(bytes: Uint8Array): CcaToken {
  const top = cbor(bytes, 'token');
  if (!(top instanceof Tag)) return fail('token must be tagged (399, 907 or 18)');
  const tag = Number(top.tag);
  if (tag === COSE_SIGN1_TAG) {
    const platform = parseCoseSign1(top, 'platform token');
    return { envelopeTag: tag, platform, platformClaims: parsePlatformClaims(platform.payload) };
  }
  if (tag !== CCA_LEGACY_TAG && tag !== CCA_CMW_TAG) return fail(`unknown envelope tag ${tag}`);
  if (!(top.contents instanceof Map)) return fail('collection must be a map');
  const p = top.contents.get(PLATFORM_KEY);
  const r = top.contents.get(REALM_KEY);
  if (p === undefined || r === undefined) return fail('collection needs a platform (44234) and a realm (44241) token');
  const platform = parseCoseSign1(cbor(member(p, tag, 'platform token'), 'platform token'), 'platform token');
  const realm = parseCoseSign1(cbor(member(r, tag, 'realm token'), 'realm token'), 'realm token');
  return { envelopeTag: tag, platform, platformClaims: parsePlatformClaims(platform.payload), realm, realmClaims: parseRealmClaims(realm.payload) };
}
