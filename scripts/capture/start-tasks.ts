// Capture phase 1, tasks: applies the config (six task workflows and the optimiser), waits for each
// task's first warm, and starts a task that continues as new under a small history limit.
import { parseWarmingConfig } from '../../core/config-schema';
import { taskWorkflowId, warmTaskWorkflow } from '../../workflows';
import { TASK_QUEUE, type CaptureContext } from './capture-context';
import { say } from './say';
import { waitUntil } from './wait-until';

export async function startTasks(ctx: CaptureContext): Promise<void> {
  const { client, warming, config, scenario, status } = ctx;
  const o = ctx.originUrl;
  scenario(taskWorkflowId('scheduled'), 'task: start warm, scheduled warms every 1.2 s, pause, resume');
  scenario(
    taskWorkflowId('signals'),
    'task: start warm, forceWarm (with reason, without, malformed), warmNow, applyTask (ttl, interval, tags), setInterval (adaptive), pause/resume; from 0.3.0 a malformed remove (dropped)',
  );
  scenario(taskWorkflowId('critical'), 'task: critical (warms on the critical queue), start warm, warmNow');
  scenario(
    taskWorkflowId('hot'),
    'task: adaptive, re-planned by the optimiser (setInterval) and force-warmed as a hot key',
  );
  scenario(taskWorkflowId('removed'), 'task: start warm, then removed (workflow completes)');
  scenario(
    taskWorkflowId('failing'),
    'task: failing loader (404), start failure, warmNow failure, unchanged applyTask',
  );
  const report = await warming.apply(config);
  say(`applied ${report.created} tasks`);

  for (const taskId of ['scheduled', 'signals', 'critical', 'failing', 'hot', 'removed']) {
    await waitUntil(`first warm of ${taskId}`, async () => {
      const s = await status(taskId);
      return s.warmCount + s.failureCount >= 1;
    });
  }

  // Task: continue-as-new, carrying counters, with a small history limit.
  const canSpec = parseWarmingConfig({
    tasks: [
      {
        taskId: 'continued',
        cacheKey: 'catalog:continued',
        loader: { type: 'http', url: `${o}/categories` },
        ttlSeconds: 600,
        intervalMinutes: 0.01,
        adaptive: false,
      },
    ],
  }).tasks[0];
  scenario(taskWorkflowId('continued'), 'task: warms every 0.6 s with historyEventsLimit 40: continue-as-new twice');
  await client.workflow.start(warmTaskWorkflow, {
    workflowId: taskWorkflowId('continued'),
    taskQueue: TASK_QUEUE,
    args: [{ spec: canSpec as NonNullable<typeof canSpec>, historyEventsLimit: 40 }],
  });
}
