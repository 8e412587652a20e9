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
    kdf: (ikm, salt, label, length) => provider.hkdfSha256(bytes(ikm, 'ikm'), bytes(salt, 'salt'), utf8.encode(label), length),
    mac: (key, label, parts) => provider.hmacSha256(bytes(key, 'key'), encodeParts(label, parts)),
    equal: (a, b) => a instanceof Uint8Array && b instanceof Uint8Array && bytesEqual(a, b),
  };
}
