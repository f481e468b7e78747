// The cache client against a real redis-server: access counting, read tracking for efficiency,
// single-flight computes within and across processes, tag invalidation, stale-while-revalidate,
// and the usage tracker's windows.
import { Redis } from 'ioredis';
import { RedisCacheStore } from '../../store/redis-cache-store';
import { redisKeys } from '../../store/redis-keys';
import { RedisUsageTracker } from '../../store/usage-tracker';
import { createCacheClient, type CacheClient, type CacheClientOptions } from '../../cache/cache-client';
import { testServers, uniqueName, waitFor } from '../helpers/test-env';

const MINUTE_MS = 60_000;

let redis: Redis;
let prefix: string;
let store: RedisCacheStore;
const opened: CacheClient[] = [];

beforeAll(() => {
  redis = new Redis(testServers().redisUrl);
  prefix = `${uniqueName('cc')}:`;
  store = new RedisCacheStore(redis, redisKeys(prefix));
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((client) => client.close()));
});

afterAll(() => {
  redis.disconnect();
});

/** A client on its own connection, closed after the test. Counts flush only when a test says so. */
function client(options: CacheClientOptions = {}): CacheClient {
  const made = createCacheClient({ redisUrl: testServers().redisUrl, prefix, flushIntervalMs: 3_600_000, ...options });
  opened.push(made);
  return made;
}

/** A key no other test uses, outside the reserved prefix (getOrCompute refuses keys under it). */
function key(name: string): string {
  return uniqueName(`${prefix.slice(0, -1)}-data:${name}`);
}

/** Counts calls; resolves `value` after `delayMs`. */
function slowCompute(value: unknown, delayMs: number) {
  const fn = async () => {
    fn.calls++;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    return value;
  };
  fn.calls = 0;
  return fn;
}

async function warm(cacheKey: string, value: string, options: { ttlSeconds?: number; tags?: string[] } = {}) {
  return store.writeIfNewer({
    key: cacheKey,
    value,
    ttlSeconds: options.ttlSeconds ?? 600,
    version: Date.now(),
    durationMs: 5,
    source: 'task:test',
    tags: options.tags ?? [],
  });
}

describe('access counting', () => {
  test('reads through get and getOrCompute, and recordAccess, count as accesses in the current minute', async () => {
    const cache = client();
    const hot = key('hot');
    const cold = key('cold');
    await warm(hot, 'v');
    for (let i = 0; i < 3; i++) expect(await cache.get(hot)).toBe('v');
    expect(await cache.getOrCompute(hot, () => 'unused', { ttlSeconds: 60 })).toBe('v');
    expect(await cache.get(cold)).toBeNull();
    cache.recordAccess(cold);

    await cache.flush();
    const top = await cache.usage.topKeys(60, 10_000);
    expect(top.find((u) => u.key === hot)).toEqual({ key: hot, count: 4, frequencyPerMinute: 4 / 60 });
    expect(top.find((u) => u.key === cold)).toEqual({ key: cold, count: 2, frequencyPerMinute: 2 / 60 });
  });

  test('a usage bucket expires retention minutes after its minute', async () => {
    const ownPrefix = `${uniqueName('ttl')}:`;
    const cache = client({ prefix: ownPrefix, usageRetentionMinutes: 30 });
    cache.recordAccess(key('k'));
    await cache.flush();
    const buckets = await redis.keys(`${ownPrefix}{usage}:m:*`);
    expect(buckets).toHaveLength(1);
    const ttlSeconds = await redis.ttl(buckets[0] as string);
    // From the end of the access's minute: 30 to 31 minutes away (Redis rounds TTL to whole seconds,
    // so an access in the last half second of its minute reads as exactly 30 minutes).
    expect(ttlSeconds).toBeGreaterThanOrEqual(30 * 60);
    expect(ttlSeconds).toBeLessThanOrEqual(31 * 60);
  });
});

