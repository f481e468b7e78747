// Per-origin concurrency cap and rate limit, so warming can never flood an origin. Bottleneck
// does the queueing (a maintained, widely used limiter) rather than a hand-rolled semaphore.
import Bottleneck from 'bottleneck';
import type { WarmingLimits } from './limits';

export class OriginLimiter {
  private readonly limiters = new Map<string, Bottleneck>();

  constructor(private readonly limits: Pick<WarmingLimits, 'originConcurrency' | 'originRatePerSecond'>) {}

  /** Runs `load` when the origin has a free slot and rate budget. */
  schedule<T>(origin: string, load: () => Promise<T>): Promise<T> {
    return this.limiterFor(origin).schedule(load);
  }

  /** Loads queued or running per origin, for metrics and tests. */
  pending(origin: string): number {
    const limiter = this.limiters.get(origin);
    if (!limiter) return 0;
    const counts = limiter.counts();
    return (counts.QUEUED ?? 0) + (counts.RUNNING ?? 0) + (counts.EXECUTING ?? 0);
  }

  private limiterFor(origin: string): Bottleneck {
    let limiter = this.limiters.get(origin);
    if (!limiter) {
      const rate = this.limits.originRatePerSecond;
      limiter = new Bottleneck({
        maxConcurrent: this.limits.originConcurrency,
        // A token bucket refilled every second: bursts up to the rate, never more per second.
        ...(rate > 0 ? { reservoir: rate, reservoirRefreshAmount: rate, reservoirRefreshInterval: 1_000 } : {}),
      });
      this.limiters.set(origin, limiter);
    }
    return limiter;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.limiters.values()].map((limiter) => limiter.disconnect()));
    this.limiters.clear();
  }
}
