// Workflow starts and long-running workflows facing input only Temporal's own tools would send: a
// start with a spec the CLI would refuse, an optimiser whose applied config went bad, a shard or
// child started by hand with garbage. What serves many keeps serving; what serves one fails,
// naming the field, as a failed workflow (never a workflow task failing on every retry).
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { redisKeys } from '../../store/redis-keys';
import {
  bulkWarmWorkflow,
  optimizerStatusQuery,
  preloadUserWorkflow,
  statusQuery,
  userLoggedInSignal,
  userLoginsStatusQuery,
  userLoginsWorkflow,
  warmTaskWorkflow,
} from '../../workflows';
import { uniqueName, waitFor } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';
import { workflowTaskFailures } from '../helpers/boundary-checks';

jest.setTimeout(60_000);

const stack = useTestStack();
const origin = useTestOrigin({ '/v': () => ({ body: 'value' }) });

/** Starts `workflow` on the stack's queue with `input` and returns how it failed. */
async function failureOf(workflow: unknown, input: unknown): Promise<{ message: string; workflowId: string }> {
  const workflowId = uniqueName('bad-start');
  const handle = await stack.temporal.workflow.start(workflow as typeof warmTaskWorkflow, {
    workflowId,
    taskQueue: stack.taskQueue,
    args: [input as never],
  });
  const err: unknown = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect((cause as ApplicationFailure).nonRetryable).toBe(true);
  expect(await workflowTaskFailures(stack.temporal, [{ workflowId }])).toEqual([]);
  return { message: (cause as ApplicationFailure).message, workflowId };
}

test.each([
  [
    'without a ttlSeconds',
    { cacheKey: 'k1', loader: { type: 'http', url: 'http://127.0.0.1:1/x' } },
    /spec\.ttlSeconds/,
  ],
  [
    'with tags that are not a list',
    { cacheKey: 'k2', ttlSeconds: 5, tags: 'a', loader: { type: 'http', url: 'http://127.0.0.1:1/x' } },
    /spec\.tags/,
  ],
  [
    'with a loader placeholder in the host',
    { cacheKey: 'k3', ttlSeconds: 5, loader: { type: 'http', url: 'http://{id}.example/x' } },
    /spec\.loader\.url/,
  ],
])('a task workflow started by hand %s fails naming the field and writes nothing', async (_what, spec, field) => {
  const taskId = uniqueName('bad');
  const { message } = await failureOf(warmTaskWorkflow, { spec: { taskId, ...spec } });
  expect(message).toMatch(/^warmTaskWorkflow input refused: /);
  expect(message).toMatch(field);
  expect(await stack.redis.exists(spec.cacheKey)).toBe(0);
});

test('a task workflow started by hand with a key under the reserved prefix fails and writes nothing', async () => {
  const cacheKey = `${stack.prefix}evil`;
  const { message } = await failureOf(warmTaskWorkflow, {
    spec: { taskId: uniqueName('evil'), cacheKey, ttlSeconds: 60, loader: { type: 'http', url: `${origin.url}/v` } },
  });
  expect(message).toMatch(/spec\.cacheKey: .*reserved prefix/);
  expect(await stack.redis.exists(cacheKey)).toBe(0);
});

test('a task workflow started by hand with only the required fields runs with the documented defaults', async () => {
  const taskId = uniqueName('minimal');
  const cacheKey = `${taskId}:v`;
  const handle = await stack.temporal.workflow.start(warmTaskWorkflow, {
    workflowId: `warm-task:${taskId}`,
    taskQueue: stack.taskQueue,
    args: [{ spec: { taskId, cacheKey, ttlSeconds: 60, loader: { type: 'http', url: `${origin.url}/v` } } as never }],
  });
  await waitFor('the first warm', async () => (await stack.redis.get(cacheKey)) === 'value');
  const status = await waitFor('the status', async () => {
    const s = await handle.query(statusQuery);
    return s.warmCount >= 1 ? s : undefined;
  });
  expect(status).toMatchObject({ tags: [], priority: 10, critical: false, intervalMinutes: 60, adaptive: true });
  await handle.terminate();
});

