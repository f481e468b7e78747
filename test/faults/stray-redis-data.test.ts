// Unexpected data under the system's prefix (written by hand, an old version, another tool):
// metadata that is not a hash or has no numeric version, a tag index that is not a set, a usage
// bucket of the wrong type. Warms, reads, invalidation and the optimiser carry on, and the stray
// data is replaced rather than trusted.
import { createCacheClient } from '../../cache/cache-client';
import { redisKeys } from '../../store/redis-keys';
import { taskWorkflowId } from '../../workflows';
import { uniqueName, waitFor, type TestStack } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

jest.setTimeout(60_000);

const stack = useTestStack();
const origin = useTestOrigin();

async function applyTask(tags: string[] = []) {
  const taskId = uniqueName('stray');
  const cacheKey = `${taskId}:v`;
  origin.route(`/${taskId}`, (_req, hit) => ({ body: `v${hit}` }));
  await stack.warming.apply({
    tasks: [
      {
        taskId,
        cacheKey,
        loader: { type: 'http', url: `${origin.url}/${taskId}` },
        ttlSeconds: 600,
        intervalMinutes: 600,
        tags,
      },
    ],
  });
  await waitFor('the first warm', async () => (await stack.redis.get(cacheKey)) === 'v1');
  return { taskId, cacheKey };
}

test.each([
  ['a string', (redis: TestStack['redis'], key: string) => redis.set(key, 'not a hash')],
  ['a list', (redis: TestStack['redis'], key: string) => redis.rpush(key, 'a', 'b')],
  ['a hash with a non-numeric version', (redis: TestStack['redis'], key: string) => redis.hset(key, 'version', 'zzz')],
])('metadata that is %s is replaced by the next warm', async (_what, plant) => {
  const { taskId, cacheKey } = await applyTask();
  const meta = redisKeys(stack.prefix).meta(cacheKey);
  await stack.redis.del(meta);
  await plant(stack.redis, meta);
  const outcome = await stack.warming.warm(taskId, { reason: 'over stray metadata' });
  expect(outcome).toMatchObject({ ok: true, result: { written: true } });
  expect(await stack.redis.get(cacheKey)).toBe('v2');
  expect(await stack.redis.type(meta)).toBe('hash');
  expect(Number(await stack.redis.hget(meta, 'version'))).toBeGreaterThan(0);
  expect(await stack.warming.status(taskId)).toMatchObject({ warmCount: 2, failureCount: 0 });
});

test('reads through the cache client over stray metadata are served and counted without error', async () => {
  const { cacheKey } = await applyTask();
  const meta = redisKeys(stack.prefix).meta(cacheKey);
  await stack.redis.del(meta);
  await stack.redis.set(meta, 'not a hash');
  const warnings: string[] = [];
  const client = createCacheClient({
    redis: stack.redis,
    prefix: stack.prefix,
    logger: { warn: (message) => warnings.push(message) },
  });
  try {
    expect(await client.get(cacheKey)).toBe('v1');
    await client.flush();
    expect(warnings).toEqual([]);
    expect(await stack.redis.get(meta)).toBe('not a hash'); // a read never rewrites what it does not own
  } finally {
    await client.close();
  }
});

test('a tag index that is not a set is rebuilt by the next warm, and invalidation skips it', async () => {
  const tag = uniqueName('tag');
  const tagKey = redisKeys(stack.prefix).tag(tag);
  await stack.redis.set(tagKey, 'junk');
  const { taskId, cacheKey } = await applyTask([tag]); // the first warm already met the junk
  expect(await stack.redis.smembers(tagKey)).toEqual([cacheKey]);
  expect(await stack.warming.status(taskId)).toMatchObject({ failureCount: 0 });

  // Junk members naming the system's own keys (or nothing) are never deleted by invalidation.
  const configKey = redisKeys(stack.prefix).config();
  const configBefore = await stack.redis.get(configKey);
  expect(configBefore).not.toBeNull();
  await stack.redis.sadd(tagKey, configKey, '');
  const { keys } = await stack.warming.invalidateTag(tag);
  expect(keys).toEqual([cacheKey]);
  expect(await stack.redis.get(cacheKey)).toBeNull();
  expect(await stack.redis.get(configKey)).toBe(configBefore);
  expect(await stack.redis.exists(tagKey)).toBe(0);

  await stack.redis.set(tagKey, 'junk again');
  expect(await stack.warming.invalidateTag(tag)).toEqual({ keys: [] });
});

