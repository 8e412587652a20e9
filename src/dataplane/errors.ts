import { AttestflowError } from '../errors.js';

/**
 * A data-plane operation failed. Codes:
 * - `dataplane.bad-sa`: the SA to install is malformed (nothing was touched)
 * - `dataplane.exists`: an SA with that SPI and direction, or for that edge/direction/epoch, exists
 * - `dataplane.not-found`: nothing installed under that edge/direction/epoch
 * - `dataplane.no-slot`: every crypto-context slot is in use
 * - `dataplane.helper`: the native helper is missing or did not answer
 * - `dataplane.load`, `dataplane.attach`, `dataplane.kernel`: the kernel refused (errno in details)
 * Every failing operation is rolled back before the error is thrown.
 */
export class DataplaneError extends AttestflowError {}

/** One answer of the native helper, as JSON. */
export interface HelperReply {
  readonly ok: boolean;
  readonly op?: string;
  readonly errno?: number;
  readonly error?: string;
  readonly [k: string]: unknown;
}

/** Turns a failed helper reply into a typed error. */
export function kernelError(code: string, what: string, r: HelperReply): DataplaneError {
  return new DataplaneError(code, `${what}: ${r.error ?? 'failed'}`, { errno: r.errno, op: r.op });
}
