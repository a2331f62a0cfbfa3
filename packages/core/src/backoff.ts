/** How failed attempts are spaced out: exponential growth with jitter and a cap. */
export interface RetryPolicy {
  /** Delay before the second attempt, before jitter. */
  readonly initialDelayMs: number;
  /** Growth factor per further attempt. */
  readonly multiplier: number;
  /** Upper bound of any computed delay (before jitter is taken off). */
  readonly maxDelayMs: number;
  /** Fraction of the delay that is randomised away, 0 (none) to 1 ("full jitter"). */
  readonly jitter: number;
}

/** The default policy: 1 s, 2 s, 4 s … capped at 5 minutes, with 20 % jitter. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  initialDelayMs: 1_000,
  multiplier: 2,
  maxDelayMs: 300_000,
  jitter: 0.2,
};

/** The largest `retryAfterMs` a worker may ask for (one day). */
export const MAX_RETRY_AFTER_MS = 86_400_000;

/**
 * The delay before the next attempt after attempt number `failedAttempt` (1-based) failed.
 *
 * @param policy - the retry policy
 * @param failedAttempt - the attempt that just failed, 1 for the first
 * @param random - a number in [0, 1) from the `Ids` port; 0 takes no jitter off
 * @param retryAfterMs - the worker's own request, honoured as given (bounded by {@link MAX_RETRY_AFTER_MS})
 * @returns a whole number of milliseconds, never negative
 */
export function computeRetryDelayMs(
  policy: RetryPolicy,
  failedAttempt: number,
  random: number,
  retryAfterMs?: number,
): number {
  if (retryAfterMs !== undefined) {
    return Math.min(Math.max(0, Math.round(retryAfterMs)), MAX_RETRY_AFTER_MS);
  }
  const exponent = Math.max(0, failedAttempt - 1);
  const raw = policy.initialDelayMs * Math.pow(policy.multiplier, exponent);
  const capped = Math.min(raw, policy.maxDelayMs);
  const jitterFraction = Math.min(Math.max(policy.jitter, 0), 1) * Math.min(Math.max(random, 0), 1);
  return Math.max(0, Math.round(capped * (1 - jitterFraction)));
}

/**
 * The delays for every attempt number up to `maxAttempts`, indexed from attempt 1 at position 0.
 * The ledger picks the entry for the attempt that failed inside the completing statement, so the policy
 * stays here while the attempt counter stays in the database.
 */
export function retryDelaySchedule(
  policy: RetryPolicy,
  maxAttempts: number,
  random: () => number,
  retryAfterMs?: number,
): number[] {
  const schedule: number[] = [];
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    schedule.push(computeRetryDelayMs(policy, attempt, random(), retryAfterMs));
  }
  return schedule;
}

/** Field errors of a retry policy, empty when it is sound. */
export function checkRetryPolicy(policy: RetryPolicy): string[] {
  const problems: string[] = [];
  if (!Number.isFinite(policy.initialDelayMs) || policy.initialDelayMs < 0) {
    problems.push('initialDelayMs must be a number ≥ 0');
  }
  if (!Number.isFinite(policy.multiplier) || policy.multiplier < 1) {
    problems.push('multiplier must be a number ≥ 1');
  }
  if (!Number.isFinite(policy.maxDelayMs) || policy.maxDelayMs < policy.initialDelayMs) {
    problems.push('maxDelayMs must be a number ≥ initialDelayMs');
  }
  if (!Number.isFinite(policy.jitter) || policy.jitter < 0 || policy.jitter > 1) {
    problems.push('jitter must be between 0 and 1');
  }
  return problems;
}
