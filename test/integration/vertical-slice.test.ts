// The thinnest end-to-end path: apply a config with one http task, and the key is in Redis.
import { parseWarmingConfig } from '../../core/config-schema';
import { uniqueName, waitFor } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

const stack = useTestStack();
const origin = useTestOrigin();

test('applying a task with an http loader writes the key to Redis with its TTL, readable with plain GET', async () => {
  const taskId = uniqueName('catalog');
  const cacheKey = `${taskId}:products`;
  const body = JSON.stringify({ products: [1, 2, 3], marker: taskId });
  origin.route('/products', () => ({ body }));
  const config = parseWarmingConfig({
    tasks: [
      {
        taskId,
        cacheKey,
        loader: { type: 'http', url: `${origin.url}/products` },
        ttlSeconds: 3600,
        intervalMinutes: 60,
      },
    ],
  });

  const report = await stack.warming.apply(config);

  expect(report.tasks).toEqual([{ taskId, action: 'created' }]);
  const value = await waitFor('the warmed value', () => stack.redis.get(cacheKey).then((v) => v ?? undefined));
  expect(value).toBe(body);
  const ttl = await stack.redis.ttl(cacheKey);
  expect(ttl).toBeGreaterThan(3500);
  expect(ttl).toBeLessThanOrEqual(3600);
  const status = await waitFor('warmCount 1', async () => {
    const s = await stack.warming.status(taskId);
    return s.warmCount === 1 ? s : undefined;
  });
  expect(status).toMatchObject({
    taskId,
    cacheKey,
    intervalMinutes: 60,
    critical: false,
    priority: 10,
    paused: false,
    failureCount: 0,
  });
  expect(Date.parse(status.nextWarmAt as string) - Date.parse(status.lastWarmAt as string)).toBe(60 * 60_000);
  expect(origin.hitsFor('/products')).toBe(1);
});
