// WARMING_CRITICAL_QUEUE=auto (createWorker's criticalQueue: 'auto'): a worker of a deployment with
// no critical tasks polls only the main queue; once a critical task is applied it starts polling
// the critical queue and the task warms; a worker started when critical work exists polls it at once.
import { createTestStack, uniqueName, waitFor } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

const stack = useTestStack({ worker: false, criticalQueue: 'auto', criticalCheckIntervalMs: 300 });
const origin = useTestOrigin({ '/v': () => ({ body: 'v' }) });

async function criticalPollers(taskQueue: string): Promise<number> {
  const response = await stack.temporal.workflowService.describeTaskQueue({
    namespace: 'default',
    taskQueue: { name: `${taskQueue}-critical` },
    taskQueueType: 1, // workflow tasks
  });
  return response.pollers?.length ?? 0;
}

test('polls the critical queue only once a critical task exists, and that task then warms', async () => {
  const run = uniqueName('auto');
  const task = (id: string, critical: boolean) => ({
    taskId: `${run}-${id}`,
    cacheKey: `${run}:${id}`,
    loader: { type: 'http', url: `${origin.url}/v` },
    ttlSeconds: 600,
    critical,
  });
  await stack.warming.apply({ tasks: [task('normal', false)], optimizer: { everyMinutes: 1440 } });
  await stack.startWorker();
  expect(stack.worker.pollsCriticalQueue).toBe(false);
  await waitFor('the normal task warmed', async () => (await stack.redis.get(`${run}:normal`)) === 'v');
  expect(stack.worker.health().workers).toEqual({ main: 'RUNNING', critical: 'NOT_STARTED' });
  expect(await criticalPollers(stack.taskQueue)).toBe(0);

  await stack.warming.apply({ tasks: [task('normal', false), task('crit', true)], optimizer: { everyMinutes: 1440 } });
  await waitFor('the critical task warmed', async () => (await stack.redis.get(`${run}:crit`)) === 'v');
  expect(stack.worker.pollsCriticalQueue).toBe(true);
  expect(stack.worker.health().workers).toEqual({ main: 'RUNNING', critical: 'RUNNING' });
  expect((await stack.warming.status(`${run}-crit`)).warmCount).toBeGreaterThanOrEqual(1);
  await stack.stopWorker();

  // A worker started now finds the critical task in the applied config and polls its queue at once.
  await stack.startWorker();
  expect(stack.worker.pollsCriticalQueue).toBe(true);
  expect((await stack.warming.warm(`${run}-crit`))?.ok).toBe(true);
  await stack.stopWorker();
});

test('on (the default) polls the critical queue from the start, critical tasks or not', async () => {
  const other = await createTestStack();
  try {
    await other.startWorker();
    expect(other.worker.pollsCriticalQueue).toBe(true);
    await waitFor('a critical poller', async () => (await criticalPollers(other.taskQueue)) > 0);
  } finally {
    await other.close();
  }
});
