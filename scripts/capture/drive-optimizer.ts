// Capture phase 4, the optimiser: reads make the hot task's key and some pattern keys hot; a requested
// cycle re-plans the adaptive task and warms the missing hot keys, scheduled cycles follow; then a
// second optimiser with a small history limit continues as new.
import { createCacheClient } from '../../cache/cache-client';
import { optimizerStatusQuery, optimizerWorkflow, runCycleUpdate } from '../../workflows';
import { CONTINUED_OPTIMIZER_ID, PREFIX, TASK_QUEUE, type CaptureContext } from './capture-context';
import { say } from './say';
import { waitUntil } from './wait-until';

export async function driveOptimizer(ctx: CaptureContext): Promise<void> {
  const { client, warming, redis, scenario, optimizer, continuedOptimizer: continued } = ctx;
  scenario(
    'warm-optimizer',
    'optimiser: started by apply, configApplied, requested cycles (setInterval, forceWarm, pattern batches), scheduled cycles, pause/resume; from 0.3.0 a requested cycle over an unreadable config (recorded, the optimiser goes on)',
  );
  const cache = createCacheClient({ redisUrl: ctx.redisUrl, prefix: PREFIX });
  for (let i = 0; i < 120; i++) {
    await cache.get('pages:home');
    await cache.get(`product:${i % 6}`);
  }
  await cache.close();
  const cycle = await warming.optimize();
  say(
    `optimiser cycle: ${cycle.tasksOptimized} re-planned, ${cycle.taskWarms.length} task warms, ${cycle.patternKeys.warmed} pattern keys`,
  );
  await redis.del('pages:home');
  await warming.optimize();
  await warming.pauseOptimizer(true);
  await warming.pauseOptimizer(false);
  const cycles = (await optimizer.query(optimizerStatusQuery)).cycles;
  await waitUntil(
    'a scheduled optimiser cycle',
    async () => (await optimizer.query(optimizerStatusQuery)).cycles > cycles,
  );

  scenario(CONTINUED_OPTIMIZER_ID, 'optimiser: scheduled cycles with historyEventsLimit 30: continue-as-new');
  await client.workflow.start(optimizerWorkflow, {
    workflowId: CONTINUED_OPTIMIZER_ID,
    taskQueue: TASK_QUEUE,
    args: [{ historyEventsLimit: 30 }],
  });
  await continued.executeUpdate(runCycleUpdate);
  await waitUntil(
    'the optimiser to continue as new',
    async () => (await continued.query(optimizerStatusQuery)).generation >= 1,
    60_000,
  );
}
