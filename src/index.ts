/**
 * attestflow — confidential workflows across mutually distrustful TEEs.
 *
 * Data flows one way: policy → (attestation + MAKE) → release → data plane. This module is the
 * public API; every export carries a doc comment. Concern modules add their exports below.
 */
export { AttestflowError, UsageError, isAttestflowError } from './errors.js';
export { VERSION } from './version.js';
