// Security promises about data: no cached value or user data in any workflow history (every
// workflow the system runs, failures included, scanned for a marker), and deployments sharing one
// Redis and one namespace never touch each other's keys when their prefixes differ.
import { createCacheClient } from '../../cache/cache-client';
import { notifyUserLoggedIn } from '../../client/notify-user-logged-in';
import { redisKeys } from '../../store/redis-keys';
import { historiesOnTaskQueue } from '../helpers/history-text';
import { createTestStack, uniqueName, waitFor } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

jest.setTimeout(90_000);

const MARKER = `MARKER-${uniqueName('secret')}`;
const stack = useTestStack({
  loaders: {
    async secretLoader() {
      return { token: MARKER, nested: [MARKER] };
    },
  },
});
const origin = useTestOrigin();

test('no value or user data enters any workflow history: tasks, failures, patterns, bulk warms, user preloads', async () => {
  const run = uniqueName('hist');
  const secret = (what: string) => JSON.stringify({ what, secret: MARKER });
  origin.route(`/${run}/task`, () => ({ body: secret('task') }));
  // An origin that fails with the marker in its error body: the failure is recorded, the body is not.
  origin.route(`/${run}/failing`, (_req, hit) =>
    hit === 1 ? { body: secret('first') } : { status: 404, body: secret('error page') },
  );
  for (const id of ['1', '2']) origin.route(`/${run}/items/${id}`, () => ({ body: secret(`item ${id}`) }));
  origin.route(`/${run}/users/u1/session`, () => ({ body: secret('session') }));
  origin.route(`/${run}/users/u1/forms`, () => ({ body: JSON.stringify([{ id: 'f1', title: MARKER }]) }));
  origin.route(`/${run}/forms/f1`, () => ({ body: secret('form') }));
  const key = (name: string) => `${run}:${name}`;
  await stack.warming.apply({
    tasks: [
      {
        taskId: `${run}-task`,
        cacheKey: key('task'),
        loader: { type: 'http', url: `${origin.url}/${run}/task` },
        ttlSeconds: 600,
      },
      {
        taskId: `${run}-custom`,
        cacheKey: key('custom'),
        loader: { type: 'custom', name: 'secretLoader' },
        ttlSeconds: 600,
        critical: true,
      },
      {
        taskId: `${run}-failing`,
        cacheKey: key('failing'),
        loader: { type: 'http', url: `${origin.url}/${run}/failing` },
        ttlSeconds: 600,
      },
    ],
    patterns: [
      { match: `${run}:item:{id}`, loader: { type: 'http', url: `${origin.url}/${run}/items/{id}` }, ttlSeconds: 600 },
    ],
    // A fixed top N, so the one hot pattern key below is warmed whatever the origin budget (which,
    // with a single key read, has no cache-aside calls to take a share of): this test is about history.
    optimizer: { topN: 10 },
    userPreload: {
      session: {
        loader: { type: 'http', url: `${origin.url}/${run}/users/{userId}/session` },
        key: `${run}:user:{userId}:session`,
        ttlSeconds: 600,
      },
      forms: {
        list: { type: 'http', url: `${origin.url}/${run}/users/{userId}/forms` },
        item: { type: 'http', url: `${origin.url}/${run}/forms/{formId}` },
        key: `${run}:form:{formId}`,
        ttlSeconds: 600,
      },
    },
  });
  for (const name of ['task', 'custom', 'failing']) {
    await waitFor(`${name} warmed`, async () => (await stack.redis.get(key(name)))?.includes(MARKER));
  }
  // A forced warm through the warmNow update (its result is in history), and a failing one.
  expect(await stack.warming.warm(`${run}-task`)).toMatchObject({ ok: true });
  expect(await stack.warming.warm(`${run}-failing`)).toMatchObject({ ok: false });
  expect(await stack.redis.get(key('failing'))).toContain('first'); // the stale value stays
  // A hot pattern key, warmed by the optimiser in a batch.
  const cache = createCacheClient({ redis: stack.redis, prefix: stack.prefix });
  for (let i = 0; i < 30; i++) await cache.get(`${run}:item:1`);
  await cache.close();
  await stack.warming.optimize();
  expect(await stack.redis.get(`${run}:item:1`)).toContain(MARKER);
  // A bulk warm.
  await stack.temporal.workflow.execute('bulkWarmWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: uniqueName('bulk'),
    args: [
      {
        template: {
          key: `${run}:bulk:{id}`,
          loader: { type: 'http', url: `${origin.url}/${run}/items/{id}` },
          ttlSeconds: 600,
        },
        idRange: { from: 1, to: 3 },
      },
    ],
  });
  expect(await stack.redis.get(`${run}:bulk:2`)).toContain(MARKER);
  // A user preload.
  await notifyUserLoggedIn(stack.temporal, 'u1', { taskQueue: stack.taskQueue });
  await waitFor('the user preloaded', async () => (await stack.redis.get(`${run}:form:f1`))?.includes(MARKER));
  // The keys land in Redis inside the preload's local activity, before its result is in history.
  const { ids, text } = await waitFor('the preload recorded in history', async () => {
    const histories = await historiesOnTaskQueue(stack.temporal, stack.taskQueue);
    return histories.text.includes(key('form:f1')) ? histories : undefined;
  });
  // Every kind of workflow was scanned, and payloads are decoded (key names are readable)...
  for (const kind of ['warm-task:', 'user-logins:', 'bulk-']) expect(ids.join(' ')).toContain(kind);
  expect(ids.some((id) => /preload/i.test(id))).toBe(true);
  const mentions = (needle: string) => {
    // Not expect(text).toContain: a failure would print every history.
    if (!text.includes(needle)) throw new Error(`the histories do not mention ${needle}`);
  };
  for (const name of ['task', 'custom', 'failing', 'item:{id}', 'bulk:{id}', 'form:f1']) mentions(key(name));
  mentions('answered 404'); // ...failures are there...
  const leak = text.indexOf(MARKER); // ...and no value, error body or form title is.
  if (leak >= 0) throw new Error(`a value leaked into history: ...${text.slice(Math.max(0, leak - 300), leak + 100)}`);
});

