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
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { type CryptoProvider, checkLength, isAllZero, lowOrder } from './provider.js';

const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex');
const ED25519_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED25519_SPKI = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * Importing a key costs far more than using it (PKCS#8 DER import ~1–3 ms here, an X25519 ~0.2 ms),
 * so key objects are cached by their raw bytes. Bounded; oldest dropped first.
 */
class KeyCache {
  private readonly m = new Map<string, KeyObject>();
  constructor(private readonly max: number) {}
  get(tag: string, raw: Uint8Array, make: () => KeyObject): KeyObject {
    const id = tag + Buffer.from(raw).toString('base64');
    let k = this.m.get(id);
    if (k === undefined) {
      k = make();
      this.m.set(id, k);
      if (this.m.size > this.max) this.m.delete(this.m.keys().next().value as string);
    }
    return k;
  }
  put(tag: string, raw: Uint8Array, k: KeyObject): void {
    this.get(tag, raw, () => k);
  }
}
const privCache = new KeyCache(4096);
const pubCache = new KeyCache(4096);

function priv(prefix: Buffer, raw: Uint8Array): KeyObject {
  return privCache.get(prefix === X25519_PKCS8 ? 'x' : 'e', raw, () => createPrivateKey({ key: Buffer.concat([prefix, raw]), format: 'der', type: 'pkcs8' }));
}
function pub(prefix: Buffer, raw: Uint8Array): KeyObject {
  // JWK import is several times faster than SPKI DER import in node 20.
  const crv = prefix === X25519_SPKI ? 'X25519' : 'Ed25519';
  return pubCache.get(crv, raw, () => createPublicKey({ key: { kty: 'OKP', crv, x: Buffer.from(raw).toString('base64url') }, format: 'jwk' }));
}
const publicOf = new WeakMap<KeyObject, Uint8Array>();
function rawPublic(k: KeyObject): Uint8Array {
  let p = publicOf.get(k);
  if (p === undefined) {
    const der = createPublicKey(k).export({ format: 'der', type: 'spki' });
    p = new Uint8Array(der.subarray(der.length - 32));
    publicOf.set(k, p);
  }
  return p.slice();
}
const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

export const nodeCrypto: CryptoProvider = {
  name: 'node',
  x25519Generate() {
    const { privateKey } = generateKeyPairSync('x25519');
    const jwk = privateKey.export({ format: 'jwk' });
    const secret = new Uint8Array(Buffer.from(jwk.d as string, 'base64url'));
    const publicKey = new Uint8Array(Buffer.from(jwk.x as string, 'base64url'));
    privCache.put('x', secret, privateKey);
    publicOf.set(privateKey, publicKey.slice());
    return { secret, publicKey };
  },
  x25519Public(secret) {
    checkLength('X25519 secret', secret, 32);
    return rawPublic(priv(X25519_PKCS8, secret));
  },
  x25519(secret, peerPublic) {
    checkLength('X25519 secret', secret, 32);
    checkLength('X25519 public key', peerPublic, 32);
    let out: Uint8Array;
    try {
      out = u8(diffieHellman({ privateKey: priv(X25519_PKCS8, secret), publicKey: pub(X25519_SPKI, peerPublic) }));
    } catch {
      // OpenSSL refuses an all-zero result ("failed during derivation").
      throw lowOrder();
    }
    if (isAllZero(out)) throw lowOrder();
    return out;
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