test('usage buckets and planned intervals of the wrong type do not stop counting or the optimiser', async () => {
  const { taskId, cacheKey } = await applyTask();
  const keys = redisKeys(stack.prefix);
  const minute = Math.floor(Date.now() / 60_000);
  // This minute, the next (in case the minute turns during the test) and one earlier in the window.
  await stack.redis.del(keys.usageBucket(minute), keys.usageBucket(minute + 1)); // earlier tests counted reads
  for (const m of [minute, minute + 1]) await stack.redis.hset(keys.usageBucket(m), 'junk', '1');
  await stack.redis.set(keys.usageBucket(minute - 5), 'junk');
  await stack.redis.set(keys.plannedIntervals(), 'junk');
  const warnings: string[] = [];
  const client = createCacheClient({
    redis: stack.redis,
    prefix: stack.prefix,
    logger: { warn: (message) => warnings.push(message) },
  });
  try {
    for (let i = 0; i < 30; i++) await client.get(cacheKey);
    await client.flush();
    expect(warnings).toEqual([]);
  } finally {
    await client.close();
  }
  const report = await stack.warming.optimize();
  // 30 reads in a 60-minute window: 0.5 per minute, so the 600-minute interval becomes 60.
  expect(report.changes).toContainEqual(expect.objectContaining({ taskId, toMinutes: 60 }));
  expect(await stack.redis.type(keys.plannedIntervals())).toBe('hash');
  const description = await stack.temporal.workflow.getHandle(taskWorkflowId(taskId)).describe();
  expect(description.status.name).toBe('RUNNING');
});

test.each([
  ['a hash', (redis: TestStack['redis'], key: string) => redis.hset(key, 'everyMinutes', '5')],
  ['text that is not JSON', (redis: TestStack['redis'], key: string) => redis.set(key, '{not json')],
  ['JSON with a cycle out of range', (redis: TestStack['redis'], key: string) => redis.set(key, '{"everyMinutes":-3}')],
])(
  "the optimiser's self-tuned cycle over stray data (%s) falls back to the config and is rewritten",
  async (_what, plant) => {
    const { cacheKey } = await applyTask(); // TTL 600 s: a 1-minute cycle from the config
    const tuning = redisKeys(stack.prefix).optimizerTuning();
    await plant(stack.redis, tuning);
    await stack.warming.pauseOptimizer(true);
    try {
      await waitFor('the fallback cycle', async () => (await stack.warming.optimizerStatus()).everyMinutes === 1);
      const client = createCacheClient({ redis: stack.redis, prefix: stack.prefix });
      try {
        for (let i = 0; i < 30; i++) await client.get(cacheKey);
      } finally {
        await client.close();
      }
      await stack.warming.optimize();
      expect(JSON.parse((await stack.redis.get(tuning)) as string)).toMatchObject({ everyMinutes: 1 });
    } finally {
      await stack.warming.pauseOptimizer(false);
    }
  },
);

afterEach(async () => {
  // Whatever a test planted and the code under test did not replace must not fail the next test.
  const keys = redisKeys(stack.prefix);
  for (const key of [keys.appliedSpecs(), keys.plannedIntervals()]) {
    if ((await stack.redis.type(key)) !== 'hash') await stack.redis.del(key);
  }
});

/** Stray data of each type a test plants where one of the system's keys belongs. */
const STRAY_TYPES: [string, (redis: TestStack['redis'], key: string) => Promise<unknown>][] = [
  // With no expiry: where a lock belongs, what a crashed holder of an older version might leave.
  ['a string', (redis, key) => redis.set(key, 'junk')],
  ['a list', (redis, key) => redis.rpush(key, 'a', 'b')],
  ['a set', (redis, key) => redis.sadd(key, 'a', 'b')],
];

test.each(STRAY_TYPES)(
  'applied spec hashes that are %s are replaced: apply asks the workflow, then records what it runs',
  async (_what, plant) => {
    const { taskId, cacheKey } = await applyTask();
    const keys = redisKeys(stack.prefix);
    await stack.redis.del(keys.appliedSpecs());
    await plant(stack.redis, keys.appliedSpecs());
    const task = {
      taskId,
      cacheKey,
      loader: { type: 'http' as const, url: `${origin.url}/${taskId}` },
      ttlSeconds: 600,
      intervalMinutes: 300,
    };
    // A changed spec: updated through the workflow, over the junk.
    expect((await stack.warming.apply({ tasks: [task] })).tasks).toEqual([
      expect.objectContaining({ taskId, action: 'updated' }),
    ]);
    expect(await stack.redis.type(keys.appliedSpecs())).toBe('hash');
    expect((await stack.warming.apply({ tasks: [task] })).tasks).toEqual([{ taskId, action: 'unchanged' }]);
    expect((await stack.warming.status(taskId)).intervalMinutes).toBe(300);
  },
);

