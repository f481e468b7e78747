// The boundary failures issue 22 reports from trying the product as a new user would, each as an
// example of its own (the fuzz suite beside it generalises them), on a dev server with the
// deployment's limits: long user ids wedging a login shard, an applyTask update writing over the
// applied config, a task started directly writing under the reserved prefix, and an applyTask
// update without its defaulted fields failing the workflow task.
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { loginShardOf, loginShardWorkflowId, notifyUserLoggedIn } from '../../client/notify-user-logged-in';
import { userPreloadStatus } from '../../client/user-preload-status';
import { parseWarmingConfig, type TaskInput } from '../../core/config-schema';
import { redisKeys } from '../../store/redis-keys';
import { taskWorkflowId, type TaskStatus } from '../../workflows';
import {
  answerOrWedged,
  causeChain,
  describeTaskFailures,
  runsOf,
  stopLoginShards,
  waitServed,
  workflowTaskFailures,
} from '../helpers/boundary-checks';
import { testServers, uniqueName } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

jest.setTimeout(60_000);

const stack = useTestStack();
const origin = useTestOrigin({ '/v': (_req, hit) => ({ body: `origin body ${hit}` }) });
const ns = uniqueName('fz-cases');
const SHARDS = 4;
const sessionKey = (userId: string) => `${ns}:u:{userId}:s`.replace('{userId}', userId);

function spec(taskId: string): TaskInput {
  return {
    taskId,
    name: 'reported case',
    cacheKey: `${ns}:${taskId}`,
    loader: { type: 'http', url: `${origin.url}/v` },
    ttlSeconds: 600,
    tags: ['reported'],
    priority: 10,
    critical: false,
    intervalMinutes: 600,
    adaptive: true,
  };
}

/** Applies one task and the user preload this file's logins use; returns the task's handle after its first warm. */
async function applyTask(taskId = uniqueName('case')): Promise<WorkflowHandle> {
  origin.routeUnder('/users/', (request) => ({ body: JSON.stringify({ session: request.url }) }));
  await stack.warming.apply({
    tasks: [spec(taskId)],
    userPreload: {
      session: {
        loader: { type: 'http', url: `${origin.url}/users/{userId}/session` },
        key: sessionKey('{userId}'),
        ttlSeconds: 600,
      },
      skipIfWarmedWithinMinutes: 0,
    },
  });
  const handle = stack.temporal.workflow.getHandle(taskWorkflowId(taskId));
  await waitServed(
    'the first warm',
    async () => (await handle.query<TaskStatus>('status')).warmCount >= 1,
    stack.temporal,
    () => [{ workflowId: handle.workflowId }],
  );
  return handle;
}

async function expectNoTaskFailures(workflowId: string): Promise<void> {
  const failures = await workflowTaskFailures(stack.temporal, await runsOf(stack.temporal, workflowId));
  expect(describeTaskFailures(failures)).toBe('');
}

/** A fresh user id whose logins go to `shard`. */
function userOfShard(shard: number): string {
  for (;;) {
    const userId = uniqueName('later-user');
    if (loginShardOf(userId, SHARDS) === shard) return userId;
  }
}

test("the tests' Temporal server holds the deployment's limits: a 256-byte workflow id and a 2 MB payload are refused", async () => {
  const start = (workflowId: string, args: unknown[] = []) =>
    stack.temporal.workflow.start('noSuchWorkflow', { workflowId, taskQueue: uniqueName('nobody'), args });
  const fits = await start(`${uniqueName('id')}-`.padEnd(255, 'x'));
  await fits.terminate();
  await expect(start(`${uniqueName('id')}-`.padEnd(256, 'x'))).rejects.toThrow();
  await expect(start(uniqueName('big'), ['x'.repeat(2 * 1024 * 1024 + 1)])).rejects.toThrow();
  expect(testServers().temporalAddress).toMatch(/^127\.0\.0\.1:/);
});

test.each([
  ['250 ASCII characters', 'a'.repeat(242)],
  ['200 CJK characters', '界'.repeat(192)],
])(
  'a login with a user id of %s is preloaded or refused at notifyUserLoggedIn naming the limit, and later users of its shard are still preloaded',
  async (_what, stem) => {
    await applyTask();
    await stopLoginShards(stack.temporal, stack.taskQueue);
    const longUser = `${stem}${randomSuffix()}`;
    const shard = loginShardOf(longUser, SHARDS);
    const shardId = loginShardWorkflowId(stack.taskQueue, longUser, SHARDS);
    const notify = (userId: string) =>
      notifyUserLoggedIn(stack.temporal, userId, { taskQueue: stack.taskQueue, shards: SHARDS });
    const refusal = await notify(longUser).then(
      () => undefined,
      (err: Error) => err,
    );
    const watch = () => runsOf(stack.temporal, shardId);
    if (refusal) {
      expect(refusal.message).toMatch(/userId/);
      expect(refusal.message).toMatch(/\d+/); // the limit
      expect(refusal.message.split('\n')).toHaveLength(1);
    } else {
      await waitServed(
        'the long user preloaded',
        async () =>
          (await userPreloadStatus(stack.temporal, longUser, { taskQueue: stack.taskQueue, shards: SHARDS }))
            ?.lastCompleteAt,
        stack.temporal,
        watch,
      );
    }
    const later = userOfShard(shard);
    await notify(later);
    await waitServed(
      `a later user of shard ${shard} preloaded`,
      async () => (await stack.redis.exists(sessionKey(later))) === 1,
      stack.temporal,
      watch,
    );
    await expectNoTaskFailures(shardId);
  },
);

/** Eight random hex characters, so runs never share a user: 250 and 200 characters in all. */
function randomSuffix(): string {
  return uniqueName('').slice(1);
}

