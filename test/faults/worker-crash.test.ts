// Worker processes killed with SIGKILL in the middle of a warm or a login's preload, and several
// workers sharing one queue: the work still happens, the schedule goes on, and no scheduled warm
// runs twice.
import { notifyUserLoggedIn } from '../../client/notify-user-logged-in';
import { userPreloadStatus } from '../../client/user-preload-status';
import { taskWorkflowId, type PreloadUserResult } from '../../workflows';
import { stackEnv, uniqueName, waitFor } from '../helpers/test-env';
import { killWorkerProcesses, startWorkerProcess } from '../helpers/worker-process';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

jest.setTimeout(150_000);

const stack = useTestStack({ worker: false }); // clients only: the workers under test are separate processes
const origin = useTestOrigin();

afterAll(async () => {
  await killWorkerProcesses();
});

test('a warm cut off by SIGKILL completes within a minute of a new worker starting, and the schedule goes on', async () => {
  const taskId = uniqueName('crash');
  const path = `/${taskId}`;
  // The first load is slow enough to kill the worker in the middle of it.
  origin.route(path, (_req, hit) => ({ body: `v${hit}`, delayMs: hit === 1 ? 4_000 : 0 }));
  const first = startWorkerProcess(stackEnv(stack));
  await first.polling();
  await stack.warming.apply({
    tasks: [
      {
        taskId,
        cacheKey: `${taskId}:v`,
        loader: { type: 'http', url: `${origin.url}${path}` },
        ttlSeconds: 600,
        intervalMinutes: 0.05,
      },
    ],
  });
  await waitFor('the first load in flight', () => origin.hitsFor(path) === 1 && origin.inFlight() > 0);
  first.child.kill('SIGKILL');
  expect(await first.exited).toBeNull(); // killed, not exited: nothing ran after the signal

  const second = startWorkerProcess(stackEnv(stack));
  await second.polling();
  const secondStartedAt = Date.now();
  // The cut-off warm (a local activity inside a workflow task) runs again on the new worker once
  // that workflow task times out (10 s).
  await waitFor(
    'the cut-off warm written by the new worker',
    async () => (await stack.redis.get(`${taskId}:v`)) === 'v2',
    {
      timeoutMs: 60_000,
      intervalMs: 250,
    },
  );
  expect(Date.now() - secondStartedAt).toBeLessThan(60_000);
  const afterCrash = await stack.warming.status(taskId);
  expect(afterCrash.failureCount).toBe(0);
  // The whole warm ran again from its start: the new worker's load is the one stored.
  expect(afterCrash.lastResult).toMatchObject({ ok: true, trigger: 'start', result: { written: true } });
  expect(origin.hitsFor(path)).toBeGreaterThanOrEqual(2);

  // The schedule goes on from there on the new worker.
  const later = await waitFor(
    'two more scheduled warms',
    async () => {
      const status = await stack.warming.status(taskId);
      return status.warmCount >= 3 ? status : undefined;
    },
    { timeoutMs: 30_000 },
  );
  expect(later.failureCount).toBe(0);
  expect(later.lastResult?.trigger).toBe('schedule');
  expect(second.alive()).toBe(true);
  await stack.warming.remove(taskId, 'test done');
  await second.stop();
  expect(await second.exited).toBe(0);
});

