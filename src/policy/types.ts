/**
 * The workflow policy model: what the parties agree on. A {@link PolicyDocument} is the validated,
 * normalized form of a policy file (lowercase hex, roles resolved to bytes, defaults filled in);
 * its canonical digest is bound into every MAKE handshake.
 */
import type { Platform } from '../attestation/types.js';

/** The transport protocols an edge may carry. */
export type EdgeProtocol = 'tcp' | 'udp';

/** A trusted attestation root. Hardware roots are pinned in code; `sim` needs its public key here. */
export interface TrustedRoot {
  readonly platform: Platform;
  /** sim: Ed25519 public key of the software TEE root (lowercase hex, 32 bytes). */
  readonly publicKey?: string;
  /** SHA-256 of a root certificate (lowercase hex), narrowing a hardware platform to that root. */
  readonly fingerprint?: string;
}

/** A party to the workflow; approves versions with Ed25519 signatures over the digest. */
export interface Owner {
  readonly name: string;
  /** Ed25519 public key, lowercase hex, 32 bytes. */
  readonly publicKey: string;
}

/** Which owners' signatures activate a version. */
export interface ApprovalRule {
  /** Owners whose signatures count, sorted. */
  readonly owners: readonly string[];
  /** How many distinct owners of `owners` must sign (defaults to all of them). */
  readonly threshold: number;
}

/** How a component's launch-time role was written in the file. */
export type RoleSpec = { readonly name: string } | { readonly hex: string };

/** One component of the workflow: a TEE with its reference values. */
export interface Component {
  readonly name: string;
  readonly owner: string;
  readonly platform: Platform;
  /** Accepted measurements, lowercase hex, sorted. */
  readonly measurements: readonly string[];
  /** The role field's exact bytes (lowercase hex, the platform's full field length). */
  readonly role: string;
  /** The role's name when the file gave one (documentation only; the bytes are what counts). */
  readonly roleName?: string;
  readonly minTcb?: string;
  /** TDX: accepted TCB statuses from collateral, sorted (see `ReferenceValues.acceptedTcbStatuses`). */
  readonly acceptedTcbStatuses?: readonly string[];
  readonly allowDebug: boolean;
  readonly signingKeys?: readonly string[];
  /** IPv4 address on the workflow network, when the policy pins it. */
  readonly address?: string;
}

/** A directed edge `from → to`: `from` initiates MAKE and connects to `to`'s service. */
export interface Edge {
  /** `from->to`, the identifier MAKE and the data plane use. */
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly protocol: EdgeProtocol;
  readonly port: number;
}

/** A secret held by one component and released only to the components named. */
export interface Secret {
  readonly name: string;
  readonly holder: string;
  /** Sorted. */
  readonly releaseTo: readonly string[];
}

/** A validated, normalized policy. Arrays are sorted so equal meaning gives equal values. */
export interface PolicyDocument {
  readonly workflow: { readonly name: string; readonly version: number };
  readonly rekeyIntervalSeconds: number;
  readonly trustedRoots: readonly TrustedRoot[];
  readonly owners: readonly Owner[];
  readonly approval: ApprovalRule;
  readonly components: readonly Component[];
  readonly edges: readonly Edge[];
  readonly secrets: readonly Secret[];
}

/** One problem found in a policy file, with where it is. */
export interface PolicyProblem {
  readonly file: string;
  /** 1-based line and column. */
  readonly line: number;
  readonly column: number;
  /** Stable short code, e.g. `unknown-component`, `bad-hex-length`, `unknown-field`. */
  readonly code: string;
  readonly message: string;
}

/** The default rekey interval when the policy does not set one. */
export const DEFAULT_REKEY_INTERVAL_SECONDS = 3600;

/** The edge identifier for `from → to`. Component names cannot contain `>`, so it is unambiguous. */
export const edgeId = (from: string, to: string): string => `${from}->${to}`;