describe('read tracking for the efficiency score', () => {
  test('a hit on a warmed value adds to its reads, and the next warm reports them', async () => {
    const cache = client();
    const cacheKey = key('warmed');
    await warm(cacheKey, 'v1');
    await cache.get(cacheKey);
    await cache.getBuffer(cacheKey);
    await cache.flush();
    expect((await store.getMeta(cacheKey))?.reads).toBe(2);

    const rewarm = await warm(cacheKey, 'v2');
    expect(rewarm.replaced).toEqual(expect.objectContaining({ reads: 2, expired: false }));
    expect((await store.getMeta(cacheKey))?.reads).toBe(0);
  });

  test('a read never creates metadata: not for a miss, not for a value written without it', async () => {
    const cache = client();
    const missing = key('missing');
    const plain = key('plain');
    await redis.set(plain, 'set by someone else');
    expect(await cache.get(missing)).toBeNull();
    expect(await cache.get(plain)).toBe('set by someone else');
    await cache.flush();
    expect(await redis.exists(redisKeys(prefix).meta(missing), redisKeys(prefix).meta(plain))).toBe(0);
  });

  test('a read of a value set over an invalidation tombstone leaves the tombstone alone', async () => {
    const cache = client();
    const cacheKey = key('tombstoned');
    await warm(cacheKey, 'v', { tags: ['t'] });
    await store.deleteKeys([cacheKey]);
    await redis.set(cacheKey, 'set by someone else');
    await cache.get(cacheKey);
    await cache.flush();
    expect(await redis.hgetall(redisKeys(prefix).meta(cacheKey))).toEqual(
      expect.objectContaining({ source: 'invalidated', reads: '0' }),
    );
  });
});