test.each(STRAY_TYPES)(
  'planned intervals that are %s do not stop an apply that re-plans a task',
  async (_what, plant) => {
    const { taskId, cacheKey } = await applyTask();
    const keys = redisKeys(stack.prefix);
    await stack.redis.del(keys.plannedIntervals());
    await plant(stack.redis, keys.plannedIntervals());
    const report = await stack.warming.apply({
      tasks: [{ taskId, cacheKey, loader: { type: 'http', url: `${origin.url}/${taskId}` }, ttlSeconds: 60 }],
    });
    expect(report.tasks).toEqual([expect.objectContaining({ taskId, action: 'updated' })]);
    expect(await stack.redis.exists(keys.plannedIntervals())).toBe(0); // the junk went; the optimiser plans anew
    const cycle = await stack.warming.optimize();
    expect(cycle).toBeDefined();
  },
);

test.each(STRAY_TYPES)(
  "a run's history digest that is %s is read from history again and rewritten",
  async (_what, plant) => {
    const { taskId } = await applyTask();
    const keys = redisKeys(stack.prefix);
    const { runId } = await stack.temporal.workflow.getHandle(taskWorkflowId(taskId)).describe();
    await stack.redis.del(keys.runDigest(runId));
    await plant(stack.redis, keys.runDigest(runId));
    const stats = await stack.warming.stats({ taskId });
    expect(stats).toMatchObject({ totalWarmings: 1, succeeded: 1 });
    expect(await stack.redis.type(keys.runDigest(runId))).toBe('string');
    expect(JSON.parse((await stack.redis.get(keys.runDigest(runId))) as string)).toMatchObject({
      warms: [expect.anything()],
    });
  },
);

test.each(STRAY_TYPES)(
  "the queue's run catalogue that is %s is none: every run is listed again and the catalogue rewritten",
  async (_what, plant) => {
    const { taskId } = await applyTask();
    const key = redisKeys(stack.prefix).runCatalogue(stack.taskQueue);
    await stack.redis.del(key);
    await plant(stack.redis, key);
    const stats = await stack.warming.stats();
    expect(stats.byTask[taskId]).toMatchObject({ totalWarmings: 1, succeeded: 1 });
    expect(stats.read.runsListed).toBe(stats.read.runs);
    expect(await stack.redis.type(key)).toBe('string');
    expect(JSON.parse((await stack.redis.get(key)) as string)).toMatchObject({ taskQueue: stack.taskQueue });
  },
);

test.each(STRAY_TYPES)(
  "a run's warm mark that is %s vouches for nothing: the run is described, and the next warm writes over it",
  async (_what, plant) => {
    const { taskId } = await applyTask();
    await waitFor('the warm recorded', async () => (await stack.warming.status(taskId)).warmCount === 1);
    const keys = redisKeys(stack.prefix);
    const { runId } = await stack.temporal.workflow.getHandle(taskWorkflowId(taskId)).describe();
    await stack.warming.stats({ taskId });
    await stack.redis.del(keys.runWarmMark(runId));
    await plant(stack.redis, keys.runWarmMark(runId));
    const stats = await stack.warming.stats({ taskId });
    expect(stats).toMatchObject({ totalWarmings: 1, succeeded: 1 });
    expect(stats.read).toMatchObject({ fromWarmMark: 0, described: 1 });
    await stack.warming.warm(taskId);
    expect(await stack.redis.type(keys.runWarmMark(runId))).toBe('string');
    expect(await stack.redis.get(keys.runWarmMark(runId))).toMatch(/^\d+$/);
    const after = await stack.warming.stats({ taskId });
    expect(after).toMatchObject({ totalWarmings: 2, succeeded: 2 });
    expect((await stack.warming.stats({ taskId })).read).toMatchObject({ fromWarmMark: 1, described: 0 });
  },
);

