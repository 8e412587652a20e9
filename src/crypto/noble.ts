/** The reference provider: audited pure-JS @noble implementations. */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { type CryptoProvider, checkLength, checkedX25519 } from './provider.js';

export const nobleCrypto: CryptoProvider = {
  name: 'noble',
  x25519Generate() {
    const secret = x25519.utils.randomSecretKey();
    return { secret, publicKey: x25519.getPublicKey(secret) };
  },
  x25519Public(secret) {
    checkLength('X25519 secret', secret, 32);
    return x25519.getPublicKey(secret);
  },
  x25519(secret, peerPublic) {
    return checkedX25519(secret, peerPublic, () => x25519.getSharedSecret(secret, peerPublic));
  },
  ed25519Public(seed) {
    checkLength('Ed25519 seed', seed, 32);
    return ed25519.getPublicKey(seed);
  },
  ed25519Sign(seed, message) {
    checkLength('Ed25519 seed', seed, 32);
    return ed25519.sign(message, seed);
  },
  ed25519Verify(publicKey, message, signature) {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    try {
      // zip215 off: RFC 8032 strict decoding, as OpenSSL does.
      return ed25519.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
  sha256: (d) => sha256(d),
  sha512: (d) => sha512(d),
  hmacSha256: (k, d) => hmac(sha256, k, d),
  hkdfSha256: (ikm, salt, info, length) => hkdf(sha256, ikm, salt, info, length),
  randomBytes: (n) => new Uint8Array(nodeRandomBytes(n)),
};
