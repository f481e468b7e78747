// The cache client's options, resolved in one place: documented defaults (environment first), then
// what the caller gave, then checks naming the field; and the options of its calls.
import type { Cluster, Redis } from 'ioredis';
import { DEFAULT_PREFIX, redisKeys } from '../store/redis-keys';
import { DEFAULT_USAGE_RETENTION_MINUTES } from '../store/usage-tracker';
import { oneLine } from '../core/one-line';
import type { KeyRewarmer, RewarmReport } from './key-rewarmer';

/** Options of `createCacheClient`: which Redis, which prefix, and how reads are counted and computed. */
export interface CacheClientOptions {
  /**
   * Redis to connect to (`rediss://` means TLS).
   * @default REDIS_URL, else `redis://127.0.0.1:6379`
   */
  redisUrl?: string;
  /**
   * Treat `redisUrl` as a seed node of a Redis Cluster.
   * @default REDIS_CLUSTER (1/true/yes), else false
   */
  cluster?: boolean;
  /**
   * PEM file of the CA that signed a `rediss://` server's certificate.
   * @default REDIS_TLS_CA_FILE, else the system's CAs
   */
  tlsCaFile?: string;
  /**
   * An existing connection to use instead of `redisUrl` (not closed by `close()`).
   * @default a connection of the client's own, from `redisUrl`
   */
  redis?: Redis | Cluster;
  /**
   * Prefix of everything the system keeps besides values (tags, access counters, metadata).
   * @default WARMING_PREFIX, else `cw:`
   */
  prefix?: string;
  /**
   * How often buffered access counts are written to Redis, in milliseconds.
   * @default 1000
   */
  flushIntervalMs?: number;
  /**
   * Distinct keys buffered before a flush starts early, bounding memory.
   * @default 10000
   */
  maxBufferedKeys?: number;
  /**
   * How long a process may hold the lock for computing a missing key, in ms; other processes
   * wait this long for its value before computing it themselves.
   * @default 5000
   */
  lockMs?: number;
  /**
   * How often a process waiting on another's compute looks for the value, in milliseconds.
   * @default 20
   */
  lockPollMs?: number;
  /**
   * How long access buckets are kept, in minutes; at least the optimiser's window.
   * @default 75
   */
  usageRetentionMinutes?: number;
  /**
   * Where flush and background-refresh failures are reported.
   * @default console
   */
  logger?: { warn(message: string): void };
  /**
   * ioredis auto-pipelining on the client's own connection (not on a `redis` passed in). Off by
   * default: a lone `get` is about a third faster without it. Turn it on when a process issues
   * many reads at once; they then share writes to the socket.
   * @default false
   */
  autoPipelining?: boolean;
  /**
   * What `invalidateByTags(tags, { rewarm: true })` re-warms through: a WarmingClient
   * (`createWarmingClient()`), or anything with its `rewarmKeys`. Without one a re-warm is
   * refused before anything is deleted. Kept out of the cache client so reading needs no Temporal.
   * @default none
   */
  rewarmer?: KeyRewarmer;
}

type OptionalOptions = 'redis' | 'redisUrl' | 'tlsCaFile' | 'rewarmer';

export type ResolvedCacheClientOptions = Required<Omit<CacheClientOptions, OptionalOptions>> &
  Pick<CacheClientOptions, OptionalOptions>;

/** Options of `getOrCompute`: how a computed value is stored. */
export interface GetOrComputeOptions {
  /** TTL of a computed value, in seconds (a positive integer). */
  ttlSeconds: number;
  /**
   * Tags for `invalidateByTags`.
   * @default []
   */
  tags?: readonly string[];
  /**
   * When a hit has less than this many seconds left to live, return it and recompute it in the
   * background (once per key at a time, across processes). 0 turns it off.
   * @default 0
   */
  staleWhileRevalidateSeconds?: number;
}

/** Options of `warm`: how the warmed value is stored, and whether a fresh one is replaced. */
export interface WarmOptions {
  /** TTL of the warmed value, in seconds (a positive integer). */
  ttlSeconds: number;
  /**
   * Tags for `invalidateByTags`.
   * @default []
   */
  tags?: readonly string[];
  /**
   * Compute and store even when the key holds a live value.
   * @default false
   */
  force?: boolean;
}

