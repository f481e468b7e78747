// Counts the SETs Redis sees under a few key prefixes (keyspace events), so a workload can wait
// until a wave of warms has written every key, and give up after a timeout rather than hang.
import type { Redis } from 'ioredis';

export class KeyWrites {
  private readonly counts = new Map<string, number>();
  private waiter: { prefix: string; target: number; resolve: () => void } | undefined;
  /** Waits that ended by their timeout, not by their target. */
  timedOut = 0;

  private constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    prefixes: readonly string[],
  ) {
    for (const prefix of prefixes) this.counts.set(prefix, 0);
    subscriber.on('message', (_channel: string, key: string) => {
      const prefix = prefixes.find((p) => key.startsWith(p));
      if (prefix === undefined) return;
      const count = (this.counts.get(prefix) ?? 0) + 1;
      this.counts.set(prefix, count);
      if (this.waiter && this.waiter.prefix === prefix && count >= this.waiter.target) this.waiter.resolve();
    });
  }

  /** Turns on keyspace events for SETs on `redis` and listens for keys under `prefixes`. */
  static async start(redis: Redis, prefixes: readonly string[]): Promise<KeyWrites> {
    await redis.config('SET', 'notify-keyspace-events', 'E$');
    const subscriber = redis.duplicate();
    const writes = new KeyWrites(redis, subscriber, prefixes);
    await subscriber.subscribe('__keyevent@0__:set');
    return writes;
  }

  /** SETs seen under `prefix` so far. */
  count(prefix: string): number {
    return this.counts.get(prefix) ?? 0;
  }

  /** Resolves once `target` SETs under `prefix` were seen, or after `timeoutMs` (counted in `timedOut`). */
  until(prefix: string, target: number, timeoutMs: number, log: (message: string) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.count(prefix) >= target) return resolve();
      const timer = setTimeout(() => {
        this.timedOut++;
        log(`only ${this.count(prefix)} of ${target} writes under ${prefix} within ${timeoutMs / 1000} s`);
        resolve();
      }, timeoutMs);
      this.waiter = {
        prefix,
        target,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
  }

  async stop(): Promise<void> {
    await this.subscriber.quit().catch(() => undefined);
    await this.redis.config('SET', 'notify-keyspace-events', '');
  }
}
