/**
 * The attestflow cipher suite as an interface, so the portable @noble implementation and the
 * faster node:crypto one are interchangeable. Both must give byte-identical results (tested).
 */
import { AttestflowError } from '../errors.js';

export interface CryptoProvider {
  readonly name: string;
  /** A fresh X25519 key pair (the fast provider keeps the key object for the shared secret). */
  x25519Generate(): { secret: Uint8Array; publicKey: Uint8Array };
  /** X25519 public key of a 32-byte secret (clamped as RFC 7748 says). */
  x25519Public(secret: Uint8Array): Uint8Array;
  /** X25519 shared secret; throws `crypto.low-order` when it is all zero (RFC 7748 §6.1). */
  x25519(secret: Uint8Array, peerPublic: Uint8Array): Uint8Array;
  /** Ed25519 public key of a 32-byte seed. */
  ed25519Public(seed: Uint8Array): Uint8Array;
  ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array;
  /** RFC 8032 verification (strict: non-canonical encodings are refused). Never throws. */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  sha256(data: Uint8Array): Uint8Array;
  sha512(data: Uint8Array): Uint8Array;
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** HKDF-SHA-256 (RFC 5869) extract-then-expand. */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  randomBytes(n: number): Uint8Array;
}

export class CryptoError extends AttestflowError {}

export function checkLength(what: string, b: Uint8Array, n: number): void {
  if (!(b instanceof Uint8Array) || b.length !== n) {
    throw new CryptoError('crypto.bad-length', `${what} must be ${n} bytes`, { got: b instanceof Uint8Array ? b.length : typeof b });
  }
}

export function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (const x of b) acc |= x;
  return acc === 0;
}

/** Constant-time equality of byte strings (length is not secret). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc |= (a[i] as number) ^ (b[i] as number);
  return acc === 0;
}

export function lowOrder(): CryptoError {
  return new CryptoError('crypto.low-order', 'X25519 shared secret is all zero (low-order peer share)');
}

/**
 * X25519 as every provider must behave: lengths checked, and an all-zero result (a low-order peer
 * share) refused as `crypto.low-order` whether the backend throws on it (noble, OpenSSL) or returns it.
 */
export function checkedX25519(secret: Uint8Array, peerPublic: Uint8Array, dh: () => Uint8Array): Uint8Array {
  checkLength('X25519 secret', secret, 32);
  checkLength('X25519 public key', peerPublic, 32);
  let out: Uint8Array;
  try {
    out = dh();
  } catch {
    throw lowOrder();
  }
  if (isAllZero(out)) throw lowOrder();
  return out;
}
