import { EvidenceVerifyError } from './errors.js';

/**
 * The outcome of checking one piece of evidence: every check by name (true or false), the decoded
 * fields, and the verdict. Names and encodings follow `../shared/vectors/README.md` so results can be
 * compared with the corpus and with other implementations. `valid` = every check passed.
 */
export type Verdict = 'valid' | 'invalid';

/** A JSON value (the decoded fields are plain JSON). */
export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

export interface CheckReport {
  readonly platform: 'snp' | 'tdx' | 'tdx-collateral' | 'cca';
  readonly verdict: Verdict;
  /** Every check that was computed, in evaluation order. */
  readonly checks: Readonly<Record<string, boolean>>;
  /** Names of the checks that failed, in evaluation order. */
  readonly failingChecks: readonly string[];
  /** Decoded fields; null when the evidence did not parse. */
  readonly fields: { readonly [k: string]: Json } | null;
  /** Why parsing failed (only when check `parse` is false). */
  readonly parseError?: string;
  /** Why each failing check failed, by check name. */
  readonly reasons: Readonly<Record<string, string>>;
}

/** Collects checks in order, with a reason for each failure. */
export class Checks {
  readonly results: Record<string, boolean> = {};
  readonly reasons: Record<string, string> = {};

  set(name: string, ok: boolean, reason?: string): boolean {
    this.results[name] = ok;
    if (!ok) this.reasons[name] = reason ?? `${name} failed`;
    return ok;
  }

  report(platform: CheckReport['platform'], fields: CheckReport['fields'], parseError?: string): CheckReport {
    const failingChecks = Object.entries(this.results)
      .filter(([, ok]) => !ok)
      .map(([k]) => k);
    return {
      platform,
      verdict: failingChecks.length === 0 ? 'valid' : 'invalid',
      checks: { ...this.results },
      failingChecks,
      fields,
      ...(parseError !== undefined ? { parseError } : {}),
      reasons: { ...this.reasons },
    };
  }
}

/** Throws {@link EvidenceVerifyError} naming the failing checks, unless every check passed. */
export function assertValid(r: CheckReport): void {
  if (r.verdict === 'valid') return;
  const first = r.failingChecks[0] ?? 'unknown';
  throw new EvidenceVerifyError(r.platform, r.failingChecks, `check ${first} failed: ${r.parseError ?? r.reasons[first] ?? ''}`.trim());
}
