// Capture phase 8, settle: waits for the moved task, the idle sessions and the continued task to reach
// their quiet point, drives a cycle over an unreadable config, pauses what still runs, and records
// each task workflow's own counters for the manifest.
import { allTasksQuery } from '../../core/visibility-query';
import {
  pauseSignal,
  runCycleUpdate,
  statusQuery,
  taskWorkflowId,
  userSessionWorkflowId,
  type warmTaskWorkflow,
} from '../../workflows';
import { PREFIX, TASK_QUEUE, type CaptureContext } from './capture-context';
import { sleep, waitUntil } from './wait-until';

export async function settle(ctx: CaptureContext): Promise<void> {
  const { client, redis, status, optimizer, continuedOptimizer: continued } = ctx;
  await waitUntil('the moved task on the critical queue', async () => {
    const description = await client.workflow.getHandle(taskWorkflowId('moved')).describe();
    return description.taskQueue === `${TASK_QUEUE}-critical`;
  });

  // Sessions close themselves when idle; wait for the ones that should have.
  for (const userId of ['alice', 'bob', 'carol', 'dave', 'erin', 'grace']) {
    await waitUntil(
      `${userId}'s session to close`,
      async () =>
        (await client.workflow.getHandle(userSessionWorkflowId(userId)).describe()).status.name === 'COMPLETED',
      60_000,
    );
  }
  // Let the continue-as-new chains and schedules settle to a quiet point.
  await waitUntil(
    'the continued task to continue as new twice',
    async () => {
      const s = await status('continued');
      return s.generation >= 2;
    },
    60_000,
  );
  // A cycle over an unreadable config fails and is recorded; the optimiser goes on.
  const configKey = `${PREFIX}config`;
  const appliedText = (await redis.get(configKey)) as string;
  await redis.set(configKey, '{"tasks": 42}');
  await optimizer.executeUpdate(runCycleUpdate).then(
    () => {
      throw new Error('a cycle over an unreadable config succeeded');
    },
    () => undefined,
  );
  await redis.set(configKey, appliedText);
  await optimizer.executeUpdate(runCycleUpdate);
  await client.workflow.getHandle(taskWorkflowId('continued')).signal(pauseSignal);
  await optimizer.signal(pauseSignal);
  await continued.signal(pauseSignal);
  await sleep(1_000);
  await recordTaskCounters(ctx);
}

/**
 * Each task workflow's own counters, asked after everything has settled and while the worker still
 * runs (a query needs one); no warm follows, as the worker stops next.
 */
async function recordTaskCounters({ client, taskCounters }: CaptureContext): Promise<void> {
  for await (const execution of client.workflow.list({ query: allTasksQuery() })) {
    if (execution.status.name === 'CONTINUED_AS_NEW' || taskCounters.has(execution.workflowId)) continue;
    const status = await client.workflow
      .getHandle<typeof warmTaskWorkflow>(execution.workflowId, execution.runId)
      .query(statusQuery);
    taskCounters.set(execution.workflowId, { warmCount: status.warmCount, failureCount: status.failureCount });
  }
}