test('an applyTask update whose cacheKey is under the reserved prefix is refused naming cacheKey, and the applied config survives the next warm', async () => {
  const handle = await applyTask();
  const taskId = (await handle.query<TaskStatus>('status')).taskId;
  const configKey = redisKeys(stack.prefix).config();
  const update = await answerOrWedged(stack.temporal, [{ workflowId: handle.workflowId }], 15_000, 'applyTask', () =>
    handle.executeUpdate('applyTask', { args: [{ ...spec(taskId), cacheKey: configKey }] }),
  ).then(
    (result) => ({ accepted: result }),
    (err: unknown) => ({ refused: err }),
  );
  await answerOrWedged(stack.temporal, [{ workflowId: handle.workflowId }], 15_000, 'warmNow', () =>
    handle.executeUpdate('warmNow', { args: [{ reason: 'the next warm' }] }),
  );
  const stored = await stack.redis.get(configKey);
  let config: string;
  try {
    parseWarmingConfig(JSON.parse(stored ?? ''));
    config = 'the applied config';
  } catch {
    config = `replaced by ${JSON.stringify(stored)}`;
  }
  const answer =
    'refused' in update
      ? update.refused instanceof WorkflowUpdateFailedError && /cacheKey/.test(update.refused.cause?.message ?? '')
        ? 'refused naming cacheKey'
        : `refused with ${causeChain(update.refused)
            .map((e) => e.message)
            .join(' <- ')}`
      : `accepted: ${JSON.stringify(update.accepted)}`;
  expect({ answer, config }).toEqual({ answer: 'refused naming cacheKey', config: 'the applied config' });
  // User preload reads that config: a login still preloads.
  await stopLoginShards(stack.temporal, stack.taskQueue);
  const userId = uniqueName('user');
  await notifyUserLoggedIn(stack.temporal, userId, { taskQueue: stack.taskQueue, shards: SHARDS });
  await waitServed(
    'a login preloaded',
    async () => (await stack.redis.exists(sessionKey(userId))) === 1,
    stack.temporal,
    () => runsOf(stack.temporal, loginShardWorkflowId(stack.taskQueue, userId, SHARDS)),
  );
  await expectNoTaskFailures(handle.workflowId);
});

test('a warmTaskWorkflow started directly with a cacheKey under the reserved prefix fails naming cacheKey and writes nothing there', async () => {
  const taskId = uniqueName('evil');
  const evilKey = `${stack.prefix}evil`;
  const handle = await stack.temporal.workflow.start('warmTaskWorkflow', {
    workflowId: taskWorkflowId(taskId),
    taskQueue: stack.taskQueue,
    args: [{ spec: { ...spec(taskId), cacheKey: evilKey }, queue: 'main' }],
  });
  try {
    // It fails, or it runs: a running task has warmed (or failed to) once its first status says so.
    const outcome = await waitServed(
      'the task failing or warming',
      async () => {
        const { status } = await handle.describe();
        if (status.name !== 'RUNNING') return status.name;
        const task = await answerOrWedged(stack.temporal, [{ workflowId: handle.workflowId }], 3_000, 'status', () =>
          handle.query<TaskStatus>('status'),
        );
        return task.warmCount + task.failureCount > 0 ? 'RUNNING' : undefined;
      },
      stack.temporal,
      () => [{ workflowId: handle.workflowId }],
    );
    const failure =
      outcome === 'FAILED'
        ? causeChain(await handle.result().catch((err: unknown) => err)).find((e) => e instanceof ApplicationFailure)
        : undefined;
    const written = await stack.redis.exists(evilKey, redisKeys(stack.prefix).meta(evilKey));
    expect({ outcome, failure: failure?.message, written }).toEqual({
      outcome: 'FAILED',
      failure: expect.stringMatching(/cacheKey/),
      written: 0,
    });
  } finally {
    await handle.terminate().catch(() => undefined);
  }
});

test.each([
  ['tags, priority, critical, adaptive and name', ['tags', 'priority', 'critical', 'adaptive', 'name']],
  ['every defaulted field', ['tags', 'priority', 'critical', 'adaptive', 'name', 'intervalMinutes']],
])(
  'an applyTask update without %s is accepted with the defaults applied, and the task keeps warming',
  async (_what, omitted) => {
    const handle = await applyTask();
    const taskId = (await handle.query<TaskStatus>('status')).taskId;
    const moved = `${ns}:${taskId}:moved`;
    const partial: Record<string, unknown> = { ...spec(taskId), cacheKey: moved };
    for (const field of omitted) delete partial[field];
    const runs = [{ workflowId: handle.workflowId }];
    const result = await answerOrWedged(stack.temporal, runs, 15_000, 'applyTask', () =>
      handle.executeUpdate('applyTask', { args: [partial] }),
    ).catch(
      (err: unknown) =>
        `refused: ${causeChain(err)
          .map((e) => e.message)
          .join(' <- ')}`,
    );
    expect(result).toMatchObject({ changed: true });
    const status = await handle.query<TaskStatus>('status');
    expect(status).toMatchObject({
      cacheKey: moved,
      tags: [],
      priority: 10,
      critical: false,
      adaptive: true,
      configuredIntervalMinutes: omitted.includes('intervalMinutes') ? 60 : 600,
    });
    const warm = await answerOrWedged(stack.temporal, runs, 15_000, 'warmNow', () =>
      handle.executeUpdate('warmNow', { args: [{ reason: 'after the update' }] }),
    );
    expect(warm).toMatchObject({ ok: true });
    expect(await stack.redis.get(moved)).toMatch(/^origin body/);
    await expectNoTaskFailures(handle.workflowId);
  },
);
