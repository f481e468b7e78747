// Usage patterns in Redis: accesses counted in per-minute sorted-set buckets that expire by
// themselves (bounded memory), read back as top-N hot keys and per-key frequencies over a window.
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { accessFrequencyPerMinute } from '../core/interval-policy';
import type { RedisKeys } from './redis-keys';
import { isWrongType, writeOverWrongType } from './redis-errors';

const MINUTE_MS = 60_000;

/** One key's accesses over a window. */
export interface KeyUsage {
  key: string;
  /** Accesses in the window. */
  count: number;
  /** `count / windowMinutes`. */
  frequencyPerMinute: number;
}

/** Where access counts are kept; the optimiser reads hot keys and frequencies from it. */
export interface UsageStore {
  /** Adds `counts` (cache key → accesses) to the minute containing `atMs` (default now). */
  record(counts: ReadonlyMap<string, number>, atMs?: number): Promise<void>;
  /**
   * The `n` most accessed keys over the `windowMinutes` minutes ending with the minute that
   * contains `nowMs` (default now), most accessed first.
   */
  topKeys(windowMinutes: number, n: number, nowMs?: number): Promise<KeyUsage[]>;
  /** Accesses per minute over the window for each of `keys` (0 for a key never accessed). */
  frequencies(keys: readonly string[], windowMinutes: number, nowMs?: number): Promise<Map<string, number>>;
  /**
   * What the optimiser plans from: the at most `limit` most accessed keys with at least `minCount`
   * accesses over the window (most accessed first), and how many distinct keys were accessed.
   */
  readWindow(windowMinutes: number, query: WindowQuery, nowMs?: number): Promise<UsageWindow>;
}

export interface WindowQuery {
  /** Most keys returned. */
  limit: number;
  /** Fewest accesses a returned key has. */
  minCount: number;
}

export interface UsageWindow {
  top: KeyUsage[];
  /** Distinct keys accessed in the window, returned or not. */
  distinctKeys: number;
}

/** Options of `RedisUsageTracker`. */
export interface UsageTrackerOptions {
  /**
   * How long a minute's bucket is kept after that minute ends, in minutes. Windows longer than
   * this see only what is left. 75 is the optimiser's default 60-minute window plus a quarter of
   * an hour for a cycle that runs late. Set it to at least `optimizer.windowMinutes`.
   * @default 75
   */
  retentionMinutes?: number;
}

export const DEFAULT_USAGE_RETENTION_MINUTES = 75;

/** Largest window a query may span (the config's `optimizer.windowMinutes` maximum). */
const MAX_WINDOW_MINUTES = 24 * 60;
/** Members per ZMSCORE call, so one command never carries an unbounded argument list. */
const ZMSCORE_CHUNK = 1_000;

/** The minute (since the epoch) that contains `ms`. */
export function epochMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS);
}

/**
 * UsageStore on Redis (standalone or Cluster, 6.2 or later). Bucket `<prefix>{usage}:m:<epochMinute>`
 * is a sorted set of cache key → accesses in that minute; it expires `retentionMinutes` after
 * the minute ends. All buckets share the `{usage}` hash slot so a window is one ZUNIONSTORE.
 */
