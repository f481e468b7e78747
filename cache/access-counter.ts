// A cache client's access counting: reads are counted in memory and written in one batch each
// flush (usage buckets for the optimiser, the metadata `reads` of hits), so a read pays for no
// Redis write. Counts are best effort: a failed flush keeps them for the next, within a bound.
import type { Cluster, Redis } from 'ioredis';
import { callScript } from '../store/lua-scripts';
import type { RedisKeys } from '../store/redis-keys';
import type { RedisUsageTracker } from '../store/usage-tracker';
import { errorMessage } from '../core/one-line';

export interface AccessCounterOptions {
  flushIntervalMs: number;
  /** Keys buffered before a flush starts early, and the most kept after a failed one. */
  maxBufferedKeys: number;
  logger: { warn(message: string): void };
}

/** Buffered access and hit counts of one cache client, flushed on a timer and on demand. */
export class AccessCounter {
  /** Buffered accesses per key since the last flush. */
  private accesses = new Map<string, number>();
  /** Buffered hits per key since the last flush (the metadata `reads` field). */
  private hits = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private flushTail: Promise<void> = Promise.resolve();
  private flushRunning = false;
  /** Set while flushes fail, so a Redis outage is reported once, not every second. */
  private flushFailing = false;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: RedisKeys,
    private readonly usage: RedisUsageTracker,
    private readonly options: AccessCounterOptions,
  ) {
    this.timer = setInterval(() => {
      if (!this.flushRunning && this.accesses.size > 0) void this.flush();
    }, options.flushIntervalMs);
    this.timer.unref();
  }

  /** Counts one access to `key` (and one hit when the read found a value). */
  count(key: string, hit: boolean): void {
    this.accesses.set(key, (this.accesses.get(key) ?? 0) + 1);
    if (hit) this.hits.set(key, (this.hits.get(key) ?? 0) + 1);
    if (this.accesses.size >= this.options.maxBufferedKeys && !this.flushRunning) void this.flush();
  }

  /** Writes the buffered counts now, after any flush already running. Never rejects. */
  flush(): Promise<void> {
    const next = this.flushTail.then(() => this.flushOnce());
    this.flushTail = next;
    return next;
  }

  /** Stops the flush timer; what is buffered waits for a last `flush`. */
  stop(): void {
    clearInterval(this.timer);
  }

  private async flushOnce(): Promise<void> {
    if (this.accesses.size === 0 && this.hits.size === 0) return;
    const accesses = this.accesses;
    const hits = this.hits;
    this.accesses = new Map();
    this.hits = new Map();
    this.flushRunning = true;
    try {
      // Metadata hashes live in their values' slots: separate commands, which ioredis
      // autopipelines into one batch per node.
      const results = await Promise.allSettled([
        this.usage.record(accesses),
        ...[...hits].map(([key, n]) => callScript(this.redis, 'record-reads', [this.keys.meta(key)], [n])),
      ]);
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (!failure) {
        this.flushFailing = false;
        return;
      }
      if (!this.flushFailing) {
        this.flushFailing = true;
        this.options.logger.warn(
          `cache client: could not record access counts (will retry): ${errorMessage(failure.reason)}`,
        );
      }
      // Keep what failed for the next flush, unless that would grow the buffer without bound.
      if (results[0]?.status === 'rejected') requeue(this.accesses, accesses, this.options.maxBufferedKeys);
      [...hits].forEach((entry, i) => {
        if (results[i + 1]?.status === 'rejected') requeue(this.hits, new Map([entry]), this.options.maxBufferedKeys);
      });
    } finally {
      this.flushRunning = false;
    }
  }
}

function requeue(into: Map<string, number>, from: ReadonlyMap<string, number>, max: number): void {
  for (const [key, n] of from) {
    if (!into.has(key) && into.size >= max) continue; // dropped: counts are best effort
    into.set(key, (into.get(key) ?? 0) + n);
  }
}
