// Critical warms run on their own queue with reserved slots, so a flood of normal warms never
// delays them; and no origin ever sees more concurrent loads than its cap.
import { uniqueName, waitFor } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

const stack = useTestStack({
  maxConcurrentActivities: 4,
  criticalMaxConcurrentActivities: 2,
  limits: { originConcurrency: 2 },
});
const slowOrigin = useTestOrigin();
const fastOrigin = useTestOrigin();

test('a critical warm is not delayed by a flood of slow normal warms, and the origin cap holds', async () => {
  const run = uniqueName('flood');
  slowOrigin.route('/slow', () => ({ body: 'slow', delayMs: 1_500 }));
  fastOrigin.route('/fast', () => ({ body: 'fast' }));
  const normal = Array.from({ length: 10 }, (_, i) => ({
    taskId: `${run}-n${i}`,
    cacheKey: `${run}:n${i}`,
    loader: { type: 'http' as const, url: `${slowOrigin.url}/slow` },
    ttlSeconds: 600,
  }));
  await stack.warming.apply({ tasks: normal });
  // The flood is under way: every normal slot is taken and more warms are queued behind them.
  await waitFor('the slow origin busy', () => slowOrigin.inFlight() === 2);

  await stack.warming.apply({
    tasks: [
      {
        taskId: `${run}-critical`,
        cacheKey: `${run}:critical`,
        loader: { type: 'http', url: `${fastOrigin.url}/fast` },
        ttlSeconds: 600,
        priority: 90,
      },
    ],
  });
  await waitFor('the critical key', async () => (await stack.redis.get(`${run}:critical`)) === 'fast');
  const normalDone = await stack.redis.exists(...normal.map((t) => t.cacheKey));
  // 10 warms at 2 at a time, 1.5 s each, take 7.5 s; the critical one landed while most still waited
  // (a margin of seconds, so a loaded machine does not make this flaky).
  expect(normalDone).toBeLessThan(normal.length / 2);

  await waitFor(
    'every normal key',
    async () => (await stack.redis.exists(...normal.map((t) => t.cacheKey))) === normal.length,
    { timeoutMs: 30_000 },
  );
  expect(slowOrigin.maxInFlight()).toBe(2);
});

test('a task with priority 50 or more counts as critical', async () => {
  const taskId = uniqueName('p50');
  fastOrigin.route('/p50', () => ({ body: 'p' }));
  await stack.warming.apply({
    tasks: [
      {
        taskId,
        cacheKey: `${taskId}:v`,
        loader: { type: 'http', url: `${fastOrigin.url}/p50` },
        ttlSeconds: 60,
        priority: 50,
      },
    ],
  });
  const status = await waitFor('status', () => stack.warming.status(taskId));
  expect(status.critical).toBe(true);
  const listed = await waitFor('listed as critical', async () => {
    const ids = await stack.warming.listTaskIds('WarmCritical = true');
    return ids.includes(taskId) ? ids : undefined;
  });
  expect(listed).toContain(taskId);
});
