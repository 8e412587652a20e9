/** Sim evidence errors, with the code scheme of the hardware verifiers (attestation.parse / .verify.<check>). */
import { AttestflowError } from '../../errors.js';

export class SimEvidenceError extends AttestflowError {}

export const simParseError = (message: string, details?: Record<string, unknown>) =>
  new SimEvidenceError('attestation.parse', `sim: ${message}`, { platform: 'sim', ...details });

export const simVerifyError = (check: string, message: string) =>
  new SimEvidenceError(`attestation.verify.${check}`, `sim: ${message}`, { platform: 'sim', check });
