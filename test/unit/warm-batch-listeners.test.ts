// A warm batch runs its loads at once, each following the activity's cancellation signal with one
// listener: the signal's listener limit must cover them, or Node warns of a leak on every batch.
import { Context } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Redis } from 'ioredis';
import { getMaxListeners } from 'node:events';
import { DEFAULT_LIMITS } from '../../activities/limits';
import { Loaders } from '../../activities/loaders';
import { createOptimizerActivities } from '../../activities/optimizer-activities';
import { OriginLimiter } from '../../activities/origin-limiter';
import type { CacheStore } from '../../store/cache-store';
import { redisKeys } from '../../store/redis-keys';
import type { UsageStore } from '../../store/usage-tracker';

test('a batch of 40 keys with 32 loads in flight raises the signal limit to cover them', async () => {
  const limiter = new OriginLimiter({ originConcurrency: 64, originRatePerSecond: 0 });
  const limits: number[] = [];
  let inFlight = 0;
  let peak = 0;
  const loaders = new Loaders({
    registry: {
      source: async () => {
        limits.push(getMaxListeners(Context.current().cancellationSignal));
        peak = Math.max(peak, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        return 'v';
      },
    },
    limiter,
    limits: DEFAULT_LIMITS,
  });
  const store = {
    writeManyIfNewer: async (entries: readonly unknown[]) => entries.map(() => ({ written: true })),
  } as unknown as CacheStore;
  const activities = createOptimizerActivities({
    redis: {} as Redis,
    keys: redisKeys('cw:'),
    store,
    usage: {} as UsageStore,
    loaders,
  });
  const env = new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
  const result = await env.run(() =>
    activities.warmBatch({
      template: { key: 'k:{id}', loader: { type: 'custom', name: 'source' }, ttlSeconds: 60, tags: [], source: 'test' },
      vars: Array.from({ length: 40 }, (_, i) => ({ id: String(i) })),
    }),
  );
  expect(result).toMatchObject({ total: 40, written: 40, failed: 0 });
  expect(peak).toBe(32);
  expect(Math.min(...limits)).toBeGreaterThanOrEqual(32);
  await limiter.stop();
});