describe('getOrCompute', () => {
  test('100 concurrent misses in one process call compute once', async () => {
    const cache = client();
    const cacheKey = key('storm');
    const compute = slowCompute({ id: 1 }, 200);
    const results = await Promise.all(
      Array.from({ length: 100 }, () => cache.getOrCompute(cacheKey, compute, { ttlSeconds: 60 })),
    );
    expect(compute.calls).toBe(1);
    expect(new Set(results)).toEqual(new Set(['{"id":1}']));
    expect(await redis.get(cacheKey)).toBe('{"id":1}');
    expect(await redis.ttl(cacheKey)).toBeGreaterThan(55);
    expect(await store.getMeta(cacheKey)).toEqual(expect.objectContaining({ source: 'cache-client', reads: 0 }));
    await cache.flush();
    expect((await cache.usage.frequencies([cacheKey], 60)).get(cacheKey)).toBe(100 / 60);
  });

  test('callers in one process share the compute even when it outlasts the Redis lock', async () => {
    // With lockMs far below the compute time, only the in-process single flight keeps this at one call.
    const cache = client({ lockMs: 20 });
    const cacheKey = key('outlasts');
    const compute = slowCompute('slow', 200);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => cache.getOrCompute(cacheKey, compute, { ttlSeconds: 60 })),
    );
    expect(compute.calls).toBe(1);
    expect(new Set(results)).toEqual(new Set(['slow']));
  });

  test('100 concurrent misses across two processes call compute once', async () => {
    const a = client();
    const b = client();
    const cacheKey = key('storm2');
    const compute = slowCompute('computed', 200);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).getOrCompute(cacheKey, compute, { ttlSeconds: 60 })),
    );
    expect(compute.calls).toBe(1);
    expect(new Set(results)).toEqual(new Set(['computed']));
    expect(await redis.exists(redisKeys(prefix).lock(cacheKey))).toBe(0);
  });

  test('a failed compute rejects its callers and frees the lock, so a waiting process computes at once', async () => {
    const a = client({ lockMs: 30_000 });
    const b = client({ lockMs: 30_000 });
    const cacheKey = key('failing');
    const failing = async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      throw new Error('origin down');
    };
    const good = slowCompute('recovered', 0);
    const first = a.getOrCompute(cacheKey, failing, { ttlSeconds: 60 });
    await waitFor('a to hold the lock', async () => (await redis.exists(redisKeys(prefix).lock(cacheKey))) === 1, {
      intervalMs: 5,
    });
    const started = Date.now();
    const second = b.getOrCompute(cacheKey, good, { ttlSeconds: 60 });
    await expect(first).rejects.toThrow('origin down');
    expect(await second).toBe('recovered');
    // It did not wait out the 30 s lock: the failed holder released it.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(good.calls).toBe(1);
    expect(await a.getOrCompute(cacheKey, failing, { ttlSeconds: 60 })).toBe('recovered');
  });

  test('a process waits no longer than lockMs for a holder that never finishes', async () => {
    const cache = client({ lockMs: 300 });
    const cacheKey = key('abandoned');
    await redis.set(redisKeys(prefix).lock(cacheKey), 'someone-who-crashed', 'PX', 60_000);
    const compute = slowCompute('mine', 0);
    expect(await cache.getOrCompute(cacheKey, compute, { ttlSeconds: 60 })).toBe('mine');
    expect(compute.calls).toBe(1);
    expect(await redis.get(redisKeys(prefix).lock(cacheKey))).toBe('someone-who-crashed');
  });

  test('stores strings and bytes as-is and other values JSON-encoded', async () => {
    const cache = client();
    const [text, bytes, number] = [key('text'), key('bytes'), key('number')];
    expect(await cache.getOrCompute(text, () => 'plain', { ttlSeconds: 60 })).toBe('plain');
    expect(await cache.getOrCompute(bytes, () => Buffer.from('raw'), { ttlSeconds: 60 })).toBe('raw');
    expect(await cache.getOrCompute(number, () => 42, { ttlSeconds: 60 })).toBe('42');
    expect(await redis.mget(text, bytes, number)).toEqual(['plain', 'raw', '42']);
    await expect(cache.getOrCompute(key('undefined'), () => undefined as never, { ttlSeconds: 60 })).rejects.toThrow(
      /returned undefined/,
    );
  });

  test('rejects bad options naming the field', async () => {
    const cache = client();
    await expect(cache.getOrCompute(key('x'), () => 'v', { ttlSeconds: 0 })).rejects.toThrow(/ttlSeconds/);
    await expect(
      cache.getOrCompute(key('x'), () => 'v', { ttlSeconds: 1, staleWhileRevalidateSeconds: -1 }),
    ).rejects.toThrow(/staleWhileRevalidateSeconds/);
  });

  test('stale-while-revalidate returns the old value and refreshes it once in the background', async () => {
    const cache = client();
    const cacheKey = key('swr');
    await warm(cacheKey, 'old', { ttlSeconds: 10 });
    const compute = slowCompute('new', 100);
    const options = { ttlSeconds: 600, staleWhileRevalidateSeconds: 30 };
    const [first, second] = await Promise.all([
      cache.getOrCompute(cacheKey, compute, options),
      cache.getOrCompute(cacheKey, compute, options),
    ]);
    expect([first, second]).toEqual(['old', 'old']);
    await waitFor('the refreshed value', async () => (await redis.get(cacheKey)) === 'new');
    expect(await redis.ttl(cacheKey)).toBeGreaterThan(500);
    expect(compute.calls).toBe(1);
    // Fresh again: served without another refresh.
    expect(await cache.getOrCompute(cacheKey, compute, options)).toBe('new');
    await cache.close();
    expect(compute.calls).toBe(1);
  });
});

