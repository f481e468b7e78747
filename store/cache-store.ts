// The narrow storage interface activities depend on; RedisCacheStore implements it, and one
// shared test suite (test/integration/cache-store.contract.ts) checks every implementation.

/** Bookkeeping kept beside a warmed value (under the prefix, never in workflow history). */
export interface KeyMeta {
  /**
   * Load version: ms since the epoch on the store's clock (Redis TIME) when the load started;
   * older never overwrites newer. An invalidation's tombstone is stamped by the same clock.
   */
  version: number;
  warmedAtMs: number;
  durationMs: number;
  sizeBytes: number;
  /** Who wrote it: `task:<id>`, `pattern:<match>`, `user:<id>`. */
  source: string;
  expiresAtMs: number;
  /** Reads through the cache client since this version was written. */
  reads: number;
}

export interface WriteEntry {
  key: string;
  value: Buffer | string;
  ttlSeconds: number;
  /** When the load started, on the store's clock (`versionClock`); a write older than the stored version is dropped. */
  version: number;
  durationMs: number;
  source: string;
  tags: readonly string[];
}

export interface WriteOutcome {
  /** False when a newer version was already stored: the value was left alone. */
  written: boolean;
  /** The version now stored. */
  storedVersion: number;
  /** What the replaced version had been read, when there was one still tracked. */
  replaced?: { version: number; reads: number; expired: boolean };
}

/** The `source` of a value a cache client computed on a miss (`getOrCompute`, `warm`). */
export const CACHE_CLIENT_SOURCE = 'cache-client';

/** What one claim attempt found. */
export interface LoadClaimReply {
  claimed: boolean;
  /** The store's clock at the attempt, ms since the epoch: the load's version when claimed. */
  nowMs: number;
  /** The version stored then, or null when none is tracked. */
  storedVersion: number | null;
  /** Who wrote the stored value (its metadata's `source`), or null. */
  storedSource: string | null;
}

export interface CacheStore {
  /**
   * Writes value and metadata atomically unless a newer version is stored; adds the tag index
   * entries. A key under the store's reserved prefix is refused (`ReservedKeyError`), writing nothing.
   */
  writeIfNewer(entry: WriteEntry): Promise<WriteOutcome>;
  /** Several writes in one pipelined round trip (bulk and pattern warming); one reserved key refuses them all. */
  writeManyIfNewer(entries: readonly WriteEntry[]): Promise<WriteOutcome[]>;
  /**
   * The store's clock now, in ms since the epoch (Redis TIME; on a cluster, of the node holding
   * `nearKey`): what load versions are taken from, so a client whose clock is off cannot make its
   * loads or invalidations win or lose. Stores without a clock of their own (test doubles) leave it
   * out, and `versionClock` then uses this process's clock.
   */
  serverTimeMs?(nearKey: string): Promise<number>;
  /**
   * Takes the key's single-flight lock (the one cache clients take on a miss) for `leaseMs`, and
   * reads the store's clock and the stored version in the same round trip. Stores without one
   * (test doubles) leave it out: their loads then claim nothing.
   */
  claimLoad?(key: string, token: string, leaseMs: number): Promise<LoadClaimReply>;
  /** Extends a claim `token` still holds; false when it ran out or another holder took it. */
  renewLoad?(key: string, token: string, leaseMs: number): Promise<boolean>;
  /** Releases a claim if `token` still holds it. */
  releaseLoad?(key: string, token: string): Promise<void>;
  getValue(key: string): Promise<Buffer | null>;
  getMeta(key: string): Promise<KeyMeta | null>;
  /** Remaining TTL in seconds: -2 when the key is missing, -1 when it has none. */
  ttlSeconds(key: string): Promise<number>;
  keysForTag(tag: string): Promise<string[]>;
  /** Deletes the keys and their metadata; returns how many values existed. */
  deleteKeys(keys: readonly string[]): Promise<number>;
  /** Deletes the keys of a tag and the tag's index; returns the keys it removed. */
  invalidateTag(tag: string): Promise<string[]>;
}
