// Activities as a worker builds them, on a test's own Redis connection and prefix, run outside any
// worker with MockActivityEnvironment: for tests of what activities write, against real Redis.
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Redis } from 'ioredis';
import { createActivities } from '../../activities/create-activities';
import type { LoaderRegistry } from '../../activities/loaders';
import type { OriginLimiter } from '../../activities/origin-limiter';
import { RedisCacheStore } from '../../store/redis-cache-store';
import { redisKeys } from '../../store/redis-keys';
import { RedisUsageTracker } from '../../store/usage-tracker';

/** The activities of a worker whose prefix is `prefix`, writing to `redis`, with the given custom loaders. */
export function testActivities(redis: Redis, prefix: string, loaders: LoaderRegistry, limiter: OriginLimiter) {
  const keys = redisKeys(prefix);
  return createActivities({
    store: new RedisCacheStore(redis, keys),
    limiter,
    loaders,
    optimizer: { redis, keys, usage: new RedisUsageTracker(redis, keys) },
  });
}

/** A mock activity context with the runtime's logger quieted to errors. */
export function activityEnv(): MockActivityEnvironment {
  return new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
}
