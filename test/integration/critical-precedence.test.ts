// One per-origin limiter serves the critical and the normal worker: a critical warm must not
// queue behind bulk loads to the same origin. Asserted by the order requests reach the origin,
// with the bulk loads held open by the test, never by timing.
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { bulkWarmWorkflow, taskWorkflowId } from '../../workflows';
import { uniqueName, waitFor } from '../helpers/test-env';
import { type OriginReply } from '../helpers/test-origin';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

const stack = useTestStack({ limits: { originConcurrency: 2, originRatePerSecond: 0 } });
const origin = useTestOrigin();

test('a critical warm takes the next free slot of an origin whose cap a flood of bulk loads holds', async () => {
  const run = uniqueName('prec');
  const held: (() => void)[] = [];
  let holding = true;
  origin.route(`/${run}/bulk`, () =>
    holding ? new Promise<OriginReply>((resolve) => held.push(() => resolve({ body: 'b' }))) : { body: 'b' },
  );
  origin.route(`/${run}/critical`, () => ({ body: 'critical' }));
  const isCritical = (url: string) => url.startsWith(`/${run}/critical`);

  // 30 bulk keys in one warmBatch: all 30 loads reach the limiter, 2 reach the origin and hang.
  const flood = await stack.temporal.workflow.start(bulkWarmWorkflow, {
    workflowId: uniqueName('flood'),
    taskQueue: stack.taskQueue,
    args: [
      {
        template: {
          key: `${run}:bulk:{id}`,
          loader: { type: 'http', url: `${origin.url}/${run}/bulk?id={id}` },
          ttlSeconds: 600,
        },
        idRange: { from: 0, to: 30 },
      },
    ],
  });
  await waitFor('the origin cap held by bulk loads', () => held.length === 2);

  const taskId = `${run}-critical`;
  await stack.warming.apply({
    tasks: [
      {
        taskId,
        cacheKey: `${run}:critical`,
        loader: { type: 'http', url: `${origin.url}/${run}/critical` },
        ttlSeconds: 600,
        critical: true,
      },
    ],
  });
  // The critical task's first warm is running on the critical worker, waiting for the origin: a
  // local activity, inside the workflow task that started on the critical queue half a second ago
  // (it reaches the limiter within milliseconds of that task starting).
  await waitFor('the critical warm started', async () => {
    const { raw } = await stack.temporal.workflow.getHandle(taskWorkflowId(taskId)).describe();
    const task = raw.pendingWorkflowTask;
    return (
      raw.executionConfig?.taskQueue?.name === `${stack.taskQueue}-critical` &&
      task?.state === temporal.api.enums.v1.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED &&
      Date.now() - tsToMs(task.startedTime) > 500
    );
  });
  expect(origin.requests.filter(isCritical)).toEqual([]);

  // Finish bulk loads one at a time; each frees one slot, and the limiter picks who gets it.
  const bulkBefore = origin.requests.length;
  while (!origin.requests.some(isCritical)) {
    const seen = origin.requests.length;
    held.shift()?.();
    await waitFor('the next request at the origin', () => origin.requests.length > seen);
  }
  // 28 bulk loads were queued ahead of it; the critical one got the first free slot (one more is
  // allowed in case a slot was handed out while its activity was between starting and queueing).
  const bulkOvertaken = origin.requests.slice(bulkBefore).findIndex(isCritical);
  expect(bulkOvertaken).toBeLessThanOrEqual(1);
  await waitFor('the critical key', async () => (await stack.redis.get(`${run}:critical`)) === 'critical');

  holding = false;
  for (const release of held.splice(0)) release();
  const result = await flood.result();
  expect(result).toMatchObject({ keys: 30, warmed: 30, failed: 0 });
  expect(origin.maxInFlight()).toBe(2);
});
