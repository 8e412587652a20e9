/**
 * Retry policy for handshakes: exponential backoff with full jitter (so N agents that failed
 * together do not retry together), a cap on the delay, and a bound on attempts per round. After
 * the bound the edge waits for the next epoch (or a policy update) before a fresh round: retries
 * stay bounded, and the cluster still converges once the fault is gone.
 */

export interface BackoffPolicy {
  /** Delay before the first retry, ms. */
  readonly baseMs: number;
  /** Growth factor per attempt. */
  readonly factor: number;
  /** Largest delay between attempts, ms. */
  readonly maxMs: number;
  /** Attempts per round, including the first. */
  readonly maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({ baseMs: 100, factor: 2, maxMs: 5_000, maxAttempts: 8 });

/**
 * Delay before attempt `attempt + 1` after `attempt` failures (attempt ≥ 1), or undefined when the
 * round's attempts are used up. `random` in [0, 1) gives the jitter; injectable for tests.
 */
export function nextDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number | undefined {
  if (attempt >= policy.maxAttempts) return undefined;
  const ceiling = Math.min(policy.maxMs, policy.baseMs * policy.factor ** (attempt - 1));
  // Full jitter, but never below a tenth of the ceiling, so a retry storm cannot degenerate to 0 ms.
  return Math.round(ceiling * (0.1 + 0.9 * random()));
}

/** Validates a user-supplied policy (CLI flags); throws RangeError with the bad field. */
export function checkBackoff(p: BackoffPolicy): BackoffPolicy {
  if (!(p.baseMs > 0)) throw new RangeError('backoff baseMs must be > 0');
  if (!(p.factor >= 1)) throw new RangeError('backoff factor must be >= 1');
  if (!(p.maxMs >= p.baseMs)) throw new RangeError('backoff maxMs must be >= baseMs');
  if (!(Number.isInteger(p.maxAttempts) && p.maxAttempts >= 1)) throw new RangeError('backoff maxAttempts must be an integer >= 1');
  return p;
}
