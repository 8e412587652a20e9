/**
 * The crypto the MAKE machines use, as an interface over an opaque value type. The real
 * implementation passes bytes (`bytesCrypto`, src/make/bytes-crypto.ts); the model checker passes symbolic terms.
 * The machines never look inside a value: they only combine values through these operations and
 * compare them with `equal`, which is what lets one machine definition serve both.
 */

/** A value the machines carry but never inspect: bytes in the implementation, a term in the model. */
export type MakeValue = unknown;

/** One field of a hashed or MACed structure: an opaque value, a string, or a non-negative integer. */
export type Part<V = MakeValue> = V | string | number;

/**
 * The crypto operations of MAKE. Methods (not function properties) on purpose: method parameters
 * are bivariant, so a `MakeCrypto<Uint8Array>` can be passed where the machines expect
 * `MakeCrypto<MakeValue>`.
 */
export interface MakeCrypto<V = MakeValue> {
  /** X25519 public share of an ephemeral secret. */
  dhPublic(secret: V): V;
  /** X25519 shared secret, or undefined when the peer's share is invalid (all-zero output). */
  dh(secret: V, peerShare: V): V | undefined;
  /** 32-byte transcript hash of a labelled structure (SHA-256 over its canonical CBOR). */
  hash(label: string, parts: readonly Part<V>[]): V;
  /** 64 bytes of evidence report data for a labelled structure (SHA-512 over its canonical CBOR). */
  reportData(label: string, parts: readonly Part<V>[]): V;
  /** HKDF-SHA-256: extract with `salt` from `ikm`, expand `length` bytes for `label`. */
  kdf(ikm: V, salt: V, label: string, length: number): V;
  /** HMAC-SHA-256 under `key` of a labelled structure. */
  mac(key: V, label: string, parts: readonly Part<V>[]): V;
  /** Equality of two values (constant-time for bytes). */
  equal(a: V, b: V): boolean;
}
