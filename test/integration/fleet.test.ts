// Operating many tasks at once: apply skips unchanged tasks without asking their workflows, fleet
// warms and pauses are fanned out by Temporal (batch signals) and counted through visibility, and
// stats keep each run's digest so an unchanged history is not read again.
import { redisKeys } from '../../store/redis-keys';
import { taskWorkflowId } from '../../workflows';
import { createTestStack, uniqueName, waitFor, waitForWarmCounts, type TestStack } from '../helpers/test-env';
import { startTestOrigin, type TestOrigin } from '../helpers/test-origin';

/** No background optimiser cycle during a test: every warm here is one the test asked for. */
const QUIET_OPTIMIZER = { everyMinutes: 1440 };

let stack: TestStack;
let origin: TestOrigin;

beforeAll(async () => {
  stack = await createTestStack();
  origin = await startTestOrigin();
  await stack.startWorker();
});

afterAll(async () => {
  await stack?.close();
  await origin?.close();
});

function fleet(run: string, count: number, tag: string) {
  origin.route(`/${run}`, (_req, hit) => ({ body: `v${hit}` }));
  return Array.from({ length: count }, (_, i) => ({
    taskId: `${run}-${i}`,
    cacheKey: `${run}:${i}`,
    loader: { type: 'http' as const, url: `${origin.url}/${run}` },
    ttlSeconds: 600,
    tags: [tag],
    // Two critical tasks: a fleet warm signals them in a batch of their own, first.
    ...(i < 2 ? { critical: true } : {}),
  }));
}

async function updatesAccepted(taskId: string): Promise<number> {
  const history = await stack.temporal.workflow.getHandle(taskWorkflowId(taskId)).fetchHistory();
  return (history.events ?? []).filter((event) => event.workflowExecutionUpdateAcceptedEventAttributes).length;
}

function allWarmed(taskIds: readonly string[], count: number): Promise<void> {
  return waitForWarmCounts(stack.warming, taskIds, count);
}

test('re-applying an unchanged fleet asks no workflow; a changed task is updated', async () => {
  const run = uniqueName('fa');
  const tasks = fleet(run, 12, `tag-${run}`);
  const first = await stack.warming.apply({ tasks, optimizer: QUIET_OPTIMIZER });
  expect(first).toMatchObject({ created: 12, updated: 0, unchanged: 0 });
  await waitFor(
    'all tasks listed',
    async () => (await stack.warming.listTaskIds(`WarmTags = 'tag-${run}'`)).length === 12,
  );

  const again = await stack.warming.apply({ tasks, optimizer: QUIET_OPTIMIZER });
  expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 12 });
  // Unchanged by its spec hash: no applyTask update reached any workflow.
  for (const task of tasks) expect(await updatesAccepted(task.taskId)).toBe(0);

  const changed = tasks.map((task, i) => (i === 3 ? { ...task, intervalMinutes: 30 } : task));
  const third = await stack.warming.apply({ tasks: changed, optimizer: QUIET_OPTIMIZER });
  expect(third).toMatchObject({ created: 0, updated: 1, unchanged: 11 });
  expect(third.tasks.find((t) => t.action === 'updated')).toEqual({
    taskId: `${run}-3`,
    action: 'updated',
    fields: ['intervalMinutes'],
  });
  expect((await stack.warming.status(`${run}-3`)).intervalMinutes).toBe(30);
  expect(await updatesAccepted(`${run}-4`)).toBe(0);
});

test('a task removed outside apply is started again, even with an unchanged spec', async () => {
  const run = uniqueName('fr');
  const tasks = fleet(run, 2, `tag-${run}`);
  await stack.warming.apply({ tasks, optimizer: QUIET_OPTIMIZER });
  await allWarmed([tasks[1]!.taskId], 1);
  await stack.warming.remove(tasks[1]!.taskId);
  await waitFor('the removed task gone from visibility', async () => {
    return !(await stack.warming.listTaskIds(`WarmTags = 'tag-${run}'`)).includes(tasks[1]!.taskId);
  });
  const again = await stack.warming.apply({ tasks, optimizer: QUIET_OPTIMIZER });
  expect(again.tasks).toEqual(
    expect.arrayContaining([
      { taskId: tasks[0]!.taskId, action: 'unchanged' },
      { taskId: tasks[1]!.taskId, action: 'created' },
    ]),
  );
});