describe('invalidateByTags', () => {
  test('deletes every key with the tags, and an older write cannot bring one back', async () => {
    const cache = client();
    const tag = uniqueName('tag');
    const other = uniqueName('other');
    const [a, b, kept] = [key('a'), key('b'), key('kept')];
    const olderVersion = Date.now() - 1_000;
    await cache.getOrCompute(a, () => 'a', { ttlSeconds: 60, tags: [tag] });
    await cache.getOrCompute(b, () => 'b', { ttlSeconds: 60, tags: [tag, other] });
    await cache.getOrCompute(kept, () => 'kept', { ttlSeconds: 60, tags: [other] });

    expect((await cache.invalidateByTags([tag])).sort()).toEqual([a, b].sort());
    expect(await redis.mget(a, b, kept)).toEqual([null, null, 'kept']);

    const late = await store.writeIfNewer({
      key: a,
      value: 'stale',
      ttlSeconds: 60,
      version: olderVersion,
      durationMs: 1_000,
      source: 'task:slow',
      tags: [tag],
    });
    expect(late.written).toBe(false);
    expect(await redis.get(a)).toBeNull();
    expect(await cache.invalidateByTags([tag])).toEqual([]);
  });
});

describe("warm (the seed engine's warm_cache)", () => {
  test('stores the computed value with its TTL and tags, and skips a key that is still fresh', async () => {
    const cache = client();
    const k = key('warm');
    const tag = uniqueName('wtag');
    const compute = slowCompute({ price: 7 }, 0);
    expect(await cache.warm(k, compute, { ttlSeconds: 120, tags: [tag] })).toMatchObject({ key: k, warmed: true });
    expect(await redis.get(k)).toBe('{"price":7}');
    expect(await redis.ttl(k)).toBeGreaterThan(110);
    expect(await store.keysForTag(tag)).toEqual([k]);
    expect(await store.getMeta(k)).toMatchObject({ source: 'cache-client', reads: 0 });

    const again = await cache.warm(k, compute, { ttlSeconds: 120 });
    expect(again).toEqual({ key: k, warmed: false, skipped: 'fresh', durationMs: 0 });
    expect(compute.calls).toBe(1);
    // A warm is not a read: nothing was counted for the optimiser.
    await cache.flush();
    expect(await cache.usage.frequencies([k], 1)).toEqual(new Map([[k, 0]]));
  });

  test('with force, computes and replaces a fresh value', async () => {
    const cache = client();
    const k = key('force');
    await cache.warm(k, () => 'old', { ttlSeconds: 60 });
    const result = await cache.warm(k, () => 'new', { ttlSeconds: 300, force: true });
    expect(result).toMatchObject({ warmed: true });
    expect(await redis.get(k)).toBe('new');
    expect(await redis.ttl(k)).toBeGreaterThan(290);
  });

  test('concurrent warms of a missing key compute it once', async () => {
    const cache = client();
    const k = key('once');
    const compute = slowCompute('v', 100);
    const results = await Promise.all([1, 2, 3].map(() => cache.warm(k, compute, { ttlSeconds: 60 })));
    expect(compute.calls).toBe(1);
    expect(results.filter((r) => r.warmed)).toHaveLength(3); // one compute, shared: each caller's warm stored it
  });

  test.each([
    [{ ttlSeconds: 0 }, /^ttlSeconds must be a positive integer/],
    [{ ttlSeconds: 60, tags: [''] }, /^tags must be an array of non-empty strings/],
    [{ ttlSeconds: 60, force: 'yes' as never }, /^force must be true or false/],
  ])('refuses %j naming the field', async (options, message) => {
    await expect(client().warm(key('bad'), () => 'v', options)).rejects.toThrow(message);
  });

  test('refuses a key under the reserved prefix', async () => {
    await expect(client().warm(`${prefix}config`, () => 'v', { ttlSeconds: 60 })).rejects.toThrow(/reserved prefix/);
  });
});

