// The per-task schedule against a real Temporal dev server and Redis: scheduled and forced warms,
// failures that keep the good value, ordering, idempotent apply, pause, removal, continue-as-new.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { defaultPayloadConverter, type SearchAttributePair } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { spawnSync } from 'node:child_process';
import { temporalCliPath } from '../../scripts/local-stack';
import { parseTask, type TaskInput } from '../../core/config-schema';
import { createWarmingClient, TaskNotFoundError } from '../../client/warming-client';
import {
  SHORT_HISTORY_EVENTS,
  statusQuery,
  taskWorkflowId,
  WARM_PRIORITY,
  WARM_TAGS,
  WARM_TASK_ID,
  warmNowUpdate,
  warmTaskWorkflow,
} from '../../workflows';
import { CARRIED_ATTRIBUTES_PATCH, SHORT_HISTORY_PATCH } from '../../workflows/warm-task';
import { expectUnchangedFor, testServers, uniqueName, waitFor, type TestStack } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

const stack = useTestStack();
const origin = useTestOrigin();

/** A task whose origin route answers `v<hit>` so each load is distinguishable. */
function counterTask(overrides: Partial<TaskInput> = {}): { taskId: string; path: string; task: TaskInput } {
  const taskId = uniqueName('task');
  const path = `/${taskId}`;
  origin.route(path, (_req, hit) => ({ body: `v${hit}` }));
  return {
    taskId,
    path,
    task: {
      taskId,
      cacheKey: `${taskId}:value`,
      loader: { type: 'http', url: `${origin.url}${path}` },
      ttlSeconds: 600,
      intervalMinutes: 60,
      ...overrides,
    },
  };
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The patches a run's history recorded, by id. */
function patchesOf(events: readonly HistoryEvent[]): string[] {
  return events.flatMap((e) => {
    const marker = e.markerRecordedEventAttributes;
    const payload = marker?.markerName === 'core_patch' ? marker.details?.['patch-data']?.payloads?.[0] : undefined;
    return payload ? [defaultPayloadConverter.fromPayload<{ id: string }>(payload).id] : [];
  });
}

/** How many times a run's history set the task's own search attributes (not the SDK's TemporalChangeVersion). */
function taskAttributeUpserts(events: readonly HistoryEvent[]): number {
  return events.filter((e) => {
    const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {};
    return WARM_TASK_ID.name in fields;
  }).length;
}

async function statusWhen(
  taskId: string,
  ok: (s: Awaited<ReturnType<TestStack['warming']['status']>>) => boolean,
  what: string,
) {
  return waitFor(what, async () => {
    const status = await stack.warming.status(taskId);
    return ok(status) ? status : undefined;
  });
}

test('warms on start and then on every interval', async () => {
  const { taskId, path, task } = counterTask({ intervalMinutes: 0.02 });
  await stack.warming.apply({ tasks: [task] });
  const status = await statusWhen(taskId, (s) => s.warmCount >= 3, 'three scheduled warms');
  expect(status.failureCount).toBe(0);
  expect(origin.hitsFor(path)).toBeGreaterThanOrEqual(3);
  const triggers = status.lastResult?.trigger;
  expect(triggers).toBe('schedule');
});

test('a forceWarm signal warms at once, with or without a payload', async () => {
  const { taskId, task } = counterTask();
  await stack.warming.apply({ tasks: [task] });
  await statusWhen(taskId, (s) => s.warmCount === 1, 'the first warm');
  const handle = stack.temporal.workflow.getHandle(taskWorkflowId(taskId));
  await handle.signal('forceWarm');
  await statusWhen(taskId, (s) => s.warmCount === 2, 'a warm forced without payload');
  await handle.signal('forceWarm', { reason: 'deploy' });
  const status = await statusWhen(taskId, (s) => s.warmCount === 3, 'a warm forced with a reason');
  expect(status.lastResult).toMatchObject({ ok: true, trigger: 'force', reason: 'deploy' });
  expect(await stack.redis.get(task.cacheKey)).toBe('v3');
});

test('a malformed forceWarm payload is dropped and the workflow keeps running', async () => {
  const { taskId, task } = counterTask();
  await stack.warming.apply({ tasks: [task] });
  await statusWhen(taskId, (s) => s.warmCount === 1, 'the first warm');
  const handle = stack.temporal.workflow.getHandle(taskWorkflowId(taskId));
  await handle.signal('forceWarm', { reason: 42 });
  await handle.signal('forceWarm', 'now please');
  // A valid request after the bad ones is served, and only it: the bad ones warmed nothing.
  const outcome = await stack.warming.warm(taskId, { reason: 'after bad signals' });
  expect(outcome?.ok).toBe(true);
  const status = await stack.warming.status(taskId);
  expect(status.warmCount).toBe(2);
  expect((await handle.describe()).status.name).toBe('RUNNING');
});

test('the warmNow update waits for the warm and returns its metadata, never the value', async () => {
  const { taskId, task } = counterTask();
  await stack.warming.apply({ tasks: [task] });
  await statusWhen(taskId, (s) => s.warmCount === 1, 'the first warm');
  const outcome = await stack.warming.warm(taskId, { reason: 'test' });
  expect(outcome).toMatchObject({
    ok: true,
    trigger: 'update',
    reason: 'test',
    result: { cacheKey: task.cacheKey, written: true, sizeBytes: 2 },
  });
  expect(JSON.stringify(outcome)).not.toContain('"v2"');
  expect(await stack.redis.get(task.cacheKey)).toBe('v2');
});

test('keeps the stale value when the origin rejects the load, and counts the failure', async () => {
  const { taskId, path, task } = counterTask();
  await stack.warming.apply({ tasks: [task] });
  await statusWhen(taskId, (s) => s.warmCount === 1, 'the first warm');
  origin.route(path, () => ({ status: 404, body: 'gone' }));
  const outcome = await stack.warming.warm(taskId);
  expect(outcome?.ok).toBe(false);
  expect(outcome?.error).toMatch(/OriginRejected: GET .* answered 404/);
  expect(await stack.redis.get(task.cacheKey)).toBe('v1');
  expect(await stack.redis.ttl(task.cacheKey)).toBeGreaterThan(500);
  const status = await stack.warming.status(taskId);
  expect(status).toMatchObject({ warmCount: 1, failureCount: 1 });
  expect(status.lastError).toMatch(/404/);
});

test('retries a transient origin failure and then stores the value', async () => {
  const taskId = uniqueName('flaky');
  const path = `/${taskId}`;
  origin.route(path, (_req, hit) => (hit <= 2 ? { status: 503, body: 'busy' } : { body: 'finally' }));
  await stack.warming.apply({
    tasks: [{ taskId, cacheKey: `${taskId}:v`, loader: { type: 'http', url: `${origin.url}${path}` }, ttlSeconds: 60 }],
  });
  const status = await statusWhen(taskId, (s) => s.warmCount === 1, 'the warm after two 503s');
  expect(status.failureCount).toBe(0);
  expect(status.lastResult?.result?.attempt).toBe(3);
  expect(await stack.redis.get(`${taskId}:v`)).toBe('finally');
});

test('concurrent forced warms lose no request and leave the newest load stored', async () => {
  const { taskId, path, task } = counterTask();
  await stack.warming.apply({ tasks: [task] });
  await statusWhen(taskId, (s) => s.warmCount === 1, 'the first warm');
  const outcomes = await Promise.all(
    Array.from({ length: 10 }, (_, i) => stack.warming.warm(taskId, { reason: `burst ${i}` })),
  );
  expect(outcomes.every((o) => o?.ok)).toBe(true);
  // Every caller got a warm that started after its request: the last finished warm is the newest load.
  const hits = origin.hitsFor(path);
  expect(await stack.redis.get(task.cacheKey)).toBe(`v${hits}`);
  const versions = outcomes.map((o) => o?.result?.version ?? 0);
  expect(Math.max(...versions)).toBe((await stack.warming.status(taskId)).lastResult?.result?.version);
  // Bursts coalesce: fewer loads than requests, but at least one after the first warm.
  expect(hits).toBeGreaterThanOrEqual(2);
  expect(hits).toBeLessThanOrEqual(11);
});

test('applying the same config twice changes nothing; a changed interval takes effect at once', async () => {
  const { taskId, task } = counterTask();
  const first = await stack.warming.apply({ tasks: [task] });
  expect(first.tasks).toEqual([{ taskId, action: 'created' }]);
  const before = await statusWhen(taskId, (s) => s.warmCount === 1, 'the first warm');

  const again = await stack.warming.apply({ tasks: [task] });
  expect(again.tasks).toEqual([{ taskId, action: 'unchanged' }]);
  const same = await stack.warming.status(taskId);
  expect(same).toMatchObject({ warmCount: 1, nextWarmAt: before.nextWarmAt, intervalMinutes: 60 });

  const changed = await stack.warming.apply({ tasks: [{ ...task, intervalMinutes: 30, tags: ['t1'] }] });
  expect(changed.tasks).toEqual([{ taskId, action: 'updated', fields: ['intervalMinutes', 'tags'] }]);
  const after = await stack.warming.status(taskId);
  expect(after.intervalMinutes).toBe(30);
  expect(after.tags).toEqual(['t1']);
  expect(Date.parse(after.nextWarmAt as string) - Date.parse(after.lastWarmAt as string)).toBe(30 * 60_000);
});

test('concurrent applies of one task make exactly one workflow', async () => {
  const { taskId, task } = counterTask();
  const reports = await Promise.all([stack.warming.apply({ tasks: [task] }), stack.warming.apply({ tasks: [task] })]);
  expect(reports.flatMap((r) => r.tasks.map((t) => t.action)).sort()).toEqual(expect.arrayContaining(['created']));
  const runs = await waitFor('the task in visibility', async () => {
    const found = [];
    for await (const w of stack.temporal.workflow.list({ query: `WorkflowId = '${taskWorkflowId(taskId)}'` }))
      found.push(w);
    return found.length > 0 ? found : undefined;
  });
  expect(runs).toHaveLength(1);
});

test('pause stops scheduled warms but not forced ones; resume restarts the schedule', async () => {
  const { taskId, task } = counterTask({ intervalMinutes: 0.02 });
  await stack.warming.apply({ tasks: [task] });
  await statusWhen(taskId, (s) => s.warmCount >= 1, 'the first warm');
  await stack.warming.pause(taskId);
  const paused = await statusWhen(taskId, (s) => s.paused && s.state === 'paused', 'paused');
  expect(paused.nextWarmAt).toBeNull();
  const forced = await stack.warming.warm(taskId);
  expect(forced?.ok).toBe(true);
  const count = (await stack.warming.status(taskId)).warmCount;
  // Proving an absence needs time to pass: watch for three intervals that no scheduled warm comes.
  await expectUnchangedFor(3_600, async () => (await stack.warming.status(taskId)).warmCount);
  expect((await stack.warming.status(taskId)).lastResult?.trigger).toBe('update');
  await stack.warming.resume(taskId);
  const resumed = await statusWhen(
    taskId,
    (s) => s.lastResult?.trigger === 'schedule' && s.warmCount > count,
    'a scheduled warm after resume',
  );
  expect(resumed.paused).toBe(false);
});

test('remove ends the workflow cleanly and the task is gone', async () => {
  const { taskId, task } = counterTask();
  await stack.warming.apply({ tasks: [task] });
  await statusWhen(taskId, (s) => s.warmCount === 1, 'the first warm');
  const final = await stack.warming.remove(taskId);
  expect(final).toMatchObject({ taskId, state: 'removed', warmCount: 1 });
  const description = await stack.temporal.workflow.getHandle(taskWorkflowId(taskId)).describe();
  expect(description.status.name).toBe('COMPLETED');
  await expect(stack.warming.status(taskId)).rejects.toBeInstanceOf(TaskNotFoundError);
  // The value stays until its TTL.
  expect(await stack.redis.get(task.cacheKey)).toBe('v1');
});

test('an update to a removed task is refused by its validator', async () => {
  const { taskId, task } = counterTask();
  await stack.warming.apply({ tasks: [task] });
  await statusWhen(taskId, (s) => s.warmCount === 1, 'the first warm');
  const handle = stack.temporal.workflow.getHandle(taskWorkflowId(taskId));
  await handle.signal('remove');
  const rejected = await handle.executeUpdate(warmNowUpdate, { args: [{}] }).catch((err: unknown) => err);
  // Either the validator refused it, or the workflow had already completed.
  expect(rejected).toBeInstanceOf(Error);
  if (rejected instanceof WorkflowUpdateFailedError) expect(String(rejected.cause?.message)).toMatch(/being removed/);
});

test('continues as new before the history grows large, carrying its counters', async () => {
  const taskId = uniqueName('long');
  const path = `/${taskId}`;
  origin.route(path, (_req, hit) => ({ body: `v${hit}` }));
  const spec = parseTask({
    taskId,
    cacheKey: `${taskId}:v`,
    loader: { type: 'http', url: `${origin.url}${path}` },
    ttlSeconds: 60,
    intervalMinutes: 0.01,
  });
  const handle = await stack.temporal.workflow.start(warmTaskWorkflow, {
    workflowId: taskWorkflowId(taskId),
    taskQueue: stack.taskQueue,
    args: [{ spec, historyEventsLimit: 40 }],
  });
  // The schedule keeps running while the test reads, so the origin's count is taken right after
  // the query: it can be ahead by the one warm in flight, never behind.
  const { status, hits } = await waitFor(
    'two continue-as-new generations',
    async () => {
      const s = await handle.query(statusQuery);
      return s.generation >= 2 ? { status: s, hits: origin.hitsFor(path) } : undefined;
    },
    { timeoutMs: 45_000 },
  );
  const { events } = await stack.temporal.workflow.getHandle(taskWorkflowId(taskId)).fetchHistory();
  expect(events?.length ?? 0).toBeLessThan(60);
  // Counters carried across runs: more warms than any single run of <= 40 events could hold.
  expect(status.warmCount).toBeGreaterThanOrEqual(status.generation * 3);
  expect(hits - status.warmCount).toBeGreaterThanOrEqual(0);
  expect(hits - status.warmCount).toBeLessThanOrEqual(1);
  expect(status.since < (await handle.describe()).startTime.toISOString()).toBe(true);
  await handle.terminate('test done');
});

test('a task applied with the defaults continues as new once its run holds SHORT_HISTORY_EVENTS events', async () => {
  const { taskId, path, task } = counterTask();
  await stack.warming.apply({ tasks: [task] });
  const handle = stack.temporal.workflow.getHandle(taskWorkflowId(taskId));
  const { runId: firstRunId } = await handle.describe();
  // Forced warms (7-9 events each) until the run continues as new; a run of 10 000 events never would.
  for (let warms = 0; (await handle.describe()).runId === firstRunId; warms++) {
    if (warms > 30) throw new Error(`no continue-as-new after ${warms} forced warms`);
    await stack.warming.warm(taskId, { wait: true });
  }
  // The new run answers queries once its first workflow task has run.
  const status = await waitFor('the continued run answering', () => handle.query(statusQuery).catch(() => undefined));
  expect(status.generation).toBe(1);
  const first = await stack.temporal.workflow.getHandle(taskWorkflowId(taskId), firstRunId).fetchHistory();
  const events = first.events ?? [];
  expect(events.length).toBeGreaterThanOrEqual(SHORT_HISTORY_EVENTS);
  expect(events.length).toBeLessThan(SHORT_HISTORY_EVENTS + 15);
  expect(events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
  // The run recorded the patch that chose the short limit.
  expect(patchesOf(events)).toContain(SHORT_HISTORY_PATCH);
  // Counters carried: every warm of both runs counted, and the origin served each.
  expect(status.warmCount).toBeGreaterThan(10);
  expect(origin.hitsFor(path)).toBe(status.warmCount);
  // Neither run set the search attributes its start carried (apply's, then the server's copy),
  // and the continued run still has them.
  const continued = await waitFor('the continued run at its first timer', async () => {
    const history = await handle.fetchHistory();
    return history.events?.some((e) => e.timerStartedEventAttributes) ? history : undefined;
  });
  expect(patchesOf(events)).toContain(CARRIED_ATTRIBUTES_PATCH);
  expect(patchesOf(continued.events ?? [])).toContain(CARRIED_ATTRIBUTES_PATCH);
  expect(taskAttributeUpserts(events)).toBe(0);
  expect(taskAttributeUpserts(continued.events ?? [])).toBe(0);
  const description = await handle.describe();
  expect(description.runId).not.toBe(firstRunId);
  expect(description.typedSearchAttributes.get(WARM_TASK_ID)).toBe(taskId);
  expect(description.typedSearchAttributes.get(WARM_PRIORITY)).toBe(10);
});

test.each<[string, SearchAttributePair[] | undefined]>([
  ['no search attributes (a start from Temporal’s CLI)', undefined],
  [
    'search attributes of its own',
    [
      { key: WARM_TASK_ID, value: 'another-task' },
      { key: WARM_TAGS, value: ['wrong'] },
    ],
  ],
])('a task started with %s sets its own once', async (_what, startedWith) => {
  const { taskId, task } = counterTask({ tags: ['shop'], priority: 20 });
  const handle = await stack.temporal.workflow.start(warmTaskWorkflow, {
    workflowId: taskWorkflowId(taskId),
    taskQueue: stack.taskQueue,
    args: [{ spec: parseTask(task) }],
    ...(startedWith ? { typedSearchAttributes: startedWith } : {}),
  });
  await statusWhen(taskId, (s) => s.warmCount === 1, 'the first warm');
  const { events } = await handle.fetchHistory();
  expect(taskAttributeUpserts(events ?? [])).toBe(1);
  const attributes = (await handle.describe()).typedSearchAttributes;
  expect([attributes.get(WARM_TASK_ID), attributes.get(WARM_TAGS), attributes.get(WARM_PRIORITY)]).toEqual([
    taskId,
    ['shop'],
    20,
  ]);
  await handle.terminate('test done');
});

test("listing shows only this deployment's task queue, not other deployments in the namespace", async () => {
  const other = await createWarmingClient({
    client: stack.temporal,
    redis: stack.redis,
    taskQueue: uniqueName('other-tq'),
    prefix: stack.prefix,
  });
  const { taskId, task } = counterTask();
  await stack.warming.apply({ tasks: [task] });
  await waitFor('the task listed on its own queue', async () => (await stack.warming.listTaskIds()).includes(taskId));
  expect(await other.listTaskIds()).not.toContain(taskId);
  await other.close();
});

test("another deployment in the namespace cannot apply, warm or remove this deployment's task", async () => {
  const other = await createWarmingClient({
    client: stack.temporal,
    redis: stack.redis,
    taskQueue: uniqueName('other-tq'),
    prefix: `${uniqueName('other')}:`,
  });
  const { taskId, task } = counterTask();
  await stack.warming.apply({ tasks: [task] });
  await statusWhen(taskId, (s) => s.warmCount === 1, 'the first warm');
  const second = counterTask();
  await expect(other.apply({ tasks: [second.task, { ...task, intervalMinutes: 5 }] })).rejects.toThrow(
    `tasks[1].taskId: "${taskId}" belongs to another deployment (task queue ${stack.taskQueue}, not `,
  );
  // Refused whole: the other deployment stored no config and started no workflow.
  expect(await other.appliedConfig()).toBeUndefined();
  await expect(stack.temporal.workflow.getHandle(taskWorkflowId(second.taskId)).describe()).rejects.toThrow();
  await expect(other.remove(taskId)).rejects.toThrow('belongs to another deployment');
  await expect(other.warm(taskId)).rejects.toThrow('belongs to another deployment');
  const status = await stack.warming.status(taskId);
  expect(status.intervalMinutes).toBe(60);
  expect(status.warmCount).toBe(1);
  await other.close();
});

test('the documented Temporal CLI command `temporal workflow signal --name forceWarm` forces a warm', async () => {
  const { taskId, task } = counterTask();
  await stack.warming.apply({ tasks: [task] });
  await statusWhen(taskId, (s) => s.warmCount === 1, 'the first warm');
  const { status, stderr } = spawnSync(
    temporalCliPath(),
    [
      'workflow',
      'signal',
      '--address',
      testServers().temporalAddress,
      '--workflow-id',
      taskWorkflowId(taskId),
      '--name',
      'forceWarm',
      '--input',
      '{"reason":"cli"}',
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
  const after = await statusWhen(taskId, (s) => s.warmCount === 2, 'the CLI-forced warm');
  expect(after.lastResult).toMatchObject({ trigger: 'force', reason: 'cli' });
});

test('the Temporal UI gets a summary naming the key and live details with interval and last result', async () => {
  const { taskId, task } = counterTask({ name: 'Catalog for the UI', intervalMinutes: 45 });
  await stack.warming.apply({ tasks: [task] });
  await statusWhen(taskId, (s) => s.warmCount === 1, 'the first warm');
  const handle = stack.temporal.workflow.getHandle(taskWorkflowId(taskId));
  const description = await handle.describe();
  expect(await description.staticSummary()).toContain(task.cacheKey);
  expect(await description.staticDetails()).toContain(`${origin.url}/`);
  const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  expect(metadata.currentDetails).toContain('every 45 min');
  expect(metadata.currentDetails).toMatch(/last warm: .*ok in \d+ ms/);
  expect(description.typedSearchAttributes.get(WARM_TASK_ID)).toBe(taskId);
});

test('cached values never enter workflow history', async () => {
  const taskId = uniqueName('secret');
  const marker = `SECRET-${uniqueName('marker')}`;
  origin.route(`/${taskId}`, () => ({ body: JSON.stringify({ token: marker }) }));
  await stack.warming.apply({
    tasks: [
      { taskId, cacheKey: `${taskId}:v`, loader: { type: 'http', url: `${origin.url}/${taskId}` }, ttlSeconds: 60 },
    ],
  });
  await statusWhen(taskId, (s) => s.warmCount === 1, 'the first warm');
  await stack.warming.warm(taskId);
  expect(await stack.redis.get(`${taskId}:v`)).toContain(marker);
  const history = await stack.temporal.workflow.getHandle(taskWorkflowId(taskId)).fetchHistory();
  // Every payload (inputs, results, updates, search attributes), decoded from base64.
  const text = [...JSON.stringify(history).matchAll(/"data":"([^"]*)"/g)]
    .map((m) => Buffer.from(m[1] as string, 'base64').toString('utf8'))
    .join('\n');
  expect(text).toContain(`${taskId}:v`); // payloads are decoded: the key name is there...
  expect(text).not.toContain(marker); // ...the value is not.
});
