// createCacheClient: what applications read through. Reads are plain GETs; access counting is
// buffered in memory and flushed in one batch, so counting adds little to a read. Also the seed
// engine's `warm` and `invalidateByTags(..., { rewarm })`; no Temporal code is loaded here: a
// re-warm goes through a KeyRewarmer (a WarmingClient) the application passes in.
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { CACHE_CLIENT_SOURCE } from '../store/cache-store';
import { callScript } from '../store/lua-scripts';
import { RedisCacheStore } from '../store/redis-cache-store';
import { redisKeys, type RedisKeys } from '../store/redis-keys';
import { RedisUsageTracker } from '../store/usage-tracker';
import { createRedis, readRedisEnvironment, type RedisOptions } from '../config/redis-connection';
import { errorMessage } from '../core/one-line';
import { AccessCounter } from './access-counter';
import {
  checkComputeOptions,
  resolveCacheClientOptions,
  shown,
  type CacheClientOptions,
  type Computed,
  type GetOrComputeOptions,
  type InvalidateOptions,
  type InvalidateReport,
  type ResolvedCacheClientOptions,
  type WarmOptions,
  type WarmResult,
} from './cache-client-options';

/** Written as the metadata `source` of values a cache client computes. */
export { CACHE_CLIENT_SOURCE };
export { resolveCacheClientOptions } from './cache-client-options';
export type {
  CacheClientOptions,
  Computed,
  GetOrComputeOptions,
  InvalidateOptions,
  InvalidateReport,
  ResolvedCacheClientOptions,
  WarmOptions,
  WarmResult,
} from './cache-client-options';

/**
 * Connects a cache client. Options are checked before anything connects; an invalid one throws
 * an Error naming it.
 */
export function createCacheClient(options: CacheClientOptions = {}): CacheClient {
  const resolved = resolveCacheClientOptions(options);
  // Sentinel, NAT map and DNS lookup come from the environment when the URL does too.
  const topology = resolved.redis || options.redisUrl !== undefined ? {} : redisTopology(readRedisEnvironment());
  const redis =
    resolved.redis ??
    createRedis({
      url: resolved.redisUrl as string,
      cluster: resolved.cluster,
      autoPipelining: resolved.autoPipelining,
      ...(resolved.tlsCaFile !== undefined ? { tlsCaFile: resolved.tlsCaFile } : {}),
      ...topology,
    });
  return new CacheClient(redis, resolved, !resolved.redis);
}

interface Filled {
  value: string;
  /** True when the value was read from Redis rather than computed by this call. */
  fromCache: boolean;
}

/** Reads through Redis, counting accesses; computes misses once across processes. */
export class CacheClient {
  readonly keys: RedisKeys;
  /** Access counts in Redis: `topKeys` and `frequencies` for the optimiser and dashboards. */
  readonly usage: RedisUsageTracker;
  private readonly store: RedisCacheStore;
  private readonly options: ResolvedCacheClientOptions;
  private readonly computing = new Map<string, Promise<Filled>>();
  private readonly refreshing = new Map<string, Promise<void>>();
  private readonly counter: AccessCounter;
  private closed = false;

  constructor(
    readonly redis: Redis | Cluster,
    options: ResolvedCacheClientOptions,
    private readonly ownsRedis: boolean,
  ) {
    this.options = options;
    this.keys = redisKeys(options.prefix);
    this.store = new RedisCacheStore(redis, this.keys); // also registers the Lua scripts
    this.usage = new RedisUsageTracker(redis, this.keys, { retentionMinutes: options.usageRetentionMinutes });
    this.counter = new AccessCounter(redis, this.keys, this.usage, options);
  }

  /** The value at `key` as a string, or null on a miss. Counts one access. */
  async get(key: string): Promise<string | null> {
    this.checkOpen();
    checkReadKey(key);
    const value = await this.redis.get(key);
    this.counter.count(key, value !== null);
    return value;
  }

  /** The value at `key` as bytes, or null on a miss. Counts one access. */
  async getBuffer(key: string): Promise<Buffer | null> {
    this.checkOpen();
    checkReadKey(key);
    const value = await this.redis.getBuffer(key);
    this.counter.count(key, value !== null);
    return value;
  }

  /** Counts one access to `key` without reading it (for reads that bypass this client). */
  recordAccess(key: string): void {
    this.checkOpen();
    checkReadKey(key);
    this.counter.count(key, false);
  }