describe('invalidateByTags with rewarm', () => {
  test('without a rewarmer it refuses before deleting anything, naming the option', async () => {
    const cache = client();
    const tag = uniqueName('rw');
    const k = key('kept');
    await cache.getOrCompute(k, () => 'v', { ttlSeconds: 60, tags: [tag] });
    await expect(cache.invalidateByTags([tag], { rewarm: true })).rejects.toThrow(
      /rewarm needs the cache client option rewarmer/,
    );
    expect(await redis.get(k)).toBe('v');
  });

  test('hands the deleted keys and the tags to the rewarmer and returns its report', async () => {
    const calls: { keys: readonly string[]; tags?: readonly string[] }[] = [];
    const report = { results: [], succeeded: 0, failed: 0, totalDurationMs: 0, patterns: [], unowned: [] };
    const cache = client({
      rewarmer: {
        rewarmKeys: async (keys, options) => {
          calls.push({ keys, tags: options?.tags });
          return { ...report, unowned: [...keys] };
        },
      },
    });
    const tag = uniqueName('rw');
    const [a, b] = [key('a'), key('b')];
    await cache.getOrCompute(a, () => 'a', { ttlSeconds: 60, tags: [tag] });
    await cache.getOrCompute(b, () => 'b', { ttlSeconds: 60, tags: [tag] });
    const result = await cache.invalidateByTags([tag], { rewarm: true });
    expect(result.keys.sort()).toEqual([a, b].sort());
    expect(result.rewarm.unowned.sort()).toEqual([a, b].sort());
    expect(calls).toEqual([{ keys: result.keys, tags: [tag] }]);
  });
});

describe('usage tracker', () => {
  const now = Date.now();
  let tracker: RedisUsageTracker;
  let usagePrefix: string;

  beforeAll(async () => {
    usagePrefix = `${uniqueName('usage')}:`;
    tracker = new RedisUsageTracker(redis, redisKeys(usagePrefix));
    await tracker.record(new Map([['a', 5]]), now);
    await tracker.record(new Map([['b', 7]]), now - 5 * MINUTE_MS);
    await tracker.record(new Map([['a', 1]]), now - 9 * MINUTE_MS);
    await tracker.record(
      new Map([
        ['c', 100],
        ['a', 10],
      ]),
      now - 20 * MINUTE_MS,
    );
  });

  test('topKeys counts only the buckets inside the window, hottest first', async () => {
    expect(await tracker.topKeys(10, 10, now)).toEqual([
      { key: 'b', count: 7, frequencyPerMinute: 0.7 },
      { key: 'a', count: 6, frequencyPerMinute: 0.6 },
    ]);
    expect(await tracker.topKeys(30, 10, now)).toEqual([
      { key: 'c', count: 100, frequencyPerMinute: 100 / 30 },
      { key: 'a', count: 16, frequencyPerMinute: 16 / 30 },
      { key: 'b', count: 7, frequencyPerMinute: 7 / 30 },
    ]);
    expect((await tracker.topKeys(30, 1, now)).map((u) => u.key)).toEqual(['c']);
    // The window ends with the minute containing nowMs: a minute earlier, `a`'s 5 are in the future.
    expect(await tracker.topKeys(5, 10, now - MINUTE_MS)).toEqual([{ key: 'b', count: 7, frequencyPerMinute: 7 / 5 }]);
  });

  test('topKeys leaves no scratch keys behind', async () => {
    await tracker.topKeys(30, 10, now);
    expect(await redis.keys(`${usagePrefix}{usage}:tmp:*`)).toEqual([]);
  });

  test('frequencies gives accesses per minute over the window for each key, 0 when unseen', async () => {
    const frequencies = await tracker.frequencies(['a', 'b', 'c', 'never'], 10, now);
    expect(Object.fromEntries(frequencies)).toEqual({ a: 0.6, b: 0.7, c: 0, never: 0 });
    expect((await tracker.frequencies(['c'], 30, now)).get('c')).toBe(100 / 30);
  });

  test('a bucket recorded for a minute already past retention is not kept', async () => {
    const short = new RedisUsageTracker(redis, redisKeys(usagePrefix), { retentionMinutes: 5 });
    await short.record(new Map([['old', 3]]), now - 10 * MINUTE_MS);
    expect((await tracker.frequencies(['old'], 30, now)).get('old')).toBe(0);
  });
});