/** What `warm` did. Never the value. */
export interface WarmResult {
  key: string;
  /** True when `compute` ran and its value was stored. */
  warmed: boolean;
  /** Why nothing was stored: the key was fresh (and not `force`), or a newer value or an invalidation won the write. */
  skipped?: 'fresh' | 'superseded';
  /** Time spent, in ms (0 when fresh). */
  durationMs: number;
}

/** Options of `invalidateByTags`. */
export interface InvalidateOptions {
  /**
   * Re-warm the owners of the deleted keys through the client's `rewarmer`.
   * @default false
   */
  rewarm?: boolean;
}

/** What `invalidateByTags(tags, { rewarm: true })` returns: the deleted keys and the re-warm. */
export interface InvalidateReport {
  keys: string[];
  rewarm: RewarmReport;
}

/** What `compute` may return: strings and bytes are stored as-is, any other JSON value JSON-encoded. */
export type Computed = string | Buffer | Uint8Array | number | boolean | null | object;

const DEFAULTS = {
  flushIntervalMs: 1_000,
  maxBufferedKeys: 10_000,
  lockMs: 5_000,
  lockPollMs: 20,
  usageRetentionMinutes: DEFAULT_USAGE_RETENTION_MINUTES,
} as const;

/** Documented defaults (environment first), then checks that throw naming the field. */
export function resolveCacheClientOptions(
  options: CacheClientOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedCacheClientOptions {
  if (options.redis && options.redisUrl !== undefined) throw new Error('pass redis or redisUrl, not both');
  const resolved: ResolvedCacheClientOptions = {
    ...DEFAULTS,
    redisUrl: options.redis ? undefined : (env.REDIS_URL ?? 'redis://127.0.0.1:6379'),
    cluster: /^(1|true|yes)$/i.test(env.REDIS_CLUSTER ?? ''),
    autoPipelining: false,
    tlsCaFile: env.REDIS_TLS_CA_FILE || undefined,
    prefix: env.WARMING_PREFIX ?? DEFAULT_PREFIX,
    logger: console,
    ...withoutUndefined(options),
  };
  const positiveInt = (name: keyof typeof DEFAULTS) => {
    const value = resolved[name];
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`${name} must be a positive integer (got ${shown(value)})`);
  };
  positiveInt('flushIntervalMs');
  positiveInt('maxBufferedKeys');
  positiveInt('lockMs');
  positiveInt('lockPollMs');
  positiveInt('usageRetentionMinutes');
  if (resolved.rewarmer !== undefined && typeof resolved.rewarmer?.rewarmKeys !== 'function') {
    throw new Error('rewarmer must have a rewarmKeys method (pass a WarmingClient)');
  }
  if (typeof resolved.autoPipelining !== 'boolean') {
    throw new Error(`autoPipelining must be true or false (got ${shown(resolved.autoPipelining)})`);
  }
  if (resolved.redisUrl !== undefined && resolved.redisUrl.trim() === '') throw new Error('redisUrl must not be empty');
  redisKeys(resolved.prefix); // throws naming the prefix when it is malformed
  return resolved;
}

/** Checks `getOrCompute` and `warm` options, naming the field. */
export function checkComputeOptions(options: GetOrComputeOptions): void {
  const { ttlSeconds, tags = [], staleWhileRevalidateSeconds = 0 } = options;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
    throw new Error(`ttlSeconds must be a positive integer (got ${shown(ttlSeconds)})`);
  }
  if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string' || tag === '')) {
    throw new Error('tags must be an array of non-empty strings');
  }
  if (!Number.isFinite(staleWhileRevalidateSeconds) || staleWhileRevalidateSeconds < 0) {
    throw new Error(`staleWhileRevalidateSeconds must be >= 0 (got ${shown(staleWhileRevalidateSeconds)})`);
  }
}

function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A value in a one-line message: strings quoted with escapes (no raw line breaks), others by kind. */
export function shown(value: unknown): string {
  if (typeof value === 'string') return oneLine(JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value));
  if (value === null || ['number', 'boolean', 'undefined', 'bigint'].includes(typeof value)) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
