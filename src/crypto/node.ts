/**
 * The fast provider on node:crypto (OpenSSL): ~25× faster X25519 than pure JS, which the agent's
 * bootstrap of many edges needs. Raw keys are wrapped in fixed DER prefixes (PKCS#8 / SPKI) because
 * node:crypto imports X25519/Ed25519 keys only in those containers or JWK.
 */
import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  randomBytes,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { type CryptoProvider, bytesEqual, checkLength, checkedX25519 } from './provider.js';

const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex');
const ED25519_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED25519_SPKI = Buffer.from('302a300506032b6570032100', 'hex');

const CURVE: Record<string, 'X25519' | 'Ed25519'> = {
  [X25519_PKCS8.toString('hex')]: 'X25519',
  [ED25519_PKCS8.toString('hex')]: 'Ed25519',
  [X25519_SPKI.toString('hex')]: 'X25519',
  [ED25519_SPKI.toString('hex')]: 'Ed25519',
};
const b64u = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');

/**
 * Raw keys enter OpenSSL fastest as JWK (node builds those with EVP_PKEY_new_raw_*_key; DER goes
 * through OpenSSL 3's generic decoders, ~1 ms a key here, more than the DH itself). A private JWK
 * needs an `x` member that node type-checks but does not use (the key comes from `d`); rather than
 * rely on that unchecked, `jwkPrivateOk` proves it at load on the RFC 7748 vector, and the DER path
 * is used when the proof fails. (Approach from the agent branch, merged here.)
 */
function privDer(prefix: Buffer, raw: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([prefix, raw]), format: 'der', type: 'pkcs8' });
}
function privJwk(prefix: Buffer, raw: Uint8Array): KeyObject {
  return createPrivateKey({ key: { kty: 'OKP', crv: CURVE[prefix.toString('hex')] as string, d: b64u(raw), x: b64u(new Uint8Array(32)) }, format: 'jwk' });
}
const jwkPrivateOk: boolean = (() => {
  try {
    const alice = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex');
    const x = createPublicKey(privJwk(X25519_PKCS8, alice)).export({ format: 'jwk' }).x;
    return x === Buffer.from('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a', 'hex').toString('base64url');
  } catch {
    return false;
  }
})();
function importPriv(prefix: Buffer, raw: Uint8Array): KeyObject {
  return jwkPrivateOk ? privJwk(prefix, raw) : privDer(prefix, raw);
}

/**
 * Long-lived keys (Ed25519 signing seeds, peers' public keys) are used over and over when a node
 * keys many edges, so their KeyObjects are cached by their bytes (bounded, oldest dropped first).
 * Ephemeral X25519 secrets are never put in that cache, so a finished handshake leaves no DH
 * secret behind (forward secrecy): their KeyObject lives in a WeakMap on the secret's buffer.
 */
const KEY_CACHE_MAX = 4096;
const keyCache = new Map<string, KeyObject>();
function cached(tag: string, raw: Uint8Array, make: () => KeyObject): KeyObject {
  const k = tag + Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('hex');
  let v = keyCache.get(k);
  if (v === undefined) {
    v = make();
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value as string);
    keyCache.set(k, v);
  }
  return v;
}
const xPrivs = new WeakMap<Uint8Array, { readonly raw: Uint8Array; readonly key: KeyObject }>();
function priv(prefix: Buffer, raw: Uint8Array): KeyObject {
  if (prefix === ED25519_PKCS8) return cached('e', raw, () => importPriv(prefix, raw));
  // X25519: remembered per secret buffer, checked against a copy in case the buffer changed.
  const hit = xPrivs.get(raw);
  if (hit !== undefined && bytesEqual(hit.raw, raw)) return hit.key;
  const key = importPriv(prefix, raw);
  xPrivs.set(raw, { raw: raw.slice(), key });
  return key;
}
function pub(prefix: Buffer, raw: Uint8Array): KeyObject {
  const crv = CURVE[prefix.toString('hex')] as string;
  return cached(crv, raw, () => createPublicKey({ key: { kty: 'OKP', crv, x: b64u(raw) }, format: 'jwk' }));
}
const publicOf = new WeakMap<KeyObject, Uint8Array>();
function rawPublic(k: KeyObject): Uint8Array {
  let p = publicOf.get(k);
  if (p === undefined) {
    p = new Uint8Array(Buffer.from(createPublicKey(k).export({ format: 'jwk' }).x as string, 'base64url'));
    publicOf.set(k, p);
  }
  return p.slice();
}
const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

export const nodeCrypto: CryptoProvider = {
  name: 'node',
  x25519Generate() {
    // 32 random bytes are a valid X25519 secret (RFC 7748 clamps on use). Not generateKeyPairSync:
    // on Node 20 its key's JWK export could deadlock the main thread against the GC (see
    // src/make/README.md); this is the path every handshake takes.
    const secret = new Uint8Array(randomBytes(32));
    return { secret, publicKey: this.x25519Public(secret) };
  },
  x25519Public(secret) {
    checkLength('X25519 secret', secret, 32);
    return rawPublic(priv(X25519_PKCS8, secret));
  },
  x25519(secret, peerPublic) {
    return checkedX25519(secret, peerPublic, () => u8(diffieHellman({ privateKey: priv(X25519_PKCS8, secret), publicKey: pub(X25519_SPKI, peerPublic) })));
  },
  ed25519Public(seed) {
    checkLength('Ed25519 seed', seed, 32);
    return rawPublic(priv(ED25519_PKCS8, seed));
  },
  ed25519Sign(seed, message) {
    checkLength('Ed25519 seed', seed, 32);
    return u8(sign(null, message, priv(ED25519_PKCS8, seed)));
  },
  ed25519Verify(publicKey, message, signature) {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    try {
      return verify(null, message, pub(ED25519_SPKI, publicKey), signature);
    } catch {
      return false;
    }
  },
  sha256: (d) => u8(createHash('sha256').update(d).digest()),
  sha512: (d) => u8(createHash('sha512').update(d).digest()),
  hmacSha256: (k, d) => u8(createHmac('sha256', k).update(d).digest()),
  hkdfSha256: (ikm, salt, info, length) => new Uint8Array(hkdfSync('sha256', ikm, salt, info, length)),
  randomBytes: (n) => u8(randomBytes(n)),
};
