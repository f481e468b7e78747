// Two deployments in one namespace and one Redis, each with its own task queue, prefix and instance
// name, running the same task ids: their workflow ids, optimisers and keys are their own, and
// warmctl of one (the built binary) never touches the other's.
import { WorkflowNotFoundError } from '@temporalio/client';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCacheClient } from '../../cache/cache-client';
import type { TaskStatus } from '../../workflows';
import { runWarmctlBinary } from '../helpers/run-warmctl';
import { createTestStack, stackEnv, uniqueName, waitFor, type TestStack } from '../helpers/test-env';
import { useTestOrigin } from '../helpers/use-test-stack';

const origin = useTestOrigin({ '/v': () => ({ body: 'v' }) });
let a: TestStack;
let b: TestStack;

beforeAll(async () => {
  a = await createTestStack({ instance: uniqueName('a') });
  b = await createTestStack({ instance: uniqueName('b') });
  await Promise.all([a.startWorker(), b.startWorker()]);
});

afterAll(async () => {
  await a?.close();
  await b?.close();
});

async function runningOn(stack: TestStack): Promise<number> {
  const query = `ExecutionStatus = 'Running' AND (TaskQueue = '${stack.taskQueue}' OR TaskQueue = '${stack.taskQueue}-critical')`;
  return (await stack.temporal.workflow.count(query)).count;
}