export class RedisUsageTracker implements UsageStore {
  readonly retentionMinutes: number;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: RedisKeys,
    options: UsageTrackerOptions = {},
  ) {
    const resolved = { retentionMinutes: DEFAULT_USAGE_RETENTION_MINUTES, ...options };
    if (!Number.isInteger(resolved.retentionMinutes) || resolved.retentionMinutes < 1) {
      throw new Error(`retentionMinutes must be a positive integer (got ${resolved.retentionMinutes})`);
    }
    this.retentionMinutes = resolved.retentionMinutes;
  }

  async record(counts: ReadonlyMap<string, number>, atMs: number = Date.now()): Promise<void> {
    if (counts.size === 0) return;
    const minute = epochMinute(atMs);
    const bucket = this.keys.usageBucket(minute);
    // One bucket, one slot: a plain pipeline is Cluster-safe and one round trip.
    const write = async () => {
      const pipeline = this.redis.pipeline();
      for (const [key, count] of counts) {
        if (count > 0) pipeline.zincrby(bucket, count, key);
      }
      // Absolute expiry from the bucket's minute: the same for every writer, and a bucket recorded
      // for a minute already past retention is gone at once.
      pipeline.expireat(bucket, (minute + 1 + this.retentionMinutes) * 60);
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([err]) => err);
      if (failed?.[0]) throw failed[0];
    };
    // Stray data that is not a sorted set where this minute's bucket belongs: the bucket is ours.
    await writeOverWrongType(this.redis, bucket, write);
  }

  async topKeys(windowMinutes: number, n: number, nowMs: number = Date.now()): Promise<KeyUsage[]> {
    checkWindow(windowMinutes);
    if (!Number.isInteger(n) || n < 0) throw new Error(`n must be an integer >= 0 (got ${n})`);
    if (n === 0) return [];
    return (await this.readWindow(windowMinutes, { limit: n, minCount: 1 }, nowMs)).top;
  }

  async readWindow(windowMinutes: number, query: WindowQuery, nowMs: number = Date.now()): Promise<UsageWindow> {
    checkWindow(windowMinutes);
    const { limit, minCount } = query;
    if (!Number.isInteger(limit) || limit < 0) throw new Error(`limit must be an integer >= 0 (got ${limit})`);
    if (!(Number.isFinite(minCount) && minCount >= 0))
      throw new Error(`minCount must be a number >= 0 (got ${minCount})`);
    let buckets = this.windowBuckets(windowMinutes, nowMs);
    let union: { pairs: string[]; distinct: number };
    try {
      union = await this.unionTop(buckets, limit, minCount);
    } catch (err) {
      if (!isWrongType(err)) throw err;
      // Stray data where a bucket belongs: count the window without it rather than not at all.
      buckets = await this.sortedSetsOnly(buckets);
      union = buckets.length > 0 ? await this.unionTop(buckets, limit, minCount) : { pairs: [], distinct: 0 };
    }
    const top: KeyUsage[] = [];
    for (let i = 0; i + 1 < union.pairs.length; i += 2) {
      const count = Number(union.pairs[i + 1]);
      top.push({
        key: union.pairs[i] as string,
        count,
        frequencyPerMinute: accessFrequencyPerMinute(count, windowMinutes),
      });
    }
    return { top, distinctKeys: union.distinct };
  }

  async frequencies(
    keys: readonly string[],
    windowMinutes: number,
    nowMs: number = Date.now(),
  ): Promise<Map<string, number>> {
    checkWindow(windowMinutes);
    const unique = [...new Set(keys)];
    const totals = new Map<string, number>(unique.map((key) => [key, 0]));
    if (unique.length === 0) return totals;
    const chunks: string[][] = [];
    for (let i = 0; i < unique.length; i += ZMSCORE_CHUNK) chunks.push(unique.slice(i, i + ZMSCORE_CHUNK));
    const pipeline = this.redis.pipeline();
    for (const bucket of this.windowBuckets(windowMinutes, nowMs)) {
      for (const chunk of chunks) pipeline.zmscore(bucket, ...chunk);
    }
    const results = (await pipeline.exec()) ?? [];
    results.forEach(([err, scores], i) => {
      if (err && isWrongType(err)) return; // stray data where a bucket belongs: it counts nothing
      if (err) throw err;
      const chunk = chunks[i % chunks.length] as string[];
      (scores as (string | null)[]).forEach((score, j) => {
        if (score === null) return;
        const key = chunk[j] as string;
        totals.set(key, (totals.get(key) ?? 0) + Number(score));
      });
    });
    for (const [key, count] of totals) totals.set(key, accessFrequencyPerMinute(count, windowMinutes));
    return totals;
  }

  /**
   * The `limit` highest members scoring at least `minCount` in the union of `buckets`, as flat
   * member/score pairs, and the union's size.
   */
  private async unionTop(
    buckets: string[],
    limit: number,
    minCount: number,
  ): Promise<{ pairs: string[]; distinct: number }> {
    const scratch = this.keys.usageScratch(randomBytes(8).toString('hex'));
    // A transaction in the {usage} slot: the scratch set never outlives the call.
    const results = await this.redis
      .multi()
      .zunionstore(scratch, buckets.length, ...buckets)
      .zrevrangebyscore(scratch, '+inf', minCount, 'WITHSCORES', 'LIMIT', 0, Math.max(limit, 0))
      .zcard(scratch)
      .del(scratch)
      .exec();
    if (!results) throw new Error('usage transaction was aborted');
    for (const [err] of results) if (err) throw err;
    return { pairs: limit > 0 ? (results[1]?.[1] as string[]) : [], distinct: Number(results[2]?.[1]) };
  }

  /** The buckets that are sorted sets (or absent), leaving out stray data of other types. */
  private async sortedSetsOnly(buckets: string[]): Promise<string[]> {
    const pipeline = this.redis.pipeline();
    for (const bucket of buckets) pipeline.type(bucket);
    const types = (await pipeline.exec()) ?? [];
    return buckets.filter((_, i) => {
      const [err, type] = types[i] ?? [null, 'none'];
      if (err) throw err;
      return type === 'zset' || type === 'none';
    });
  }

  /** Bucket keys of the `windowMinutes` minutes ending with the one that contains `nowMs`. */
  private windowBuckets(windowMinutes: number, nowMs: number): string[] {
    const last = epochMinute(nowMs);
    return Array.from({ length: windowMinutes }, (_, i) => this.keys.usageBucket(last - i));
  }
}

function checkWindow(windowMinutes: number): void {
  if (!Number.isInteger(windowMinutes) || windowMinutes < 1 || windowMinutes > MAX_WINDOW_MINUTES) {
    throw new Error(`windowMinutes must be an integer from 1 to ${MAX_WINDOW_MINUTES} (got ${windowMinutes})`);
  }
}
