// How user-preload loads and writes are retried inside one activity: a policy with exponential
// backoff, as a Temporal retry policy would have, and the loop that applies it. Pure (the waiting
// is passed in), so workflows can size timeouts from it and tests can run it without a clock.

/**
 * How a preload retries one load (and one write) inside its activity: attempts with exponential
 * backoff, as a Temporal retry policy would. A login waits on these, so retries are few and quick.
 */
export interface LoadRetryPolicy {
  /** Attempts in all, the first included; at least 1. */
  maximumAttempts: number;
  /** Wait before the second attempt, in ms. */
  initialIntervalMs: number;
  /** Each further wait is the previous one times this; at least 1. */
  backoffCoefficient: number;
  /** Longest wait between two attempts, in ms. */
  maximumIntervalMs: number;
}

/** Wait after failed attempt `attempt` (1-based) before the next one, in ms. */
export function retryDelayMs(policy: LoadRetryPolicy, attempt: number): number {
  return Math.min(policy.maximumIntervalMs, policy.initialIntervalMs * policy.backoffCoefficient ** (attempt - 1));
}

/**
 * Runs `attempt` until it succeeds, fails with a failure `retryable` refuses, or has run
 * `policy.maximumAttempts` times; waits `retryDelayMs` between attempts through `wait`.
 */
export async function withRetries<T>(
  policy: LoadRetryPolicy,
  attempt: (attempt: number) => Promise<T>,
  options: { retryable: (err: unknown) => boolean; wait: (ms: number) => Promise<void> },
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (n >= policy.maximumAttempts || !options.retryable(err)) throw err;
      await options.wait(retryDelayMs(policy, n));
    }
  }
}
