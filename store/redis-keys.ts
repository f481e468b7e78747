// Every Redis key the system keeps besides the cached values themselves, under one prefix.
// Keys that a Lua script touches together with a value share the value's hash slot, so the
// layout works on Redis Cluster.
import { hashTagOf, keySlot, slotTag } from './key-slot';

/** Default prefix for everything but the cached values. */
export const DEFAULT_PREFIX = 'cw:';

/**
 * The text to put in `{...}` so a helper key lands in `key`'s hash slot: the part of `key` Redis
 * hashes when braces can hold it (every key whose hashed part has no `}`: the layout of earlier
 * releases, so their metadata is still found), else a short tag chosen for the key's slot.
 */
export function slotTagFor(key: string): string {
  const hashed = hashTagOf(key);
  return hashed === '' || hashed.includes('}') ? slotTag(keySlot(key)) : hashed;
}

export interface RedisKeys {
  readonly prefix: string;
  /** Hash of a value's metadata, `<prefix>meta:{<slotTagFor(key)>}:<key>`: same slot as the value, for any key. */
  meta(key: string): string;
  /** Set of cache keys carrying a tag. */
  tag(tag: string): string;
  /** The applied declarative config (JSON). */
  config(): string;
  /**
   * Hash of task id -> hash of the spec last applied to its running workflow, so re-applying an
   * unchanged task costs no Temporal call (`warmctl apply`).
   */
  appliedSpecs(): string;
  /**
   * Lease lock an `apply` holds from reading the applied spec hashes to writing them, so two
   * applies never interleave; in the slot of `appliedSpecs()`, which is written only by its holder.
   */
  applyLock(): string;
  /**
   * JSON digest of one task workflow run's history (its warms and interval events), kept by
   * `warmctl stats` so a run's history is read once (again only when an open run has grown).
   */
  runDigest(runId: string): string;
  /**
   * JSON of what visibility listed of one task queue's task workflow runs at the last `warmctl
   * stats` (client/run-catalogue.ts), so the next lists only the runs that started or closed since.
   * Under `run:` like the digests (a run id is a UUID, never `catalogue:...`).
   */
  runCatalogue(taskQueue: string): string;
  /**
   * String: the activity id of the latest warm one task workflow run started, written by warmKey
   * (store/run-warm-marks.ts), so a repeated `warmctl stats` knows an open run's digest is current
   * without asking Temporal.
   */
  runWarmMark(runId: string): string;
  /** Short lock a cache client holds while it computes `key`, `<prefix>lock:{<slotTagFor(key)>}:<key>`; same slot as the value. */
  lock(key: string): string;
  /**
   * Sorted set of accesses in one minute (`epochMinute` = ms since epoch / 60 000, floored):
   * member = cache key, score = count. Every bucket shares the `{usage}` slot, so a window is
   * unioned in one command on Redis Cluster.
   */
  usageBucket(epochMinute: number): string;
  /** Hash of task id -> interval (minutes) the optimiser last planned for it. */
  plannedIntervals(): string;
  /** Scratch sorted set for unioning usage buckets (same slot as the buckets); `id` makes it unique. */
  usageScratch(id: string): string;
  /** JSON of what the optimiser's last hot-key plan tuned (its cycle), read back by the next cycle. */
  optimizerTuning(): string;
  /**
   * The keys of one origin's budget shared by a deployment's workers (store/lua/origin-budget.lua):
   * leases in flight, starts in the last second, waiting demand; one slot per origin.
   */
  originBudget(origin: string): [leases: string, starts: string, demand: string];
}

export function redisKeys(prefix: string = DEFAULT_PREFIX): RedisKeys {
  if (!/^[A-Za-z0-9:_.-]{1,64}$/.test(prefix)) {
    throw new Error(`prefix must be 1-64 characters of letters, digits and : _ . - (got "${prefix}")`);
  }
  return {
    prefix,
    meta: (key) => `${prefix}meta:{${slotTagFor(key)}}:${key}`,
    tag: (tag) => `${prefix}tag:${tag}`,
    config: () => `${prefix}config`,
    appliedSpecs: () => `${prefix}applied`,
    applyLock: () => `${prefix}lock:{${prefix}applied}:apply`,
    runDigest: (runId) => `${prefix}run:${runId}`,
    runCatalogue: (taskQueue) => `${prefix}run:catalogue:${taskQueue}`,
    runWarmMark: (runId) => `${prefix}warmed:${runId}`,
    lock: (key) => `${prefix}lock:{${slotTagFor(key)}}:${key}`,
    usageBucket: (epochMinute) => `${prefix}{usage}:m:${epochMinute}`,
    plannedIntervals: () => `${prefix}planned`,
    usageScratch: (id) => `${prefix}{usage}:tmp:${id}`,
    optimizerTuning: () => `${prefix}optimizer:tuning`,
    originBudget: (origin) => {
      const base = `${prefix}budget:{${slotTag(keySlot(origin))}}:${origin}`;
      return [`${base}:leases`, `${base}:starts`, `${base}:demand`];
    },
  };
}
