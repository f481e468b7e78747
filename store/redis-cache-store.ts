// CacheStore on Redis (standalone or Cluster): version-checked writes by Lua script, tag index in sets.
import type { Cluster, Redis } from 'ioredis';
import type { CacheStore, KeyMeta, LoadClaimReply, WriteEntry, WriteOutcome } from './cache-store';
import { callScript, defineScripts } from './lua-scripts';
import type { RedisKeys } from './redis-keys';
import { isWrongType, writeOverWrongType } from './redis-errors';
import { ReservedKeyError } from './reserved-key-error';

/** Metadata outlives its value by a day so a late, older load still finds the newer version. */
const META_GRACE_SECONDS = 24 * 3600;

export class RedisCacheStore implements CacheStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: RedisKeys,
  ) {
    defineScripts(redis);
  }

  async writeIfNewer(entry: WriteEntry): Promise<WriteOutcome> {
    const [outcome] = await this.writeManyIfNewer([entry]);
    return outcome as WriteOutcome;
  }

  async writeManyIfNewer(entries: readonly WriteEntry[]): Promise<WriteOutcome[]> {
    // Checked for every entry before any is sent, so a refused call writes nothing.
    const reserved = entries.find((entry) => entry.key.startsWith(this.keys.prefix));
    if (reserved) throw new ReservedKeyError(reserved.key, this.keys.prefix);
    // Each command is sent without awaiting the previous one; with autopipelining (set by whoever
    // builds the connection) ioredis batches them into one round trip per node.
    const outcomes = await Promise.all(entries.map((entry) => this.writeOne(entry)));
    const byTag = new Map<string, { members: string[]; ttlSeconds: number }>();
    entries.forEach((entry, i) => {
      if (!outcomes[i]?.written) return;
      for (const tag of entry.tags) {
        const index = byTag.get(tag) ?? { members: [], ttlSeconds: 0 };
        index.members.push(entry.key);
        index.ttlSeconds = Math.max(index.ttlSeconds, entry.ttlSeconds + META_GRACE_SECONDS);
        byTag.set(tag, index);
      }
    });
    await Promise.all(
      [...byTag].map(([tag, index]) => this.indexTag(this.keys.tag(tag), index.members, index.ttlSeconds)),
    );
    return outcomes;
  }

  /** Adds members to a tag's index; the index expires no earlier than its longest-lived member. */
  private async indexTag(tagKey: string, members: string[], ttlSeconds: number): Promise<void> {
    const write = () =>
      Promise.all([
        this.redis.sadd(tagKey, ...members),
        this.redis.expire(tagKey, ttlSeconds, 'NX'),
        this.redis.expire(tagKey, ttlSeconds, 'GT'),
      ]);
    // Stray data that is not a set under the system's prefix: the index is ours to rebuild.
    await writeOverWrongType(this.redis, tagKey, write);
  }

  async serverTimeMs(nearKey: string): Promise<number> {
    return Number(await callScript(this.redis, 'server-time', [this.keys.meta(nearKey)], []));
  }

  async claimLoad(key: string, token: string, leaseMs: number): Promise<LoadClaimReply> {
    const [claimed, nowMs, stored, source] = (await callScript(
      this.redis,
      'claim-load',
      [this.keys.lock(key), this.keys.meta(key)],
      [token, leaseMs],
    )) as [number, number, number, string];
    return {
      claimed: Number(claimed) === 1,
      nowMs: Number(nowMs),
      storedVersion: Number(stored) >= 0 ? Number(stored) : null,
      storedSource: typeof source === 'string' && source !== '' ? source : null,
    };
  }

  async renewLoad(key: string, token: string, leaseMs: number): Promise<boolean> {
    return Number(await callScript(this.redis, 'renew-lock', [this.keys.lock(key)], [token, leaseMs])) === 1;
  }

  async releaseLoad(key: string, token: string): Promise<void> {
    await callScript(this.redis, 'release-lock', [this.keys.lock(key)], [token]);
  }

  private async writeOne(entry: WriteEntry): Promise<WriteOutcome> {
    const size = typeof entry.value === 'string' ? Buffer.byteLength(entry.value) : entry.value.length;
    const reply = (await callScript(
      this.redis,
      'write-if-newer',
      [entry.key, this.keys.meta(entry.key)],
      [
        entry.value,
        entry.ttlSeconds,
        entry.version,
        Math.round(entry.durationMs),
        size,
        entry.source,
        entry.ttlSeconds + META_GRACE_SECONDS,
      ],
    )) as [number, string, string, string, number];
    const [written, stored, replacedVersion, replacedReads, replacedExpired] = reply;
    return {
      written: written === 1,
      storedVersion: Number(stored),
      ...(replacedVersion !== ''
        ? {
            replaced: {
              version: Number(replacedVersion),
              reads: Number(replacedReads),
              expired: replacedExpired === 1,
            },
          }
        : {}),
    };
  }

  getValue(key: string): Promise<Buffer | null> {
    return this.redis.getBuffer(key);
  }

  async getMeta(key: string): Promise<KeyMeta | null> {
    let hash: Record<string, string>;
    try {
      hash = await this.redis.hgetall(this.keys.meta(key));
    } catch (err) {
      if (isWrongType(err)) return null; // stray data, not metadata (the next write replaces it)
      throw err;
    }
    if (!hash.version || !Number.isFinite(Number(hash.version)) || hash.source === 'invalidated') return null;
    return {
      version: Number(hash.version),
      warmedAtMs: Number(hash.warmedAt),
      durationMs: Number(hash.durationMs),
      sizeBytes: Number(hash.sizeBytes),
      source: hash.source ?? '',
      expiresAtMs: Number(hash.expiresAt),
      reads: Number(hash.reads ?? 0),
    };
  }

  ttlSeconds(key: string): Promise<number> {
    return this.redis.ttl(key);
  }

  async keysForTag(tag: string): Promise<string[]> {
    try {
      return await this.redis.smembers(this.keys.tag(tag));
    } catch (err) {
      if (isWrongType(err)) return []; // stray data, not an index (the next warm rebuilds it)
      throw err;
    }
  }

  async deleteKeys(keys: readonly string[]): Promise<number> {
    // One script call per key: on a cluster the keys live in different slots. Each tombstone is
    // stamped by its node's clock inside the script, never by this process's.
    const existed = await Promise.all(
      keys.map((key) => callScript(this.redis, 'invalidate-key', [key, this.keys.meta(key)], [META_GRACE_SECONDS])),
    );
    return existed.reduce<number>((sum, n) => sum + Number(n), 0);
  }

  /**
   * Every key's index entry is removed before its value is deleted. A writer adds its entry after
   * its value, so a key rewritten at any point of the invalidation is either deleted by it or
   * indexed again by its writer: no live value carrying the tag is left out of the index. (One
   * script per key cannot do both on a cluster, where the index and the value live in different
   * slots; the order does it anywhere.)
   */
  async invalidateTag(tag: string): Promise<string[]> {
    const members = await this.keysForTag(tag);
    // Only cache keys: a stray member naming the system's own state (or nothing) is never deleted.
    const keys = members.filter((key) => key !== '' && !key.startsWith(this.keys.prefix));
    if (members.length > 0) await this.redis.srem(this.keys.tag(tag), ...members);
    await this.deleteKeys(keys);
    return keys;
  }
}