test.each(STRAY_TYPES.slice(1))(
  'an applied config that is %s counts as none: the optimiser and clients carry on, and apply writes over it',
  async (_what, plant) => {
    const { taskId, cacheKey } = await applyTask();
    const keys = redisKeys(stack.prefix);
    const saved = (await stack.redis.get(keys.config())) as string;
    await stack.redis.del(keys.config());
    await plant(stack.redis, keys.config());
    try {
      expect(await stack.warming.appliedConfig()).toBeUndefined();
      expect(await stack.warming.optimize()).toMatchObject({ tasksOptimized: 0 });
      // A re-warm with no config finds no owner: reported, not thrown.
      expect(await stack.warming.rewarmKeys([cacheKey])).toMatchObject({ unowned: [cacheKey] });
    } finally {
      await stack.redis.del(keys.config());
      await stack.redis.set(keys.config(), saved);
    }
    await stack.redis.del(keys.config());
    await plant(stack.redis, keys.config());
    await stack.warming.apply(JSON.parse(saved));
    expect((await stack.warming.appliedConfig())?.tasks.map((t) => t.taskId)).toContain(taskId);
  },
);

test.each(STRAY_TYPES)('an apply lock that is %s does not hold up apply', async (_what, plant) => {
  const { taskId, cacheKey } = await applyTask();
  const lock = redisKeys(stack.prefix).applyLock();
  await plant(stack.redis, lock);
  const started = Date.now();
  const task = { taskId, cacheKey, loader: { type: 'http' as const, url: `${origin.url}/${taskId}` }, ttlSeconds: 600 };
  expect(await stack.warming.apply({ tasks: [task] })).toMatchObject({ tasks: [expect.objectContaining({ taskId })] });
  expect(Date.now() - started).toBeLessThan(10_000); // not the 5 minutes a live lock may be waited for
  expect(await stack.redis.exists(lock)).toBe(0);
});

test.each(STRAY_TYPES)(
  'a compute lock that is %s neither fails getOrCompute nor makes it wait out the lock',
  async (_what, plant) => {
    const key = `${uniqueName('stray')}:computed`;
    await plant(stack.redis, redisKeys(stack.prefix).lock(key));
    const client = createCacheClient({ redis: stack.redis, prefix: stack.prefix, lockMs: 30_000 });
    try {
      const started = Date.now();
      expect(await client.getOrCompute(key, () => 'fresh', { ttlSeconds: 60 })).toBe('fresh');
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(await stack.redis.exists(redisKeys(stack.prefix).lock(key))).toBe(0);
    } finally {
      await client.close();
    }
  },
);

test.each(STRAY_TYPES)(
  "an origin's shared budget keys that are %s are started afresh: loads from that origin go on",
  async (_what, plant) => {
    const { taskId, cacheKey } = await applyTask();
    const budgetKeys = redisKeys(stack.prefix).originBudget(new URL(origin.url).origin);
    for (const key of budgetKeys) {
      await stack.redis.del(key);
      await plant(stack.redis, key);
    }
    const outcome = await stack.warming.warm(taskId, { reason: 'over a stray budget' });
    expect(outcome).toMatchObject({ ok: true, result: { written: true } });
    expect(await stack.redis.get(cacheKey)).toBe('v2');
    for (const key of budgetKeys) expect(['zset', 'none']).toContain(await stack.redis.type(key));
  },
);

test('every key the system keeps has its stray-data case here', () => {
  // Adding a key builder to RedisKeys means adding its case above (or saying here why it needs none).
  const covered = {
    meta: 'metadata ... is replaced by the next warm; reads over stray metadata',
    tag: 'a tag index that is not a set',
    config: 'an applied config that is ...',
    appliedSpecs: 'applied spec hashes that are ...',
    applyLock: 'an apply lock that is ...',
    runDigest: "a run's history digest that is ...",
    runCatalogue: "the queue's run catalogue that is ...",
    runWarmMark: "a run's warm mark that is ...",
    lock: 'a compute lock that is ...',
    usageBucket: 'usage buckets ... of the wrong type',
    plannedIntervals: 'usage buckets and planned intervals; planned intervals that are ...',
    optimizerTuning: "the optimiser's self-tuned cycle over stray data",
    originBudget: "an origin's shared budget keys that are ...",
    // Named by a fresh random id per union, written (ZUNIONSTORE replaces any type) and deleted in one transaction.
    usageScratch: 'none needed',
  };
  const keys = redisKeys(stack.prefix) as unknown as Record<string, unknown>;
  const builders = Object.keys(keys).filter((name) => typeof keys[name] === 'function');
  expect(builders.sort()).toEqual(Object.keys(covered).sort());
});
