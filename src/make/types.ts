/**
 * Contracts between MAKE and the code around it: the policy view a handshake needs, the keys a
 * finished handshake exports for the data plane, and the defences that mutants switch off.
 */
import type { Claims, ReferenceValues } from '../attestation/types.js';

/** The part of the workflow policy a MAKE handshake binds and checks. */
export interface HandshakePolicy {
  /** Canonical policy digest (32 bytes), bound into every transcript. */
  readonly digest: Uint8Array;
  /** Policy version; a peer offering an older version is refused (no downgrade). */
  readonly version: number;
  /** Reference values of a component, or undefined when the policy does not name it. */
  referenceValues(component: string): ReferenceValues | undefined;
  /** True when the policy allows the directed edge from → to. */
  allowsEdge(from: string, to: string): boolean;
  /** True when the component was revoked (removed or its reference values changed). */
  isRevoked?(component: string, claims?: Claims): boolean;
}

/** One direction of an edge's ESP security association, as exported by MAKE (RFC 4309). */
export interface SaKeys {
  /** SPI chosen by the receiver of this direction (never 0–255). */
  readonly spi: number;
  /** AES key (16 bytes for the default suite). */
  readonly key: Uint8Array;
  /** 3-byte CCM salt (RFC 4309 §4). */
  readonly salt: Uint8Array;
}

/** Keys for one edge and epoch, identical on both ends of a finished handshake. */
export interface EdgeKeys {
  /** Edge identifier `from->to` as named in the policy (from = initiator). */
  readonly edge: string;
  readonly epoch: number;
  readonly initiatorToResponder: SaKeys;
  readonly responderToInitiator: SaKeys;
}

/**
 * The defences of MAKE and release. Every one is on in production; a mutant switches exactly one
 * off so the model checker and the conformance suite can show that the attack it stops succeeds.
 */
export interface Defences {
  transcriptBinding: boolean;
  roleBinding: boolean;
  nonceFreshness: boolean;
  policyDigest: boolean;
  keyConfirmation: boolean;
  appraisalBeforeRelease: boolean;
  revocationCheck: boolean;
}

/** All defences on. */
export const ALL_DEFENCES: Readonly<Defences> = Object.freeze({
  transcriptBinding: true,
  roleBinding: true,
  nonceFreshness: true,
  policyDigest: true,
  keyConfirmation: true,
  appraisalBeforeRelease: true,
  revocationCheck: true,
});
