// Worker Deployment Versioning on the real dev server: two worker versions of one deployment (as
// WARMING_DEPLOYMENT and WARMING_BUILD_ID set them), the current version moved with the Temporal
// CLI. Long-running task workflows move to the new version at their next warm, a preload child
// that started on the old version finishes there, a new login's child runs on the new version,
// and no warm is lost or run twice.
import type { temporal } from '@temporalio/proto';
import { spawnSync } from 'node:child_process';
import { notifyUserLoggedIn } from '../../client/notify-user-logged-in';
import { userPreloadStatus } from '../../client/user-preload-status';
import { quote } from '../../core/visibility-query';
import { criticalTaskQueue } from '../../core/workflow-ids';
import { temporalCliPath } from '../../scripts/local-stack';
import { taskWorkflowId, VERSIONING_BEHAVIORS } from '../../workflows';
import { stackEnv, testServers, uniqueName, waitFor } from '../helpers/test-env';
import { killWorkerProcesses, startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

jest.setTimeout(180_000);

const stack = useTestStack({ worker: false }); // clients only: the versioned workers are separate processes
const origin = useTestOrigin();

afterAll(async () => {
  await killWorkerProcesses();
});

/** `temporal worker deployment <command> --address ... --deployment-name ... --build-id ...`; its stdout. */
function deploymentCommand(command: string, deploymentName: string, buildId: string, extra: string[] = []): string {
  const run = spawnSync(
    temporalCliPath(),
    [
      'worker',
      'deployment',
      command,
      '--address',
      testServers().temporalAddress,
      '--deployment-name',
      deploymentName,
      '--build-id',
      buildId,
      ...extra,
    ],
    { encoding: 'utf8', timeout: 20_000 },
  );
  if (run.status !== 0) throw new Error(run.stderr.trim().split('\n').at(-1) ?? `exit ${run.status}`);
  return run.stdout;
}

/**
 * `temporal worker deployment set-current-version`, once the version has registered both queues
 * the worker polls (main and critical). A queue a version registers after it became current may
 * keep routing to the old version for a while (suspected in a loaded CI run, where the main
 * queue's task stayed on v1 while the critical one moved), so the test does not race it.
 */
async function setCurrentVersion(deploymentName: string, buildId: string): Promise<void> {
  const queues = [stack.taskQueue, criticalTaskQueue(stack.taskQueue)];
  await waitFor(
    `${deploymentName}.${buildId} to register ${queues.join(' and ')}`,
    () => {
      const described = deploymentCommand('describe-version', deploymentName, buildId, ['--output', 'json']);
      const missing = queues.filter((queue) => !described.includes(`"${queue}"`));
      if (missing.length > 0) throw new Error(`not yet registered: ${missing.join(', ')}`);
      return true;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  await waitFor(
    `${deploymentName}.${buildId} to become current`,
    () => deploymentCommand('set-current-version', deploymentName, buildId, ['--yes']),
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}

/** The versioning behaviour Temporal recorded for a workflow (what its worker declared). */
async function behaviourOf(workflowId: string): Promise<string> {
  const { raw } = await stack.temporal.workflow.getHandle(workflowId).describe();
  const behavior = raw.workflowExecutionInfo?.versioningInfo?.behavior;
  return behavior === 1 ? 'PINNED' : behavior === 2 ? 'AUTO_UPGRADE' : `unspecified (${String(behavior)})`;
}

/** The build id of every workflow task completion in a run's history (the latest run's by default), in order. */
async function completedBy(workflowId: string, runId?: string): Promise<string[]> {
  const { events } = await stack.temporal.workflow.getHandle(workflowId, runId).fetchHistory();
  return (events ?? []).flatMap((event: temporal.api.history.v1.IHistoryEvent) => {
    const completed = event.workflowTaskCompletedEventAttributes;
    return completed ? [completed.deploymentVersion?.buildId ?? 'unversioned'] : [];
  });
}

/**
 * The build ids that completed workflow tasks in any run of a workflow: a task continues as new
 * every SHORT_HISTORY_EVENTS events, so over a loaded run of this test its v1 warms may be in a
 * closed run. Visibility lists the runs; the latest one may not be listed yet, so it is added.
 */
async function completedByAnyRun(workflowId: string): Promise<Set<string>> {
  const runIds = new Set<string | undefined>([undefined]);
  for await (const run of stack.temporal.workflow.list({ query: `WorkflowId = ${quote(workflowId)}` }))
    runIds.add(run.runId);
  const builds = await Promise.all([...runIds].map((runId) => completedBy(workflowId, runId)));
  return new Set(builds.flat());
}

test('declares a versioning behaviour for every workflow type: short ones pinned, long-running ones auto-upgrading', () => {
  expect(VERSIONING_BEHAVIORS).toEqual({
    preloadUserWorkflow: 'PINNED',
    bulkWarmWorkflow: 'PINNED',
    userSessionWorkflow: 'PINNED',
    warmTaskWorkflow: 'AUTO_UPGRADE',
    optimizerWorkflow: 'AUTO_UPGRADE',
    userLoginsWorkflow: 'AUTO_UPGRADE',
  });
});

test('moving the current version: tasks upgrade at their next warm, a running preload finishes on the old version, new logins run on the new one', async () => {
  const deployment = uniqueName('cw-deploy');
  const ns = uniqueName('ver');
  const versioned = (buildId: string): WorkerProcess =>
    startWorkerProcess({ ...stackEnv(stack), WARMING_DEPLOYMENT: deployment, WARMING_BUILD_ID: buildId });

  const v1 = versioned('v1');
  await v1.polling();
  await setCurrentVersion(deployment, 'v1');

  const tasks = ['normal', 'critical'].map((kind) => {
    const taskId = uniqueName(`ver-${kind}`);
    origin.route(`/${taskId}`, (_req, hit) => ({ body: `v${hit}` }));
    return {
      taskId,
      cacheKey: `${ns}:${taskId}`,
      loader: { type: 'http' as const, url: `${origin.url}/${taskId}` },
      ttlSeconds: 600,
      intervalMinutes: 0.03,
      adaptive: false,
      critical: kind === 'critical',
    };
  });
  const slowUser = uniqueName('slow');
  const newUser = uniqueName('new');
  for (const userId of [slowUser, newUser]) {
    origin.route(`/users/${userId}/session`, () => ({
      body: `session of ${userId}`,
      delayMs: userId === slowUser ? 4_000 : 0,
    }));
  }
  await stack.warming.apply({
    tasks,
    userPreload: {
      session: {
        loader: { type: 'http', url: `${origin.url}/users/{userId}/session` },
        key: `${ns}:{userId}:session`,
        ttlSeconds: 600,
      },
    },
  });
  for (const task of tasks) {
    await waitFor(
      `two warms of ${task.taskId} on v1`,
      async () => (await stack.warming.status(task.taskId)).warmCount >= 2,
    );
  }
  // A preload in flight on v1 when the version moves.
  const login = (userId: string) => notifyUserLoggedIn(stack.temporal, userId, { taskQueue: stack.taskQueue });
  await login(slowUser);
  await waitFor('the slow preload running', () => origin.hitsFor(`/users/${slowUser}/session`) === 1);

  const v2 = versioned('v2');
  await v2.polling();
  await setCurrentVersion(deployment, 'v2');
  await login(newUser);

  // The preload that started on v1 finished there; the new login's ran on v2.
  const slow = await waitFor('the slow preload done', async () => {
    const status = await userPreloadStatus(stack.temporal, slowUser, { taskQueue: stack.taskQueue });
    return status?.lastResult?.ok ? status : undefined;
  });
  const fresh = await waitFor('the new preload done', async () => {
    const status = await userPreloadStatus(stack.temporal, newUser, { taskQueue: stack.taskQueue });
    return status?.lastResult?.ok ? status : undefined;
  });
  expect(new Set(await completedBy(slow.lastResult?.workflowId as string))).toEqual(new Set(['v1']));
  expect(new Set(await completedBy(fresh.lastResult?.workflowId as string))).toEqual(new Set(['v2']));
  expect(await stack.redis.get(`${ns}:${slowUser}:session`)).toBe(`session of ${slowUser}`);
  // As each type declared it (workflows/versioning.ts).
  expect(await behaviourOf(slow.lastResult?.workflowId as string)).toBe('PINNED');
  for (const task of tasks) expect(await behaviourOf(taskWorkflowId(task.taskId))).toBe('AUTO_UPGRADE');

  // Every task's next warms ran on v2, and v1 can go.
  for (const task of tasks) {
    await waitFor(
      `${task.taskId} warming on v2`,
      async () => {
        const builds = await completedBy(taskWorkflowId(task.taskId));
        if (builds.slice(-2).every((buildId) => buildId === 'v2')) return true;
        // Named in the timeout's message if it never moves.
        const { status, raw } = await stack.temporal.workflow.getHandle(taskWorkflowId(task.taskId)).describe();
        const versioning = raw.workflowExecutionInfo?.versioningInfo;
        throw new Error(
          `${status.name}, completions ${builds.slice(-6).join(',')}, versioning ${JSON.stringify(versioning ?? null)}`,
        );
      },
      { timeoutMs: 60_000 },
    );
  }
  await v1.stop();
  expect(await v1.exited).toBe(0);
  const before = await Promise.all(tasks.map((task) => stack.warming.status(task.taskId)));
  for (const [i, task] of tasks.entries()) {
    await waitFor(
      `${task.taskId} warming on after v1 stopped`,
      async () => (await stack.warming.status(task.taskId)).warmCount >= (before[i]?.warmCount ?? 0) + 2,
      { timeoutMs: 60_000 },
    );
  }

  // No warm lost or run twice across the move: every counted warm loaded once, the last one stored.
  const finals = await Promise.all(tasks.map((task) => stack.warming.remove(task.taskId, 'test done')));
  for (const [i, task] of tasks.entries()) {
    const final = finals[i];
    expect(final?.failureCount).toBe(0);
    expect(origin.hitsFor(`/${task.taskId}`)).toBe(final?.warmCount);
    expect(await stack.redis.get(task.cacheKey)).toBe(`v${final?.warmCount}`);
    expect(await completedByAnyRun(taskWorkflowId(task.taskId))).toEqual(new Set(['v1', 'v2']));
  }
  await v2.stop();
  expect(await v2.exited).toBe(0);
});
