// Loads made by an activity on the critical task queue are critical at the shared per-origin
// limiter; elsewhere they are normal unless the caller says otherwise (bulk batches).
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { DEFAULT_LIMITS } from '../../activities/limits';
import { activityLoadPriority, Loaders } from '../../activities/loaders';
import { OriginLimiter } from '../../activities/origin-limiter';
import { criticalTaskQueue, isCriticalTaskQueue } from '../../core/workflow-ids';

const env = (taskQueue: string) => new MockActivityEnvironment({ taskQueue }, { logger: new DefaultLogger('ERROR') });

test('an activity on the critical queue derived from the main one loads with critical priority', async () => {
  expect(isCriticalTaskQueue(criticalTaskQueue('cache-warming'))).toBe(true);
  expect(isCriticalTaskQueue('cache-warming')).toBe(false);
  expect(await env(criticalTaskQueue('q')).run(async () => activityLoadPriority())).toBe('critical');
  expect(await env('q').run(async () => activityLoadPriority())).toBe('normal');
  expect(activityLoadPriority()).toBe('normal'); // outside any activity
});

test('a load from the critical queue overtakes bulk loads queued at the same origin', async () => {
  const limiter = new OriginLimiter({ originConcurrency: 1, originRatePerSecond: 0 });
  const order: string[] = [];
  let releaseFirst: () => void = () => undefined;
  const loaders = new Loaders({
    registry: {
      source: async (args) => {
        order.push(String(args.name));
        if (args.name === 'first') await new Promise<void>((r) => (releaseFirst = r));
        return 'v';
      },
    },
    limiter,
    limits: DEFAULT_LIMITS,
  });
  const request = (name: string) => ({
    spec: { type: 'custom' as const, name: 'source', args: { name } },
    vars: {},
    signal: new AbortController().signal,
    heartbeat: () => undefined,
  });
  const first = loaders.load(request('first'));
  const bulk = [
    loaders.load({ ...request('bulk-1'), priority: 'bulk' }),
    loaders.load({ ...request('bulk-2'), priority: 'bulk' }),
  ];
  const critical = env(criticalTaskQueue('q')).run(() => loaders.load(request('critical')));
  await new Promise((r) => setImmediate(r));
  expect(limiter.queued('custom:source', 'critical')).toBe(1);
  releaseFirst();
  await Promise.all([first, ...bulk, critical]);
  expect(order).toEqual(['first', 'critical', 'bulk-1', 'bulk-2']);
  await limiter.stop();
});