test('warm by tag is one batch signal per criticality, waited on through visibility; pause by tag likewise', async () => {
  const run = uniqueName('fw');
  const tag = `tag-${run}`;
  const tasks = fleet(run, 8, tag);
  const ids = tasks.map((t) => t.taskId);
  await stack.warming.apply({ tasks, optimizer: QUIET_OPTIMIZER });
  await allWarmed(ids, 1);
  await waitFor('all tasks listed', async () => (await stack.warming.listTaskIds(`WarmTags = '${tag}'`)).length === 8);

  const progress: [number, number][] = [];
  const report = await stack.warming.warmByTag(tag, { onProgress: (done, total) => progress.push([done, total]) });
  expect(report).toMatchObject({ succeeded: 8, failed: 0 });
  expect(report.results.map((r) => r.taskId).sort()).toEqual([...ids].sort());
  // Highest priority first in the report; the critical ones lead.
  expect(report.results.slice(0, 2).every((r) => r.critical)).toBe(true);
  expect(progress.at(-1)).toEqual([8, 8]);
  // Every task warmed once more: the report waited for the warms, not just the signals.
  for (const taskId of ids) expect((await stack.warming.status(taskId)).warmCount).toBe(2);
  expect(origin.hitsFor(`/${run}`)).toBe(16);

  const paused = await stack.warming.pauseByTag(tag, true);
  expect(paused.signalled).toBe(8);
  await waitFor('all paused', async () => {
    for (const taskId of ids) if (!(await stack.warming.status(taskId)).paused) return false;
    return true;
  });
  await stack.warming.pauseByTag(tag, false);
  await waitFor('all resumed', async () => {
    for (const taskId of ids) if ((await stack.warming.status(taskId)).paused) return false;
    return true;
  });
});

test('stats keep each run digest and read a history again only when it has grown', async () => {
  const run = uniqueName('fs');
  const tag = `tag-${run}`;
  const tasks = fleet(run, 3, tag).map((task) => ({ ...task, critical: false }));
  await stack.warming.apply({ tasks, optimizer: QUIET_OPTIMIZER });
  await allWarmed(
    tasks.map((t) => t.taskId),
    1,
  );
  const first = await stack.warming.stats({ tag });
  expect(first).toMatchObject({ totalWarmings: 3, succeeded: 3 });
  expect(Object.keys(first.byTask).sort()).toEqual(tasks.map((t) => t.taskId).sort());

  // The kept digest is what the next call reads: mark one and see the mark come back.
  const keys = redisKeys(stack.prefix);
  const runId = (await stack.temporal.workflow.getHandle(taskWorkflowId(tasks[0]!.taskId)).describe()).runId;
  const kept = JSON.parse((await stack.redis.get(keys.runDigest(runId))) as string) as {
    warms: { durationMs: number }[];
  };
  expect(kept.warms).toHaveLength(1);
  kept.warms[0]!.durationMs = 424_242;
  await stack.redis.set(keys.runDigest(runId), JSON.stringify(kept));
  const second = await stack.warming.stats({ tag });
  expect(second.byTask[tasks[0]!.taskId]?.slowestMs).toBe(424_242);

  // A warm grows the history: that run is read again, and the counts match the origin.
  await stack.warming.warm(tasks[0]!.taskId);
  const third = await stack.warming.stats({ tag });
  expect(third.byTask[tasks[0]!.taskId]).toMatchObject({ totalWarmings: 2, succeeded: 2 });
  expect(third.byTask[tasks[0]!.taskId]?.slowestMs).toBeLessThan(424_242);
  expect(third.totalWarmings).toBe(origin.hitsFor(`/${run}`));
});
