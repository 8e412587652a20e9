import { AttestflowError } from '../errors.js';
import type { PolicyProblem } from './types.js';

/** Formats a problem as `file:line:column: error [code]: message` (the form editors jump to). */
export const formatProblem = (p: PolicyProblem): string => `${p.file}:${p.line}:${p.column}: error [${p.code}]: ${p.message}`;

/** A policy that cannot be used; `problems` lists every problem found (code `policy.invalid`). */
export class PolicyError extends AttestflowError {
  readonly problems: readonly PolicyProblem[];

  constructor(problems: readonly PolicyProblem[], message?: string, code = 'policy.invalid') {
    super(code, message ?? `the policy has ${problems.length} problem(s):\n${problems.map(formatProblem).join('\n')}`, {
      problems: problems.length,
    });
    this.problems = problems;
  }
}
