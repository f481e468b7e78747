// A repeated `stats` call answers an open run from its kept digest when the run's warm mark names
// the digest's last warm, with no describe call; a warm since the last call, or one in flight while
// the digest was read, keeps the digest from being trusted.
import { redisKeys } from '../../store/redis-keys';
import { forceWarmSignal, taskWorkflowId } from '../../workflows';
import { uniqueName, waitFor, waitForWarmCounts } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

const stack = useTestStack();
const origin = useTestOrigin();

/** Applies `count` tasks under one tag and waits for each one's first warm. */
async function applyTasks(count: number): Promise<{ tag: string; taskIds: string[] }> {
  const tag = uniqueName('marks');
  const taskIds = Array.from({ length: count }, (_, i) => `${tag}-${i}`);
  for (const taskId of taskIds) origin.route(`/${taskId}`, (_req, hit) => ({ body: `${taskId}:${hit}` }));
  await stack.warming.apply({
    tasks: taskIds.map((taskId) => ({
      taskId,
      cacheKey: `${taskId}:v`,
      loader: { type: 'http' as const, url: `${origin.url}/${taskId}` },
      ttlSeconds: 600,
      intervalMinutes: 1440,
      tags: [tag],
    })),
  });
  await waitForWarmCounts(stack.warming, taskIds, 1);
  return { tag, taskIds };
}

test('a repeated stats call over open runs describes none of them when nothing was warmed since', async () => {
  const { tag, taskIds } = await applyTasks(3);
  for (const taskId of taskIds) await stack.warming.warm(taskId);
  const first = await stack.warming.stats({ tag });
  expect(first.read).toMatchObject({ runs: 3, historiesRead: 3, fromWarmMark: 0 });
  expect(first).toMatchObject({ totalWarmings: 6, succeeded: 6 });

  const second = await stack.warming.stats({ tag });
  expect(second.read).toEqual({
    runs: 3,
    runsListed: 3,
    fromDigest: 3,
    fromWarmMark: 3,
    described: 0,
    historiesRead: 0,
    eventsRead: 0,
    preloadRuns: 0,
    preloadResultsRead: 0,
  });
  expect({ ...second, generatedAt: '', read: null }).toEqual({ ...first, generatedAt: '', read: null });
});

test('a warm since the previous call is counted: its mark names a warm the digest does not hold', async () => {
  const { tag, taskIds } = await applyTasks(3);
  await stack.warming.stats({ tag });
  const [warmed, ...others] = taskIds as [string, ...string[]];
  await stack.warming.warm(warmed);

  const after = await stack.warming.stats({ tag });
  expect(after.byTask[warmed]).toMatchObject({ totalWarmings: 2, succeeded: 2 });
  for (const taskId of others) expect(after.byTask[taskId]).toMatchObject({ totalWarmings: 1 });
  expect(after.read).toMatchObject({ runs: 3, fromWarmMark: 2, described: 1, historiesRead: 1 });
  expect(after.totalWarmings).toBe(origin.hitsFor(`/${warmed}`) + others.length);
});

test('a digest read while a warm was in flight is not trusted once that warm is recorded', async () => {
  const { tag, taskIds } = await applyTasks(1);
  const taskId = taskIds[0] as string;
  await stack.warming.stats({ tag });
  const { runId } = await stack.temporal.workflow.getHandle(taskWorkflowId(taskId)).describe();
  const markKey = redisKeys(stack.prefix).runWarmMark(runId);
  const markBefore = await stack.redis.get(markKey);
  expect(markBefore).not.toBeNull();

  // The next load hangs until released: the warm is in flight, its mark already set.
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  origin.route(`/${taskId}`, async (_req, hit) => {
    if (hit === 2) await released;
    return { body: `${taskId}:${hit}` };
  });
  await stack.temporal.workflow.getHandle(taskWorkflowId(taskId)).signal(forceWarmSignal, { reason: 'in flight' });
  await waitFor('the load in flight', async () => origin.hitsFor(`/${taskId}`) === 2);
  expect(await stack.redis.get(markKey)).not.toBe(markBefore);

  // Read while the warm is in flight: the history holds one warm, and that digest is kept.
  const during = await stack.warming.stats({ tag });
  expect(during).toMatchObject({ totalWarmings: 1 });
  expect(during.read).toMatchObject({ fromWarmMark: 0, historiesRead: 1 });

  release();
  await waitFor('the warm recorded', async () => (await stack.warming.status(taskId)).warmCount === 2);
  const after = await stack.warming.stats({ tag });
  expect(after).toMatchObject({ totalWarmings: 2, succeeded: 2 });
  expect(after.read).toMatchObject({ fromWarmMark: 0, historiesRead: 1 });

  // Now the digest holds the warm its mark names: trusted from here on.
  const again = await stack.warming.stats({ tag });
  expect(again).toMatchObject({ totalWarmings: 2 });
  expect(again.read).toMatchObject({ fromWarmMark: 1, described: 0, historiesRead: 0 });
});

test('the report goes without marks: it sees an interval change that came with no warm', async () => {
  const { tag, taskIds } = await applyTasks(2);
  const taskId = taskIds[0] as string;
  await stack.warming.stats({ tag });
  await stack.warming.apply({
    tasks: taskIds.map((id) => ({
      taskId: id,
      cacheKey: `${id}:v`,
      loader: { type: 'http' as const, url: `${origin.url}/${id}` },
      ttlSeconds: 600,
      intervalMinutes: id === taskId ? 720 : 1440,
      tags: [tag],
    })),
  });
  const report = await stack.warming.reportData({ tag });
  expect(report.stats.read).toMatchObject({ runs: 2, fromWarmMark: 0, described: 2, historiesRead: 1 });
  const points = report.intervals.find((task) => task.taskId === taskId)?.points ?? [];
  expect(points.map((point) => point.intervalMinutes)).toContain(720);
  expect(origin.hitsFor(`/${taskId}`)).toBe(1);
});