async function workflowStatus(stack: TestStack, workflowId: string): Promise<string | undefined> {
  try {
    return (await stack.temporal.workflow.getHandle(workflowId).describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

async function keysUnder(stack: TestStack): Promise<string[]> {
  return (await stack.redis.keys(`${stack.prefix}*`)).sort();
}

test('the same task ids run side by side; optimise, warm, stats, remove, prune and teardown of one leave the other alone', async () => {
  const run = uniqueName('dep');
  const [hot, tagged] = [`${run}-hot`, `${run}-tagged`];
  const loader = { type: 'http', url: `${origin.url}/v` };
  const config = {
    tasks: [
      { taskId: hot, cacheKey: `${run}:hot`, loader, ttlSeconds: 600, intervalMinutes: 60, adaptive: true },
      { taskId: tagged, cacheKey: `${run}:tagged`, loader, ttlSeconds: 600, tags: ['shared'], adaptive: false },
    ],
    optimizer: { everyMinutes: 1440 },
  };
  // One namespace, one config: before instances, B's apply was refused (the ids were A's).
  expect((await a.warming.apply(config)).created).toBe(2);
  expect((await b.warming.apply(config)).created).toBe(2);
  const instanceA = a.warming.instance as string;
  const instanceB = b.warming.instance as string;
  for (const [stack, instance] of [
    [a, instanceA],
    [b, instanceB],
  ] as const) {
    expect(stack.warming.optimizerWorkflowId).toBe(`${instance}/warm-optimizer`);
    expect(await workflowStatus(stack, `${instance}/warm-task:${hot}`)).toBe('RUNNING');
    expect(await workflowStatus(stack, stack.warming.optimizerWorkflowId)).toBe('RUNNING');
    expect(await stack.warming.listTaskIds()).toEqual([hot, tagged].sort());
  }
  expect(await workflowStatus(a, `warm-task:${hot}`)).toBeUndefined();
  const warmed = (stack: TestStack) => async () =>
    (await Promise.all([hot, tagged].map((id) => stack.warming.status(id)))).every((s) => s.warmCount >= 1);
  await waitFor('both deployments warmed both tasks', async () => (await warmed(a)()) && (await warmed(b)()));

  // A's optimiser re-plans A's task through A's workflow id; B's task and optimiser are untouched.
  const cache = a.adopt(createCacheClient({ redis: a.redis, prefix: a.prefix }));
  for (let i = 0; i < 120; i++) await cache.get(`${run}:hot`);
  await cache.flush();
  const optimized = JSON.parse((await runWarmctlBinary(['optimize', '--json'], stackEnv(a))).stdout) as {
    changes: { taskId: string; toMinutes: number }[];
    skippedTasks: string[];
  };
  expect(optimized.changes.map((c) => [c.taskId, c.toMinutes])).toEqual([[hot, 15]]);
  expect(optimized.skippedTasks).toEqual([]);
  expect((await a.warming.status(hot)).intervalMinutes).toBe(15);
  expect((await b.warming.status(hot)).intervalMinutes).toBe(60);
  expect((await b.warming.optimizerStatus()).cycles).toBe(0);

  // warmctl warm and tasks of A: A's task warms, B's does not; A lists its own two tasks.
  const bTaggedBefore = (await b.warming.status(tagged)).warmCount;
  const aTaggedBefore = (await a.warming.status(tagged)).warmCount;
  expect((await runWarmctlBinary(['warm', tagged], stackEnv(a))).code).toBe(0);
  expect((await a.warming.status(tagged)).warmCount).toBe(aTaggedBefore + 1);
  expect((await b.warming.status(tagged)).warmCount).toBe(bTaggedBefore);
  const listed = JSON.parse((await runWarmctlBinary(['tasks', '--json'], stackEnv(a))).stdout) as TaskStatus[];
  expect(listed.map((s) => [s.taskId, s.intervalMinutes]).sort()).toEqual(
    [
      [hot, 15],
      [tagged, 60],
    ].sort(),
  );

  // Stats of each count its own warms only.
  const statsOf = async (stack: TestStack) =>
    JSON.parse((await runWarmctlBinary(['stats', '--json'], stackEnv(stack))).stdout) as {
      totalWarmings: number;
      byTask: Record<string, { totalWarmings: number }>;
    };
  const [statsA, statsB] = [await statsOf(a), await statsOf(b)];
  expect(Object.keys(statsA.byTask).sort()).toEqual([hot, tagged].sort());
  expect(statsA.byTask[tagged]?.totalWarmings).toBe(aTaggedBefore + 1);
  expect(statsB.byTask[tagged]?.totalWarmings).toBe(bTaggedBefore);

  // remove and apply --prune on A stop A's workflows only.
  expect((await runWarmctlBinary(['remove', hot], stackEnv(a))).code).toBe(0);
  expect(await workflowStatus(a, `${instanceA}/warm-task:${hot}`)).toBe('COMPLETED');
  expect(await workflowStatus(b, `${instanceB}/warm-task:${hot}`)).toBe('RUNNING');
  const dir = mkdtempSync(join(tmpdir(), 'cw-deployments-'));
  const file = join(dir, 'warming.config.json');
  writeFileSync(file, JSON.stringify({ ...config, tasks: config.tasks.filter((t) => t.taskId === hot) }));
  const pruned = await runWarmctlBinary(['apply', '-f', file, '--prune'], stackEnv(a));
  expect(pruned).toMatchObject({ code: 0 });
  expect(await workflowStatus(a, `${instanceA}/warm-task:${tagged}`)).toBe('COMPLETED');
  expect(await workflowStatus(b, `${instanceB}/warm-task:${tagged}`)).toBe('RUNNING');
  expect(await a.warming.listTaskIds()).toEqual([hot]);
  expect(await b.warming.listTaskIds()).toEqual([hot, tagged].sort());

  // teardown of A: every workflow and key of A goes; B's all stay.
  const keysOfB = await keysUnder(b);
  expect(keysOfB.length).toBeGreaterThan(0);
  const runningOfB = await runningOn(b);
  expect(runningOfB).toBe(3); // two tasks and the optimiser
  expect((await runWarmctlBinary(['teardown', '--yes'], stackEnv(a))).code).toBe(0);
  await waitFor('no running workflow of A', async () => (await runningOn(a)) === 0);
  expect(await keysUnder(a)).toEqual([]);
  expect(await runningOn(b)).toBe(runningOfB);
  expect(await keysUnder(b)).toEqual(keysOfB);
  expect((await b.warming.status(hot)).intervalMinutes).toBe(60);
});
