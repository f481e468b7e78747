// Capture phase 2, the critical task: one started on the main queue, as release 0.1 started them.
// It warms through an activity task on the critical queue, then moves there by continuing as new.
import { parseWarmingConfig } from '../../core/config-schema';
import { taskWorkflowId, warmTaskWorkflow } from '../../workflows';
import { TASK_QUEUE, type CaptureContext } from './capture-context';

export async function startMovedCriticalTask(ctx: CaptureContext): Promise<void> {
  const { client, scenario } = ctx;
  const movedSpec = parseWarmingConfig({
    tasks: [
      {
        taskId: 'moved',
        cacheKey: 'catalog:moved',
        loader: { type: 'http', url: `${ctx.originUrl}/categories` },
        ttlSeconds: 600,
        intervalMinutes: 60,
        critical: true,
      },
    ],
  }).tasks[0];
  scenario(
    taskWorkflowId('moved'),
    'task: critical, started on the main queue (as 0.1 did): one activity-task warm, then continue-as-new onto the critical queue',
  );
  await client.workflow.start(warmTaskWorkflow, {
    workflowId: taskWorkflowId('moved'),
    taskQueue: TASK_QUEUE,
    args: [{ spec: movedSpec as NonNullable<typeof movedSpec> }],
  });
}
