import { AttestflowError } from '../../errors.js';

/**
 * Evidence bytes that do not follow the platform's structure (truncated, wrong version, lengths that
 * point outside the buffer). `code` is `attestation.parse`; details name the platform and offset.
 */
export class EvidenceParseError extends AttestflowError {
  constructor(platform: string, message: string, details?: Record<string, unknown>) {
    super('attestation.parse', `${platform}: ${message}`, { platform, ...details });
  }
}

/**
 * Evidence parsed but a cryptographic check failed. `code` is `attestation.verify.<check>`, where
 * `<check>` is the check name of `../shared/vectors/README.md` (e.g. `report_signature`).
 */
export class EvidenceVerifyError extends AttestflowError {
  readonly check: string;
  readonly failingChecks: readonly string[];
  constructor(platform: string, failingChecks: readonly string[], message: string) {
    const first = failingChecks[0] ?? 'unknown';
    super(`attestation.verify.${first}`, `${platform}: ${message}`, { platform, failingChecks: [...failingChecks] });
    this.check = first;
    this.failingChecks = failingChecks;
  }
}

/** Inputs a verifier needs are missing or unreadable (certificate files, keys, options). */
export class VerifierInputError extends AttestflowError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('attestation.input', message, details);
  }
}
