/**
 * attestflow — confidential workflows across mutually distrustful TEEs.
 *
 * Data flows one way: policy → (attestation + MAKE) → release → data plane. This module is the
 * public API; every export carries a doc comment. Concern modules add their exports below.
 */
export { AttestflowError, UsageError, isAttestflowError } from './errors.js';
export { VERSION } from './version.js';

// policy
/** Workflow policy model: the validated, normalized document and its parts. */
export type { PolicyDocument, Component, Edge, EdgeProtocol, Secret, Owner, TrustedRoot, ApprovalRule, PolicyProblem } from './policy/types.js';
/** Edge identifier `from->to` and the default rekey interval. */
export { edgeId, DEFAULT_REKEY_INTERVAL_SECONDS } from './policy/types.js';
/** Checks policy text (YAML): every problem at once with file:line:column, or the normalized document. */
export { checkPolicy, MEASUREMENT_BYTES, TCB_BYTES, type CheckOptions, type CheckResult } from './policy/check.js';
/** The compiled policy (implements MAKE's HandshakePolicy) and per-component plans for the agent and data plane. */
export {
  CompiledPolicy,
  referenceValuesOf,
  referenceValuesId,
  revocationsBetween,
  claimsMatchIdentity,
  type ComponentPlan,
  type EdgePlan,
  type RevokedIdentity,
} from './policy/compile.js';
/** Canonical form and digest of a policy (what MAKE binds and owners sign). */
export { policyDigest, policyDigestHex, canonicalJson, canonicalPolicy, DIGEST_LABEL } from './policy/canonical.js';
/** Canonical launch-time role derivation from a role name. */
export { roleFromName, roleBytesFromName, ROLE_FIELD_BYTES, ROLE_LABEL } from './policy/role.js';
/** Policy errors and problem formatting. */
export { PolicyError, formatProblem } from './policy/errors.js';
/** Where the published JSON Schema of the policy lives, and its content. */
export { POLICY_SCHEMA_URL, policySchema } from './policy/schema.js';
// release
/** The release/revocation decision machine (pure XState v5) and its types. */
export {
  releaseMachine,
  isRevokedIn,
  type ReleaseMachine,
  type ReleaseContext,
  type ReleaseInput,
  type ReleaseEvent,
  type ReleaseEffect,
  type ReleaseDefences,
  type ReleaseSecret,
  type ReleaseEdge,
  type ReleaseSession,
  type Revocation,
  type ReleasedSecret,
  type InstalledKey,
  type RefusalReason,
  type EndReason,
} from './release/machine.js';
