// Stats come from Temporal history and must agree exactly with what the origin saw, across
// forced warms, failures, worker restarts and continue-as-new.
import { parseTask } from '../../core/config-schema';
import { taskWorkflowId, warmTaskWorkflow } from '../../workflows';
import { createTestStack, uniqueName, waitFor, type TestStack } from '../helpers/test-env';
import { startTestOrigin, type TestOrigin } from '../helpers/test-origin';

let stack: TestStack;
let origin: TestOrigin;

beforeAll(async () => {
  stack = await createTestStack();
  origin = await startTestOrigin();
  await stack.startWorker();
});

afterAll(async () => {
  await stack?.close();
  await origin?.close();
});

test('stats agree exactly with the warms the origin served, per task and overall, across a worker restart', async () => {
  const run = uniqueName('st');
  const good = {
    taskId: `${run}-good`,
    cacheKey: `${run}:good`,
    loader: { type: 'http' as const, url: `${origin.url}/${run}/good` },
    ttlSeconds: 600,
  };
  const bad = {
    taskId: `${run}-bad`,
    cacheKey: `${run}:bad`,
    loader: { type: 'http' as const, url: `${origin.url}/${run}/bad` },
    ttlSeconds: 600,
  };
  origin.route(`/${run}/good`, (_req, hit) => ({ body: `g${hit}` }));
  origin.route(`/${run}/bad`, (_req, hit) => (hit === 1 ? { body: 'b1' } : { status: 404 }));
  await stack.warming.apply({ tasks: [good, bad] });
  await waitFor('first warms', async () => (await stack.redis.exists(good.cacheKey, bad.cacheKey)) === 2);
  await waitFor(
    'statuses',
    async () =>
      (await stack.warming.status(good.taskId)).warmCount === 1 &&
      (await stack.warming.status(bad.taskId)).warmCount === 1,
  );

  for (let i = 0; i < 3; i++) await stack.warming.warm(good.taskId);
  await stack.warming.warm(bad.taskId);
  await stack.warming.warm(bad.taskId);
  // A new worker picks up where the old one stopped; history, not the worker, holds the counts.
  await stack.stopWorker();
  await stack.startWorker();
  await stack.warming.warm(good.taskId);

  const stats = await stack.warming.stats({ taskId: undefined });
  const goodStats = stats.byTask[good.taskId];
  const badStats = stats.byTask[bad.taskId];
  expect(goodStats).toMatchObject({ totalWarmings: origin.hitsFor(`/${run}/good`), succeeded: 5, failed: 0 });
  expect(badStats).toMatchObject({ totalWarmings: origin.hitsFor(`/${run}/bad`), succeeded: 1, failed: 2 });
  expect(stats.totalWarmings).toBeGreaterThanOrEqual(8);
  expect(goodStats?.fastestMs).toBeLessThanOrEqual(goodStats?.p50DurationMs ?? -1);
  expect(goodStats?.p95DurationMs).toBeLessThanOrEqual(goodStats?.slowestMs ?? -1);
  // Nothing read the good key between warms: each replaced warm was wasted; the live one is pending.
  expect(goodStats).toMatchObject({ wasted: 4, useful: 0, pending: 1, efficiencyScore: 0 });

  const one = await stack.warming.stats({ taskId: good.taskId });
  expect(Object.keys(one.byTask)).toEqual([good.taskId]);
  const future = await stack.warming.stats({ sinceMs: Date.now() + 60_000 });
  expect(future.totalWarmings).toBe(0);
});

test('a warm whose value was read before it was replaced counts as useful', async () => {
  const taskId = uniqueName('eff');
  origin.route(`/${taskId}`, (_req, hit) => ({ body: `e${hit}` }));
  await stack.warming.apply({
    tasks: [
      { taskId, cacheKey: `${taskId}:v`, loader: { type: 'http', url: `${origin.url}/${taskId}` }, ttlSeconds: 600 },
    ],
  });
  await waitFor('first warm', async () => (await stack.warming.status(taskId)).warmCount === 1);
  // A read through the system's read path bumps the value's read counter.
  await stack.redis.hincrby(stack.warming.keys.meta(`${taskId}:v`), 'reads', 1);
  await stack.warming.warm(taskId);
  await stack.warming.warm(taskId);
  const stats = (await stack.warming.stats({ taskId })).byTask[taskId];
  expect(stats).toMatchObject({ succeeded: 3, useful: 1, wasted: 1, pending: 1, efficiencyScore: 50 });
});

test('counts survive continue-as-new: every run of the chain is read', async () => {
  const taskId = uniqueName('can');
  origin.route(`/${taskId}`, (_req, hit) => ({ body: `c${hit}` }));
  const spec = parseTask({
    taskId,
    cacheKey: `${taskId}:v`,
    loader: { type: 'http', url: `${origin.url}/${taskId}` },
    ttlSeconds: 60,
    intervalMinutes: 0.01,
  });
  const handle = await stack.temporal.workflow.start(warmTaskWorkflow, {
    workflowId: taskWorkflowId(taskId),
    taskQueue: stack.taskQueue,
    args: [{ spec, historyEventsLimit: 40 }],
  });
  await waitFor('a continue-as-new', async () => (await stack.warming.status(taskId)).generation >= 1, {
    timeoutMs: 30_000,
  });
  await handle.signal('pause');
  await waitFor('paused', async () => (await stack.warming.status(taskId)).state === 'paused');
  const status = await stack.warming.status(taskId);
  const stats = await waitFor('stats over every run', async () => {
    const s = (await stack.warming.stats({ taskId })).byTask[taskId];
    return s && s.totalWarmings === origin.hitsFor(`/${taskId}`) ? s : undefined;
  });
  expect(stats.succeeded).toBe(status.warmCount);
  await handle.terminate('test done');
});