test('deployments with different prefixes on one Redis and one namespace never touch each other', async () => {
  const other = await createTestStack();
  try {
    await other.startWorker();
    const tag = 'shared-tag';
    // Task ids must differ: a task's workflow id is warm-task:<taskId> in the shared namespace.
    const taskId = uniqueName('iso');
    const tasksFor = (who: string) => [
      {
        taskId: `${taskId}-${who}`,
        cacheKey: `${taskId}:${who}`,
        loader: { type: 'http' as const, url: `${origin.url}/${taskId}/${who}` },
        ttlSeconds: 600,
        tags: [tag],
      },
    ];
    for (const who of ['a', 'b']) origin.route(`/${taskId}/${who}`, () => ({ body: who }));
    await stack.warming.apply({ tasks: tasksFor('a') });
    await other.warming.apply({ tasks: tasksFor('b') });
    await waitFor('both warmed', async () => (await stack.redis.mget(`${taskId}:a`, `${taskId}:b`)).join() === 'a,b');

    // Each deployment sees its own task and config only...
    const listed = await waitFor('both listings', async () => {
      const [mine, theirs] = await Promise.all([stack.warming.listTaskIds(), other.warming.listTaskIds()]);
      return mine.includes(`${taskId}-a`) && theirs.length > 0 ? { mine, theirs } : undefined;
    });
    expect(listed.mine).not.toContain(`${taskId}-b`);
    expect(listed.theirs).toEqual([`${taskId}-b`]);
    expect((await stack.warming.appliedConfig())?.tasks.map((t) => t.cacheKey)).toEqual([`${taskId}:a`]);
    // ...and invalidating the shared tag name in one leaves the other's keys alone.
    expect((await stack.warming.invalidateTag(tag)).keys).toEqual([`${taskId}:a`]);
    expect(await stack.redis.get(`${taskId}:b`)).toBe('b');
    expect(await other.redis.smembers(redisKeys(other.prefix).tag(tag))).toEqual([`${taskId}:b`]);
    expect(await other.warming.status(`${taskId}-b`)).toMatchObject({ cacheKey: `${taskId}:b`, warmCount: 1 });
  } finally {
    await other.close();
  }
});

test("an application cannot write a value under the system's prefix through the cache client", async () => {
  const cache = createCacheClient({ redis: stack.redis, prefix: stack.prefix });
  try {
    const configKey = redisKeys(stack.prefix).config();
    const before = await stack.redis.get(configKey);
    await expect(cache.getOrCompute(configKey, () => 'clobbered', { ttlSeconds: 60 })).rejects.toThrow(
      /is under the reserved prefix/,
    );
    expect(await stack.redis.get(configKey)).toBe(before);
  } finally {
    await cache.close();
  }
});

test('apply refuses a task whose key is under the reserved prefix, and applies nothing', async () => {
  const configKey = redisKeys(stack.prefix).config();
  const before = await stack.redis.get(configKey);
  await expect(
    stack.warming.apply({
      tasks: [
        { taskId: uniqueName('p'), cacheKey: configKey, loader: { type: 'http', url: origin.url }, ttlSeconds: 60 },
      ],
    }),
  ).rejects.toThrow(/tasks\[0\]\.cacheKey: .* is under the reserved prefix/);
  expect(await stack.redis.get(configKey)).toBe(before);
});