test.each([
  ['no template', { idRange: { from: 0, to: 3 } }, /template must be an object/],
  [
    'vars that are not objects of strings',
    {
      template: { key: 'p:{id}', loader: { type: 'http', url: 'http://127.0.0.1:1/{id}' }, ttlSeconds: 5 },
      vars: [{ id: 1 }],
    },
    /vars\[0\]/,
  ],
  [
    'a huge id range',
    {
      template: { key: 'p:{id}', loader: { type: 'http', url: 'http://127.0.0.1:1/{id}' }, ttlSeconds: 5 },
      idRange: { from: 0, to: 1e9 },
    },
    /at most 1000000 keys/,
  ],
])('a bulk warm started with %s fails naming the field', async (_what, input, field) => {
  expect((await failureOf(bulkWarmWorkflow, input)).message).toMatch(field);
});

test.each([
  ['no user', { preloadForms: true }, /userId must be a string/],
  ['a non-boolean preloadForms', { userId: 'u1', preloadForms: 'yes' }, /preloadForms must be a boolean/],
  ['null', null, /input must be an object/],
])('a preload child started with %s fails naming the field', async (_what, input, field) => {
  expect((await failureOf(preloadUserWorkflow, input)).message).toMatch(field);
});

test('an optimiser cycle over a config with no task and no pattern runs (no hot key can be warmed)', async () => {
  await stack.warming.apply({ tasks: [] });
  expect(await stack.warming.optimize()).toMatchObject({ hotKeys: 0, tasksOptimized: 0 });
});

test('an optimiser whose applied config became unreadable records the failed cycle and keeps running', async () => {
  await stack.warming.apply({ tasks: [] });
  const optimizer = stack.temporal.workflow.getHandle(stack.warming.optimizerWorkflowId);
  const config = redisKeys(stack.prefix).config();
  const good = (await stack.redis.get(config)) as string;
  await stack.redis.set(config, '{"tasks": 42}');
  await expect(stack.warming.optimize()).rejects.toThrow(/optimiser cycle failed: .*applied config .* is unreadable/);
  const status = await optimizer.query(optimizerStatusQuery);
  expect(status.lastError).toMatch(/unreadable/);
  expect((await optimizer.describe()).status.name).toBe('RUNNING');
  // Once the config is good again, the next cycle runs and clears the error.
  await stack.redis.set(config, good);
  const report = await stack.warming.optimize();
  expect(report.cycle).toBeGreaterThanOrEqual(1);
  expect((await optimizer.query(optimizerStatusQuery)).lastError).toBeNull();
  expect(await workflowTaskFailures(stack.temporal, [{ workflowId: stack.warming.optimizerWorkflowId }])).toEqual([]);
});

test('a login shard started by hand with an input it cannot read starts empty and serves logins', async () => {
  await stack.warming.apply({
    userPreload: {
      session: {
        loader: { type: 'http', url: `${origin.url}/v?u={userId}` },
        key: `${stack.taskQueue}:{userId}:s`,
        ttlSeconds: 60,
      },
    },
  });
  const workflowId = uniqueName('user-logins');
  const handle = await stack.temporal.workflow.signalWithStart(userLoginsWorkflow, {
    workflowId,
    taskQueue: stack.taskQueue,
    args: [{ carried: { version: 1, logins: 'many', users: 7 }, historyEventsLimit: 'soon' } as never],
    signal: userLoggedInSignal,
    signalArgs: [{ userId: 'garbage-shard-user' }],
  });
  await waitFor(
    'the user preloaded',
    async () => (await stack.redis.get(`${stack.taskQueue}:garbage-shard-user:s`)) === 'value',
  );
  expect(await handle.query(userLoginsStatusQuery)).toMatchObject({ logins: 1, preloads: 1, generation: 0 });
  expect(await workflowTaskFailures(stack.temporal, [{ workflowId }])).toEqual([]);
  await handle.terminate();
});
