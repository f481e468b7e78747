// Capture phase 3, task signals and updates: forceWarm (good and malformed), a malformed remove,
// warmNow, applyTask, setInterval, pause/resume, a failing warmNow, scheduled warms around a pause,
// and the removal of a task.
import {
  applyTaskUpdate,
  forceWarmSignal,
  pauseSignal,
  resumeSignal,
  setIntervalSignal,
  taskWorkflowId,
  warmNowUpdate,
} from '../../workflows';
import { parseWarmingConfig } from '../../core/config-schema';
import type { CaptureContext } from './capture-context';
import { sleep, waitUntil } from './wait-until';

export async function driveTaskSignals(ctx: CaptureContext): Promise<void> {
  const { client, warming, config, handle, status } = ctx;
  await handle('signals').signal(forceWarmSignal, { reason: 'capture: with reason' });
  await handle('signals').signal(forceWarmSignal);
  await waitUntil('two forced warms', async () => (await status('signals')).warmCount >= 2);
  await client.workflow.getHandle(taskWorkflowId('signals')).signal('forceWarm', 'not an object');
  // From 0.3.0 a malformed remove is dropped like any malformed signal (patch strict-remove).
  await client.workflow.getHandle(taskWorkflowId('signals')).signal('remove', { reason: 0 });
  await handle('signals').executeUpdate(warmNowUpdate, { args: [{ reason: 'capture: warmNow' }] });
  const applied = parseWarmingConfig({
    tasks: [{ ...config.tasks?.[1], ttlSeconds: 900, intervalMinutes: 30, tags: ['flags', 'edge'] }],
  }).tasks[0];
  await handle('signals').executeUpdate(applyTaskUpdate, { args: [applied as NonNullable<typeof applied>] });
  await handle('signals').signal(setIntervalSignal, { intervalMinutes: 45, reason: 'capture' });
  await handle('signals').signal(pauseSignal);
  await handle('signals').signal(forceWarmSignal, { reason: 'capture: forced while paused' });
  await handle('signals').signal(resumeSignal);
  await waitUntil('signals settled', async () => (await status('signals')).warmCount >= 4);

  await handle('critical').executeUpdate(warmNowUpdate, { args: [undefined] });
  await handle('failing').executeUpdate(warmNowUpdate, { args: [{ reason: 'capture: fails again' }] });

  await waitUntil('scheduled warms', async () => (await status('scheduled')).warmCount >= 3);
  await handle('scheduled').signal(pauseSignal);
  await sleep(1_500);
  await handle('scheduled').signal(resumeSignal);
  await waitUntil('scheduled after resume', async () => (await status('scheduled')).warmCount >= 5);
  await handle('scheduled').signal(pauseSignal);

  await warming.remove('removed', 'capture: removed');
}