  /**
   * The value at `key`, computing and storing it on a miss. Counts one access.
   *
   * A miss is computed once: concurrent calls in this process share one compute, and a short
   * Redis lock (`lockMs`) makes other processes wait for its value rather than call the origin
   * too; if it does not appear within `lockMs`, they compute it themselves. The value is written
   * like a warm (version-checked, with metadata and tag index), so an older compute never
   * overwrites a newer value or an invalidation. A failed compute rejects every caller waiting
   * on it and frees the lock at once. The first caller's options win while a compute is shared.
   *
   * Returns the value as stored: strings as-is, bytes as UTF-8, other values JSON-encoded.
   */
  async getOrCompute(
    key: string,
    compute: () => Promise<Computed> | Computed,
    options: GetOrComputeOptions,
  ): Promise<string> {
    this.checkOpen();
    checkComputeOptions(options);
    this.checkKey(key);
    const swrMs = (options.staleWhileRevalidateSeconds ?? 0) * 1_000;
    const [value, pttl] = await Promise.all([
      this.redis.get(key),
      swrMs > 0 ? this.redis.pttl(key) : Promise.resolve(-1),
    ]);
    if (value !== null) {
      this.counter.count(key, true);
      if (pttl >= 0 && pttl < swrMs) this.refreshInBackground(key, compute, options, swrMs);
      return value;
    }
    let filled = this.computing.get(key);
    if (!filled) {
      filled = this.fill(key, compute, options).finally(() => this.computing.delete(key));
      this.computing.set(key, filled);
    }
    const result = await filled;
    this.counter.count(key, result.fromCache);
    return result.value;
  }

  /**
   * Stores `compute()`'s value at `key` for `ttlSeconds` unless the key holds a live value (the
   * seed's `warm_cache`); with `force`, stores it anyway. Not a read: no access is counted. The
   * write is version-checked like every warm, so an older compute never replaces a newer value;
   * without `force`, a compute already running for the key (here or, through the lock, in another
   * process) is waited for rather than repeated.
   */
  async warm(key: string, compute: () => Promise<Computed> | Computed, options: WarmOptions): Promise<WarmResult> {
    this.checkOpen();
    checkComputeOptions(options);
    if (options.force !== undefined && typeof options.force !== 'boolean') {
      throw new Error(`force must be true or false (got ${shown(options.force)})`);
    }
    this.checkKey(key);
    const started = Date.now();
    if (!options.force) {
      if ((await this.redis.exists(key)) === 1) return { key, warmed: false, skipped: 'fresh', durationMs: 0 };
      let filled = this.computing.get(key);
      if (!filled) {
        filled = this.fill(key, compute, options).finally(() => this.computing.delete(key));
        this.computing.set(key, filled);
      }
      const result = await filled;
      return result.fromCache
        ? { key, warmed: false, skipped: 'fresh', durationMs: Date.now() - started }
        : { key, warmed: true, durationMs: Date.now() - started };
    }
    const result = await this.computeAndWrite(key, compute, options);
    return result.fromCache
      ? { key, warmed: false, skipped: 'superseded', durationMs: Date.now() - started }
      : { key, warmed: true, durationMs: Date.now() - started };
  }

