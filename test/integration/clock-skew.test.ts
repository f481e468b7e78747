// Versions and tombstones come from Redis's clock (TIME), not the caller's: a machine whose clock
// is a minute off, ahead or behind, can neither make every later warm "superseded" nor let its
// older load overwrite a newer one. Clocks are skewed by replacing Date.now in this process while
// the skewed machine's part runs; Redis is a real redis-server.
import { Redis } from 'ioredis';
import { createCacheClient, type CacheClient } from '../../cache/cache-client';
import type { WarmKeyInput, WarmKeyResult } from '../../activities/create-activities';
import { OriginLimiter } from '../../activities/origin-limiter';
import { RedisCacheStore } from '../../store/redis-cache-store';
import { redisKeys } from '../../store/redis-keys';
import { activityEnv, testActivities } from '../helpers/test-activities';
import { testServers, uniqueName, waitFor } from '../helpers/test-env';

const MINUTE_MS = 60_000;

let redis: Redis;
let prefix: string;
let store: RedisCacheStore;
let cache: CacheClient;
const limiter = new OriginLimiter({ originConcurrency: 8, originRatePerSecond: 0 });
/** Loads of the `slow` loader wait for this to be called. */
let releaseSlow: () => void = () => undefined;
let slowStarted: Promise<void> = Promise.resolve();
let markSlowStarted: () => void = () => undefined;

beforeAll(() => {
  redis = new Redis(testServers().redisUrl);
  prefix = `${uniqueName('clock')}:`;
  store = new RedisCacheStore(redis, redisKeys(prefix));
  cache = createCacheClient({ redis, prefix, flushIntervalMs: 3_600_000 });
});

afterAll(async () => {
  await cache.close();
  redis.disconnect();
  await limiter.stop();
});

beforeEach(() => {
  slowStarted = new Promise((resolve) => (markSlowStarted = resolve));
});

afterEach(() => {
  jest.restoreAllMocks();
});

/** Runs `work` as if on a machine whose clock is `offsetMs` off. */
async function onSkewedClock<T>(offsetMs: number, work: () => Promise<T>): Promise<T> {
  const realNow = Date.now.bind(Date);
  const spy = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + offsetMs);
  try {
    return await work();
  } finally {
    spy.mockRestore();
  }
}

const activities = () =>
  testActivities(
    redis,
    prefix,
    {
      fast: async (args) => String(args.value),
      slow: async (args) => {
        markSlowStarted();
        await new Promise<void>((resolve) => (releaseSlow = resolve));
        return String(args.value);
      },
    },
    limiter,
  );

function warmInput(cacheKey: string, loader: 'fast' | 'slow', value: string, tags: string[] = []): WarmKeyInput {
  return {
    cacheKey,
    loader: { type: 'custom', name: loader, args: { value } },
    ttlSeconds: 600,
    tags,
    source: 'task:t',
  };
}

/** Redis's clock in ms. */
async function redisNowMs(): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

test('an invalidation by a client whose clock is 60 s ahead does not make the next warm superseded', async () => {
  const tag = uniqueName('tag');
  const key = uniqueName('skewed-invalidation');
  await cache.warm(key, () => 'v1', { ttlSeconds: 600, tags: [tag] });
  expect(await onSkewedClock(MINUTE_MS, () => cache.invalidateByTags([tag]))).toEqual([key]);
  // The tombstone carries Redis's time, not the laptop's.
  expect(Number(await redis.hget(redisKeys(prefix).meta(key), 'version'))).toBeLessThanOrEqual(await redisNowMs());

  expect(await cache.warm(key, () => 'v2', { ttlSeconds: 600, tags: [tag], force: true })).toMatchObject({
    warmed: true,
  });
  const warm = await activityEnv().run(activities().warmKey, warmInput(key, 'fast', 'v3', [tag]));
  expect(warm).toMatchObject({ written: true });
  expect(await redis.get(key)).toBe('v3');
});

test('a warm on a worker whose clock is 60 s behind is not superseded by an invalidation just before it', async () => {
  const tag = uniqueName('tag');
  const key = uniqueName('slow-worker');
  await cache.warm(key, () => 'v1', { ttlSeconds: 600, tags: [tag] });
  await store.invalidateTag(tag);
  const warm = await onSkewedClock(-MINUTE_MS, () =>
    activityEnv().run(activities().warmKey, warmInput(key, 'fast', 'v2', [tag])),
  );
  expect(warm).toMatchObject({ written: true });
  expect(await redis.get(key)).toBe('v2');
});

test('a warm by a worker whose clock is 60 s ahead does not make the warms of the others superseded', async () => {
  const key = uniqueName('fast-worker');
  await onSkewedClock(MINUTE_MS, () => activityEnv().run(activities().warmKey, warmInput(key, 'fast', 'ahead')));
  const warm = await activityEnv().run(activities().warmKey, warmInput(key, 'fast', 'on time'));
  expect(warm).toMatchObject({ written: true });
  expect(await redis.get(key)).toBe('on time');
  // The same for a value an application computes.
  expect(await cache.warm(key, () => 'computed', { ttlSeconds: 600, force: true })).toMatchObject({ warmed: true });
});

test('an older load still never overwrites a newer one, even from a machine whose clock is 60 s ahead', async () => {
  const key = uniqueName('older-load');
  // The older load starts on the fast machine and is held at its origin...
  // (held in an object, so the skew ends once the load has started, not when it ends).
  const older = await onSkewedClock(MINUTE_MS, async () => {
    const run: Promise<WarmKeyResult> = activityEnv().run(activities().warmKey, warmInput(key, 'slow', 'older'));
    await slowStarted;
    return { run };
  });
  const startedBy = await redisNowMs();
  await waitFor('Redis time to pass the older load start', async () => (await redisNowMs()) > startedBy);
  // ...while a newer load, started after it, completes on a machine with the right time.
  const newer: WarmKeyResult = await activityEnv().run(activities().warmKey, warmInput(key, 'fast', 'newer'));
  expect(newer).toMatchObject({ written: true });
  releaseSlow();
  const olderResult: WarmKeyResult = await older.run;
  expect(olderResult).toMatchObject({ written: false });
  expect(await redis.get(key)).toBe('newer');
  expect(newer.version).toBeGreaterThan(olderResult.version);
});
