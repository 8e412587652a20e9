/**
 * Every failure attestflow reports on purpose is an {@link AttestflowError}: a stable machine-readable
 * `code` (used by the conformance suite, metrics and audit logs) plus a message a person can act on.
 * Each concern subclasses it with its own codes; nothing else should be thrown across module boundaries.
 */
export class AttestflowError extends Error {
  /** Stable, machine-readable reason, e.g. `wire.trailing-bytes` or `make.bad-mac`. */
  readonly code: string;
  /** Optional structured details for logs (never secrets). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** Wrong command-line usage: the CLI exits with status 2. */
export class UsageError extends AttestflowError {
  constructor(message: string) {
    super('cli.usage', message);
  }
}

/** True when `e` is an attestflow error, optionally with the given code. */
export function isAttestflowError(e: unknown, code?: string): e is AttestflowError {
  return e instanceof AttestflowError && (code === undefined || e.code === code);
}
