/**
 * The machines' crypto over real bytes: transcript parts are encoded as one canonical CBOR array
 * `[label, ...parts]` (unambiguous, so no two structures hash alike), then hashed, HMACed or used
 * as HKDF info. Conformance vectors pin these bytes.
 */
import { bytesEqual, defaultCrypto, type CryptoProvider } from '../crypto/index.js';
import { isAttestflowError } from '../errors.js';
import { encodeCanonical } from '../wire/cbor.js';
import type { MakeCrypto, Part } from './machines/values.js';

function bytes(v: unknown, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new TypeError(`MAKE crypto: ${what} must be bytes`);
  return v.constructor === Uint8Array ? v : new Uint8Array(v);
}

function encodeParts(label: string, parts: readonly Part<Uint8Array>[]): Uint8Array {
  return encodeCanonical([label, ...parts.map((p) => (p instanceof Uint8Array ? bytes(p, 'part') : p))]);
}

const utf8 = new TextEncoder();

/**
 * HKDF-SHA-256 (RFC 5869) over the provider's HMAC. node's hkdfSync wraps both keys in KeyObjects
 * and runs a crypto job per call, measured here ~2× the cost of the two HMACs it amounts to; a
 * handshake derives 7 keys per side. Same bytes (conformance vectors pin them).
 */
function hkdf(provider: CryptoProvider, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 1 || length > 255 * 32) throw new RangeError('HKDF-SHA-256 length must be 1..8160');
  const prk = provider.hmacSha256(salt.length > 0 ? salt : new Uint8Array(32), ikm);
  const out = new Uint8Array(length);
  let t: Uint8Array = new Uint8Array(0);
  for (let i = 1, at = 0; at < length; i++) {
    const block = new Uint8Array(t.length + info.length + 1);
    block.set(t, 0);
    block.set(info, t.length);
    block[block.length - 1] = i;
    t = provider.hmacSha256(prk, block);
    out.set(t.subarray(0, Math.min(32, length - at)), at);
    at += 32;
  }
  return out;
}

export function bytesCrypto(provider: CryptoProvider = defaultCrypto): MakeCrypto<Uint8Array> {
  return {
    dhPublic: (secret) => provider.x25519Public(bytes(secret, 'secret')),
    dh(secret, share) {
      try {
        return provider.x25519(bytes(secret, 'secret'), bytes(share, 'share'));
      } catch (e) {
        if (isAttestflowError(e, 'crypto.low-order') || isAttestflowError(e, 'crypto.bad-length')) return undefined;
        throw e;
      }
    },
    hash: (label, parts) => provider.sha256(encodeParts(label, parts)),
    reportData: (label, parts) => provider.sha512(encodeParts(label, parts)),
    kdf: (ikm, salt, label, length) => hkdf(provider, bytes(ikm, 'ikm'), bytes(salt, 'salt'), utf8.encode(label), length),
    mac: (key, label, parts) => provider.hmacSha256(bytes(key, 'key'), encodeParts(label, parts)),
    equal: (a, b) => a instanceof Uint8Array && b instanceof Uint8Array && bytesEqual(a, b),
  };
}