test('a login preload cut off by SIGKILL completes on a new worker, every source written', async () => {
  const ns = uniqueName('crash-up');
  const userId = uniqueName('user');
  const path = (what: string) => `/${ns}/${what}`;
  origin.route(path(`users/${userId}/session`), (_req, hit) => ({ body: `session-${hit}` }));
  // The first navigation load is slow enough to kill the worker in the middle of the preload.
  origin.route(path(`users/${userId}/navigation`), (_req, hit) => ({
    body: `navigation-${hit}`,
    delayMs: hit === 1 ? 4_000 : 0,
  }));
  origin.route(path(`users/${userId}/forms`), () => ({ body: JSON.stringify(['f1', 'f2']) }));
  for (const formId of ['f1', 'f2'])
    origin.route(path(`forms/${formId}`), (_req, hit) => ({ body: `${formId}-${hit}` }));
  const first = startWorkerProcess(stackEnv(stack));
  await first.polling();
  await stack.warming.apply({
    tasks: [],
    userPreload: {
      session: {
        loader: { type: 'http', url: `${origin.url}${path('users/{userId}/session')}` },
        key: `${ns}:{userId}:session`,
        ttlSeconds: 600,
      },
      navigation: {
        loader: { type: 'http', url: `${origin.url}${path('users/{userId}/navigation')}` },
        key: `${ns}:{userId}:navigation`,
        ttlSeconds: 600,
      },
      forms: {
        list: { type: 'http', url: `${origin.url}${path('users/{userId}/forms')}` },
        item: { type: 'http', url: `${origin.url}${path('forms/{formId}')}` },
        key: `${ns}-form:{formId}`,
        ttlSeconds: 600,
      },
    },
  });
  await notifyUserLoggedIn(stack.temporal, userId, { taskQueue: stack.taskQueue });
  // Killed with the forms already written and navigation still loading: a preload half done.
  await waitFor(
    'the forms written and the first navigation load in flight',
    async () =>
      (await stack.redis.exists(`${ns}-form:f1`, `${ns}-form:f2`)) === 2 &&
      origin.hitsFor(path(`users/${userId}/navigation`)) === 1 &&
      origin.inFlight() > 0,
  );
  first.child.kill('SIGKILL');
  expect(await first.exited).toBeNull();

  const second = startWorkerProcess(stackEnv(stack));
  await second.polling();
  // The preload's local activity runs again on the new worker once the child's workflow task
  // times out (10 s), or its sticky queue gives up on the dead worker.
  const status = await waitFor(
    'the preload finished on the new worker',
    async () => {
      const current = await userPreloadStatus(stack.temporal, userId, { taskQueue: stack.taskQueue });
      return current?.state === 'idle' && current.lastResult !== null ? current : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  expect(status).toMatchObject({ preloads: 1, failedPreloads: 0, lastResult: { ok: true, keysWritten: 4 } });
  // The whole preload ran again: each source loaded twice, the second load's value stored.
  expect(await stack.redis.get(`${ns}:${userId}:navigation`)).toBe('navigation-2');
  expect(await stack.redis.get(`${ns}:${userId}:session`)).toBe('session-2');
  expect(await stack.redis.mget(`${ns}-form:f1`, `${ns}-form:f2`)).toEqual(['f1-2', 'f2-2']);
  const child = await stack.temporal.workflow
    .getHandle<() => Promise<PreloadUserResult>>(status.lastResult?.workflowId as string)
    .result();
  expect(child.sources.map((source) => [source.source, source.ok])).toEqual([
    ['session', true],
    ['navigation', true],
    ['forms', true],
  ]);
  await second.stop();
  expect(await second.exited).toBe(0);
});

test('three workers on one queue run each scheduled warm exactly once', async () => {
  const workers = [
    startWorkerProcess(stackEnv(stack)),
    startWorkerProcess(stackEnv(stack)),
    startWorkerProcess(stackEnv(stack)),
  ];
  await Promise.all(workers.map((worker) => worker.polling()));
  // Each workflow stays on the worker that ran its first task (sticky), so several tasks spread
  // the warms over the workers.
  const tasks = ['normal', 'critical', 'normal', 'critical', 'normal', 'critical', 'normal', 'critical'].map((kind) => {
    const taskId = uniqueName(`three-${kind}`);
    origin.route(`/${taskId}`, (_req, hit) => ({ body: `v${hit}` }));
    return {
      taskId,
      cacheKey: `${taskId}:v`,
      loader: { type: 'http' as const, url: `${origin.url}/${taskId}` },
      ttlSeconds: 600,
      intervalMinutes: 0.02,
      critical: kind === 'critical',
    };
  });
  await stack.warming.apply({ tasks });
  for (const task of tasks) {
    await waitFor(
      `eight scheduled warms of ${task.taskId}`,
      async () => (await stack.warming.status(task.taskId)).warmCount >= 8,
      { timeoutMs: 40_000 },
    );
  }
  // Removing ends each schedule after any warm in progress, so the final counters are complete.
  const finals = await Promise.all(tasks.map((task) => stack.warming.remove(task.taskId, 'test done')));
  const identities = new Set<string>();
  for (const [i, task] of tasks.entries()) {
    const final = finals[i];
    expect(final?.failureCount).toBe(0);
    // Every warm the workflow counted loaded once, and nothing else loaded: no duplicates.
    expect(origin.hitsFor(`/${task.taskId}`)).toBe(final?.warmCount);
    expect(await stack.redis.get(task.cacheKey)).toBe(`v${final?.warmCount}`);
    // A warm is a local activity: it ran on the worker that completed the workflow task recording it.
    const { events } = await stack.temporal.workflow.getHandle(taskWorkflowId(task.taskId)).fetchHistory();
    let lastCompletedBy: string | undefined;
    for (const event of events ?? []) {
      lastCompletedBy = event.workflowTaskCompletedEventAttributes?.identity ?? lastCompletedBy;
      if (event.markerRecordedEventAttributes?.markerName === 'core_local_activity' && lastCompletedBy)
        identities.add(lastCompletedBy);
    }
  }
  // The warms really were spread over the processes (otherwise this proves nothing about them).
  expect(identities.size).toBeGreaterThanOrEqual(2);
  await Promise.all(workers.map((worker) => worker.stop()));
  expect(await Promise.all(workers.map((worker) => worker.exited))).toEqual([0, 0, 0]);
});
