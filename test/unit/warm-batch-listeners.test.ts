// A warm batch runs its loads at once, each following the activity's cancellation signal with one
// listener: the signal's listener limit must cover them, or Node warns of a leak on every batch.
// And it heartbeats as a batch, not as each load: at most one beat a second as loads end, and one
// every few seconds while no load ends.
import { Context } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Redis } from 'ioredis';
import { getMaxListeners } from 'node:events';
import { DEFAULT_LIMITS } from '../../activities/limits';
import { Loaders } from '../../activities/loaders';
import { createOptimizerActivities, type WarmBatchResult } from '../../activities/optimizer-activities';
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
  const activities = batchActivities(loaders);
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

/** The optimiser's activities over `loaders`, with a store that writes every entry. */
function batchActivities(loaders: Loaders) {
  const store = {
    writeManyIfNewer: async (entries: readonly unknown[]) => entries.map(() => ({ written: true })),
  } as unknown as CacheStore;
  return createOptimizerActivities({
    redis: {} as Redis,
    keys: redisKeys('cw:'),
    store,
    usage: {} as UsageStore,
    loaders,
  });
}

/** warmBatch over `keys` keys of the custom loader `source`, and the heartbeats it sent (their details). */
async function runBatch(source: () => Promise<string>, keys: number): Promise<{ written: number; beats: unknown[] }> {
  const limiter = new OriginLimiter({ originConcurrency: 64, originRatePerSecond: 0 });
  const loaders = new Loaders({ registry: { source }, limiter, limits: DEFAULT_LIMITS });
  const env = new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
  const beats: unknown[] = [];
  env.on('heartbeat', (details: unknown) => beats.push(details));
  try {
    const result = await env.run(() =>
      batchActivities(loaders).warmBatch({
        template: { key: 'k:{id}', loader: { type: 'custom', name: 'source' }, ttlSeconds: 60, tags: [], source: 't' },
        vars: Array.from({ length: keys }, (_, i) => ({ id: String(i) })),
      }),
    );
    return { written: (result as WarmBatchResult).written, beats };
  } finally {
    await limiter.stop();
  }
}

test('a batch of fast loads beats at most once a second, not once a load', async () => {
  const { written, beats } = await runBatch(async () => 'v', 500);
  expect(written).toBe(500);
  // 500 loads in well under a second: the first load's beat, not 500.
  expect(beats.length).toBeGreaterThanOrEqual(1);
  expect(beats.length).toBeLessThanOrEqual(2);
});

test('a batch beats while a slow load ends nothing, with its progress', async () => {
  let calls = 0;
  const { written, beats } = await runBatch(async () => {
    // The first key answers at once, the second only after more than the 5 s beat interval.
    if (calls++ === 1) await new Promise((resolve) => setTimeout(resolve, 5_600));
    return 'v';
  }, 2);
  expect(written).toBe(2);
  // The first load's end (1 done), then the interval's beat during the slow one (still 1 done).
  expect(beats.slice(0, 2)).toEqual([1, 1]);
}, 15_000);
