// SIGTERM and SIGINT on a real worker process with slow warms in flight on both queues (normal
// and critical): it stops polling, lets them finish, exits 0, and nothing is loaded twice.
import { taskWorkflowId } from '../../workflows';
import { stackEnv, uniqueName, waitFor } from '../helpers/test-env';
import { killWorkerProcesses, startWorkerProcess } from '../helpers/worker-process';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

jest.setTimeout(90_000);

const stack = useTestStack({ worker: false }); // clients only: the workers under test are separate processes
const origin = useTestOrigin();

afterAll(async () => {
  await killWorkerProcesses();
});

test.each(['SIGTERM', 'SIGINT'] as const)(
  '%s drains in-flight normal and critical warms, exits 0, and nothing is loaded twice',
  async (signal) => {
    const worker = startWorkerProcess(stackEnv(stack));
    await worker.polling();
    const tasks = ['normal', 'critical'].map((kind) => {
      const taskId = uniqueName(`drain-${kind}`);
      origin.route(`/${taskId}`, (_req, hit) => ({ body: `v${hit}`, delayMs: hit === 1 ? 4_000 : 0 }));
      return {
        taskId,
        cacheKey: `${taskId}:v`,
        loader: { type: 'http' as const, url: `${origin.url}/${taskId}` },
        ttlSeconds: 600,
        intervalMinutes: 600,
        critical: kind === 'critical',
      };
    });
    await stack.warming.apply({ tasks });
    await waitFor('both slow loads in flight', () => tasks.every((task) => origin.hitsFor(`/${task.taskId}`) === 1));

    worker.child.kill(signal);
    expect(await worker.exited).toBe(0);
    expect(worker.output()).toContain('worker drained and stopped');
    for (const task of tasks) expect(await stack.redis.get(task.cacheKey)).toBe('v1');

    // A new worker sees each warm as done on its first attempt: the drained ones were not retried.
    const next = startWorkerProcess(stackEnv(stack));
    await next.polling();
    for (const task of tasks) {
      const status = await stack.warming.status(task.taskId);
      expect(status).toMatchObject({ warmCount: 1, failureCount: 0, lastResult: { ok: true, result: { attempt: 1 } } });
      expect(origin.hitsFor(`/${task.taskId}`)).toBe(1);
      const { events } = await stack.temporal.workflow.getHandle(taskWorkflowId(task.taskId)).fetchHistory();
      expect(
        events?.some((event) => event.activityTaskFailedEventAttributes || event.activityTaskTimedOutEventAttributes),
      ).toBe(false);
      await stack.warming.remove(task.taskId, 'test done');
    }
    await next.stop();
    expect(await next.exited).toBe(0);
  },
);
