/**
 * Why a handshake failed. Every failure ends a machine in its `failed` state with one of these
 * codes and nothing exported; the driver surfaces it as a {@link MakeError}.
 */
import { AttestflowError } from '../errors.js';

export const MAKE_FAILURE_CODES = [
  /** Peer speaks another protocol version. */
  'make.version',
  /** Peer offered a suite this side does not accept (suite downgrade). */
  'make.suite',
  /** Peer's policy version is older than ours (policy downgrade). */
  'make.policy-downgrade',
  /** Peer's policy digest differs from ours. */
  'make.policy-digest',
  /** The policy does not name the peer's component. */
  'make.unknown-component',
  /** The policy does not allow this edge. */
  'make.edge-not-allowed',
  /** Message 1 addressed a component this responder is not. */
  'make.wrong-responder',
  /** Peer nonce seen before or reflected (replay). */
  'make.replay',
  /** Peer's DH share is invalid (low order: all-zero shared secret). */
  'make.bad-share',
  /** Peer's evidence did not verify (detail: the verifier's error code). */
  'make.evidence',
  /** Evidence platform is not the one the policy names. */
  'make.platform',
  /** Evidence measurement is not accepted by the policy. */
  'make.measurement',
  /** Evidence comes from a debug TEE the policy does not allow. */
  'make.debug',
  /** Evidence signer is not one the policy accepts. */
  'make.signer',
  /** Evidence launch-time role differs from the policy's (diversion). */
  'make.role',
  /** Evidence report data does not commit to this transcript (replay or relay). */
  'make.report-data',
  /** Identity MAC wrong. */
  'make.bad-mac',
  /** Key confirmation wrong. */
  'make.bad-confirm',
  /** Peer component revoked. */
  'make.revoked',
  /** A message arrived that this state does not expect. */
  'make.unexpected-message',
  /** A message did not decode (detail: the wire error code). */
  'make.malformed',
  /** Our own attester failed (detail: its error code). */
  'make.attester',
  /** No answer in time. */
  'make.timeout',
  /** Connection failed or closed early (detail: cause). */
  'make.transport',
  /** Aborted locally (shutdown). */
  'make.aborted',
] as const;

export type MakeFailureCode = (typeof MAKE_FAILURE_CODES)[number];

/** The typed reason a machine records when it fails. */
export interface MakeFailure {
  readonly code: MakeFailureCode;
  /** Lower-level code or explanation (never a secret). */
  readonly detail?: string;
}

/** A failed handshake, as the driver reports it. */
export class MakeError extends AttestflowError {
  readonly failure: MakeFailure;
  constructor(failure: MakeFailure, message?: string, details?: Record<string, unknown>) {
    super(failure.code, message ?? describeFailure(failure), { ...details, detail: failure.detail });
    this.failure = failure;
  }
}

export function isMakeFailureCode(code: string): code is MakeFailureCode {
  return (MAKE_FAILURE_CODES as readonly string[]).includes(code);
}

export function describeFailure(f: MakeFailure): string {
  return `MAKE handshake failed: ${f.code}${f.detail !== undefined ? ` (${f.detail})` : ''}`;
}
