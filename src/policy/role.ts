/**
 * The launch-time role field, and the canonical derivation of its bytes from a role name.
 *
 * A role name `R` becomes the platform's role field as
 *   SHA-256("attestflow/role/v1\0" ‖ UTF-8(R))  for sim and snp (32 bytes: sim role, SNP HOST_DATA),
 *   SHA-384(same input)                          for tdx (48 bytes: MRCONFIGID),
 *   SHA-512(same input)                          for cca (64 bytes: personalization value).
 * The label makes the value specific to attestflow; the hash size matches the field, so the
 * launcher writes the digest as is. A policy may instead give the field's exact bytes in hex.
 */
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import type { Platform } from '../attestation/types.js';

/** Domain-separation label of the role derivation. */
export const ROLE_LABEL = 'attestflow/role/v1\0';

/** Length in bytes of each platform's launch-time role field. */
export const ROLE_FIELD_BYTES: Readonly<Record<Platform, number>> = Object.freeze({ sim: 32, snp: 32, tdx: 48, cca: 64 });

/** The role field bytes (lowercase hex) a component launched in role `name` carries on `platform`. */
export function roleFromName(platform: Platform, name: string): string {
  const input = utf8ToBytes(ROLE_LABEL + name);
  const n = ROLE_FIELD_BYTES[platform];
  const digest = n === 32 ? sha256(input) : n === 48 ? sha384(input) : sha512(input);
  return bytesToHex(digest);
}

/** The role field as raw bytes, for attesters that write it into launch configuration. */
export function roleBytesFromName(platform: Platform, name: string): Uint8Array {
  return hexToBytes(roleFromName(platform, name));
}
