// Resource limits for loaders, with documented defaults spread first and checked once.

/** What loads may cost the origins and the worker; `createWorker({ limits })` overrides any of them. */
export interface WarmingLimits {
  /**
   * Loads in flight per origin, per worker process.
   * @default 8
   */
  originConcurrency: number;
  /**
   * Loads started per second per origin, per worker process; 0 means no rate limit.
   * @default 100
   */
  originRatePerSecond: number;
  /**
   * Largest value a loader may return, in bytes; larger ones fail without retry.
   * @default 5242880 (5 MiB)
   */
  maxValueBytes: number;
  /**
   * Loader timeout when the loader spec sets no `timeoutSeconds`, in milliseconds.
   * @default 30000
   */
  loaderTimeoutMs: number;
}

export const DEFAULT_LIMITS: WarmingLimits = {
  originConcurrency: 8,
  // 8 loads a login (session, navigation, a forms list, 5 forms) at 10 logins/s leave 20/s for warms.
  originRatePerSecond: 100,
  maxValueBytes: 5 * 1024 * 1024,
  loaderTimeoutMs: 30_000,
};

export function resolveLimits(overrides: Partial<WarmingLimits> = {}): WarmingLimits {
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  const positiveInt = (name: keyof WarmingLimits, min: number) => {
    const value = limits[name];
    if (!Number.isInteger(value) || value < min)
      throw new Error(`limits.${name} must be an integer >= ${min} (got ${value})`);
  };
  positiveInt('originConcurrency', 1);
  positiveInt('originRatePerSecond', 0);
  positiveInt('maxValueBytes', 1);
  positiveInt('loaderTimeoutMs', 1);
  return limits;
}