  /**
   * Deletes every key carrying any of `tags`, leaving tombstones so a load or compute that
   * started earlier cannot write its value back. Returns the keys deleted.
   *
   * With `{ rewarm: true }`, then re-warms the owners of every deleted key through the client's
   * `rewarmer` (a WarmingClient): tasks through their task workflows, pattern keys in batches,
   * and tasks carrying the tags; resolves with the keys and the re-warm's report once the warms
   * are done. Without a `rewarmer` it throws before deleting anything.
   */
  async invalidateByTags(tags: readonly string[]): Promise<string[]>;
  async invalidateByTags(tags: readonly string[], options: { rewarm: true }): Promise<InvalidateReport>;
  async invalidateByTags(tags: readonly string[], options: InvalidateOptions): Promise<string[] | InvalidateReport>;
  async invalidateByTags(
    tags: readonly string[],
    options: InvalidateOptions = {},
  ): Promise<string[] | InvalidateReport> {
    this.checkOpen();
    if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string' || tag === '')) {
      throw new Error('tags must be an array of non-empty strings');
    }
    const rewarmer = this.options.rewarmer;
    if (options.rewarm && !rewarmer) {
      throw new Error(
        'rewarm needs the cache client option rewarmer: createCacheClient({ rewarmer: await createWarmingClient() })',
      );
    }
    const removed = await Promise.all(tags.map((tag) => this.store.invalidateTag(tag)));
    const keys = [...new Set(removed.flat())];
    if (!options.rewarm || !rewarmer) return keys;
    return { keys, rewarm: await rewarmer.rewarmKeys(keys, { tags }) };
  }

  /**
   * Writes the buffered access counts now (one pipelined batch). Never rejects: a failure is
   * logged once per outage and the counts are kept for the next flush, up to `maxBufferedKeys`.
   */
  flush(): Promise<void> {
    return this.counter.flush();
  }

  /** Flushes counts, waits for background refreshes, and disconnects the connection it opened. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.counter.stop();
    await Promise.allSettled([...this.refreshing.values(), ...this.computing.values()]);
    await this.flush();
    if (this.ownsRedis) this.redis.disconnect();
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('cache client is closed');
  }

  private checkKey(key: string): void {
    checkReadKey(key);
    if (key.startsWith(this.keys.prefix)) {
      // The prefix holds the system's own state (config, metadata, tags); a value there could clobber it.
      throw new Error(`key "${key}" is under the reserved prefix "${this.keys.prefix}"`);
    }
  }

  /** Computes a missing key under the cross-process lock, or waits for whoever holds it. */
  private async fill(
    key: string,
    compute: () => Promise<Computed> | Computed,
    options: GetOrComputeOptions,
  ): Promise<Filled> {
    const lockKey = this.keys.lock(key);
    const deadline = Date.now() + this.options.lockMs;
    for (;;) {
      const token = randomUUID();
      if (await this.lock(lockKey, token)) {
        try {
          // Whoever held the lock before may have stored the value just before releasing it.
          const stored = await this.redis.get(key);
          if (stored !== null) return { value: stored, fromCache: true };
          return await this.computeAndWrite(key, compute, options);
        } finally {
          await this.unlock(lockKey, token);
        }
      }
      // Another process is computing: wait for its value, or for its lock to go away.
      while (Date.now() < deadline) {
        await delay(this.options.lockPollMs);
        const [stored, locked] = await Promise.all([this.redis.get(key), this.redis.exists(lockKey)]);
        if (stored !== null) return { value: stored, fromCache: true };
        if (locked === 0) break;
      }
      if (Date.now() >= deadline) return this.computeAndWrite(key, compute, options);
    }
  }

  private refreshInBackground(
    key: string,
    compute: () => Promise<Computed> | Computed,
    options: GetOrComputeOptions,
    swrMs: number,
  ): void {
    if (this.refreshing.has(key)) return;
    const refresh = (async () => {
      const lockKey = this.keys.lock(key);
      const token = randomUUID();
      // Someone else holding the lock is refreshing (or filling) it already.
      if (!(await this.lock(lockKey, token))) return;
      try {
        const pttl = await this.redis.pttl(key);
        if (pttl < 0 || pttl >= swrMs) return; // refreshed (or removed) meanwhile
        await this.computeAndWrite(key, compute, options);
      } finally {
        await this.unlock(lockKey, token);
      }
    })()
      .catch((err: unknown) =>
        this.options.logger.warn(`cache client: refreshing "${key}" failed: ${errorMessage(err)}`),
      )
      .finally(() => this.refreshing.delete(key));
    this.refreshing.set(key, refresh);
  }

  private async computeAndWrite(
    key: string,
    compute: () => Promise<Computed> | Computed,
    options: GetOrComputeOptions,
  ): Promise<Filled> {
    // The version is Redis's time as the compute starts: the application's clock decides nothing.
    const version = await this.store.serverTimeMs(key);
    const started = Date.now();
    const value = encode(await compute(), key);
    const outcome = await this.store.writeIfNewer({
      key,
      value,
      ttlSeconds: options.ttlSeconds,
      version,
      durationMs: Date.now() - started,
      source: CACHE_CLIENT_SOURCE,
      tags: options.tags ?? [],
    });
    const text = typeof value === 'string' ? value : value.toString('utf8');
    if (outcome.written) return { value: text, fromCache: false };
    // A newer value (or an invalidation) won: serve the newer value when there is one.
    const stored = await this.redis.get(key);
    return stored !== null ? { value: stored, fromCache: true } : { value: text, fromCache: false };
  }

  private async lock(lockKey: string, token: string): Promise<boolean> {
    // A script rather than SET NX: stray data (another type, or a value with no expiry) is cleared,
    // so it cannot make every compute of the key wait out lockMs for good.
    return Number(await callScript(this.redis, 'acquire-lock', [lockKey], [token, this.options.lockMs])) === 1;
  }

  private async unlock(lockKey: string, token: string): Promise<void> {
    await callScript(this.redis, 'release-lock', [lockKey], [token]);
  }
}

/** The loaders' rule: strings and bytes as-is, any other JSON value JSON-encoded. */
function encode(value: unknown, key: string): Buffer | string {
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
    throw new TypeError(`compute for "${key}" returned ${typeof value}, not a storable value`);
  }
  return JSON.stringify(value);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The environment's Sentinel, NAT map and DNS settings (the URL, cluster flag and CA come from the options). */
function redisTopology({ sentinel, natMap, dnsLookup }: RedisOptions): Partial<RedisOptions> {
  return { ...(sentinel ? { sentinel } : {}), ...(natMap ? { natMap } : {}), ...(dnsLookup ? { dnsLookup } : {}) };
}

/**
 * A key to read or count: any non-empty string (an application may read keys this system never
 * writes). Anything else is refused before it reaches the access buffer, whose flush it would
 * break for every key.
 */
function checkReadKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key === '') {
    const got = key === null ? 'null' : key === '' ? 'an empty string' : typeof key;
    throw new TypeError(`key must be a non-empty string (got ${got})`);
  }
}
