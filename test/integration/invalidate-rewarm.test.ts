// invalidateByTags(tags, { rewarm: true }) from the cache client, through a WarmingClient as its
// rewarmer: every deleted key's owner warms it again (a task through its workflow, pattern keys in
// a batch); keys nobody owns are reported and left for the application.
import { createCacheClient, type CacheClient } from '../../cache/cache-client';
import { uniqueName, waitFor } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

const stack = useTestStack();
const origin = useTestOrigin();
let cache: CacheClient;

beforeAll(async () => {
  cache = stack.adopt(createCacheClient({ redis: stack.redis, prefix: stack.prefix, rewarmer: stack.warming }));
});

test('re-warms the task owning a deleted key through its workflow and pattern keys in a batch; reports unowned keys', async () => {
  const run = uniqueName('rewarm');
  const tag = `t-${run}`;
  const taskId = `${run}-task`;
  origin.route(`/${run}/task`, (_req, hit) => ({ body: `task-${hit}` }));
  origin.route(`/${run}/p`, (req) => ({ body: `p-${new URL(req.url ?? '/', origin.url).searchParams.get('id')}` }));
  await stack.warming.apply({
    tasks: [
      {
        taskId,
        cacheKey: `${run}:task`,
        loader: { type: 'http', url: `${origin.url}/${run}/task` },
        ttlSeconds: 600,
        tags: [tag],
      },
    ],
    patterns: [
      {
        match: `${run}:p:{id}`,
        loader: { type: 'http', url: `${origin.url}/${run}/p?id={id}` },
        ttlSeconds: 600,
        tags: [tag],
      },
    ],
    optimizer: { everyMinutes: 1440 },
  });
  await waitFor('the task warmed', async () => (await stack.redis.get(`${run}:task`)) === 'task-1');
  // Values the application wrote itself, with the same tag: two pattern keys and one nobody owns.
  for (const id of ['1', '2']) await cache.warm(`${run}:p:${id}`, () => `app-${id}`, { ttlSeconds: 60, tags: [tag] });
  await cache.warm(`${run}:other`, () => 'app-other', { ttlSeconds: 60, tags: [tag] });

  const { keys, rewarm } = await cache.invalidateByTags([tag], { rewarm: true });
  expect(keys.sort()).toEqual([`${run}:other`, `${run}:p:1`, `${run}:p:2`, `${run}:task`].sort());
  expect(rewarm.results).toEqual([expect.objectContaining({ taskId, ok: true })]);
  expect(rewarm.patterns).toEqual([{ match: `${run}:p:{id}`, keys: 2, warmed: 2, superseded: 0, failed: 0 }]);
  expect(rewarm.unowned).toEqual([`${run}:other`]);

  expect(await stack.redis.mget(`${run}:task`, `${run}:p:1`, `${run}:p:2`, `${run}:other`)).toEqual([
    'task-2',
    'p-1',
    'p-2',
    null,
  ]);
  expect(await stack.redis.ttl(`${run}:p:1`)).toBeGreaterThan(590);
  // The task's re-warm is one of its warms; the re-warmed pattern keys carry the tag again.
  expect((await stack.warming.status(taskId)).warmCount).toBe(2);
  expect((await cache.invalidateByTags([tag])).sort()).toEqual([`${run}:p:1`, `${run}:p:2`, `${run}:task`].sort());
});
