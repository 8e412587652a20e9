/**
 * Contracts shared by attesters, verifiers, appraisal and their users (MAKE, release, agent).
 * Only `src/attestation/` parses evidence; everyone else sees {@link Claims}.
 */

/** The TEE platforms attestflow understands. `sim` is the software TEE for development. */
export type Platform = 'snp' | 'tdx' | 'cca' | 'sim';

/** Evidence as produced by an attester: the platform's own bytes plus any certificates it carries. */
export interface Evidence {
  readonly platform: Platform;
  /** The report / quote / token, exactly as the platform produced it. */
  readonly data: Uint8Array;
  /** Optional supporting material (e.g. a VCEK or certificate chain), by name. */
  readonly auxiliary?: Readonly<Record<string, Uint8Array>>;
}

/** Makes evidence whose report data is the given 64 bytes. */
export interface Attester {
  readonly platform: Platform;
  attest(reportData: Uint8Array): Promise<Evidence>;
}

/** What verified evidence says, platform-neutral. Byte strings are lowercase hex. */
export interface Claims {
  readonly platform: Platform;
  /** SNP MEASUREMENT, TDX MRTD, CCA RIM, sim measurement. */
  readonly measurement: string;
  /**
   * The launch-time role field: SNP HOST_DATA (32 B), TDX MRCONFIGID (48 B), CCA personalization
   * value (64 B), sim role (32 B). Compared byte for byte with the policy's reference value.
   */
  readonly role: string;
  /** The 64 bytes of report data the evidence commits to. */
  readonly reportData: string;
  /** True when the TEE runs in debug mode (its memory is readable by the host). */
  readonly debug: boolean;
  /** Platform TCB / security version, when the platform has one (hex of the platform's encoding). */
  readonly tcb?: string;
  /**
   * Identity of the key that signed the evidence (e.g. sim root fingerprint). For SNP and TDX: the
   * SHA-256 of the vendor root certificate the chain ends in; for CCA: the SHA-256 of the CPAK's SPKI.
   */
  readonly signer?: string;
  /** Further decoded fields, for logs and audit. */
  readonly extra?: Readonly<Record<string, string | number | boolean>>;
}

/** What the policy accepts for one component. Byte strings are lowercase hex. */
export interface ReferenceValues {
  readonly platform: Platform;
  /** Accepted measurements (any one matches). */
  readonly measurements: readonly string[];
  /** Required launch-time role field, full field length for the platform. */
  readonly role: string;
  /** Minimum TCB (platform encoding), when the platform has one. */
  readonly minTcb?: string;
  /** Debug TEEs are refused unless this is true. */
  readonly allowDebug?: boolean;
  /** Accepted signer identities (see {@link Claims.signer}); any when absent. */
  readonly signingKeys?: readonly string[];
  /**
   * Accepted platform TCB statuses from verified collateral (TDX: `UpToDate`, `SWHardeningNeeded`,
   * ...; see `Claims.extra.tcbStatus`); not checked when absent.
   */
  readonly acceptedTcbStatuses?: readonly string[];
}

/** Checks evidence cryptographically and decodes it into {@link Claims}; throws a typed error. */
export interface Verifier {
  readonly platform: Platform;
  verify(evidence: Evidence, options?: { now?: Date }): Promise<Claims>;
}
