// Stats come from Temporal history and must agree exactly with what the origin saw, across
// forced warms, failures, worker restarts and continue-as-new; user preloads likewise.
import { createCacheClient } from '../../cache/cache-client';
import { notifyUserLoggedIn } from '../../client/notify-user-logged-in';
import { userPreloadStatus } from '../../client/user-preload-status';
import { parseTask } from '../../core/config-schema';
import { WORKFLOW_TYPES } from '../../core/visibility-query';
import { forceWarmSignal, taskWorkflowId, warmTaskWorkflow } from '../../workflows';
import { uniqueName, waitFor } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

const stack = useTestStack();
const origin = useTestOrigin();

test('stats agree exactly with the warms the origin served, per task and overall, across a worker restart', async () => {
  const startedMs = Date.now();
  const run = uniqueName('st');
  const good = {
    taskId: `${run}-good`,
    cacheKey: `${run}:good`,
    loader: { type: 'http' as const, url: `${origin.url}/${run}/good` },
    ttlSeconds: 600,
  };
  const bad = {
    taskId: `${run}-bad`,
    cacheKey: `${run}:bad`,
    loader: { type: 'http' as const, url: `${origin.url}/${run}/bad` },
    ttlSeconds: 600,
  };
  origin.route(`/${run}/good`, (_req, hit) => ({ body: `g${hit}` }));
  origin.route(`/${run}/bad`, (_req, hit) => (hit === 1 ? { body: 'b1' } : { status: 404 }));
  await stack.warming.apply({ tasks: [good, bad] });
  await waitFor('first warms', async () => (await stack.redis.exists(good.cacheKey, bad.cacheKey)) === 2);
  await waitFor(
    'statuses',
    async () =>
      (await stack.warming.status(good.taskId)).warmCount === 1 &&
      (await stack.warming.status(bad.taskId)).warmCount === 1,
  );

  for (let i = 0; i < 3; i++) await stack.warming.warm(good.taskId);
  await stack.warming.warm(bad.taskId);
  await stack.warming.warm(bad.taskId);
  // A new worker picks up where the old one stopped; history, not the worker, holds the counts.
  await stack.stopWorker();
  await stack.startWorker();
  await stack.warming.warm(good.taskId);

  const stats = await stack.warming.stats({ sinceMs: startedMs });
  const goodStats = stats.byTask[good.taskId];
  const badStats = stats.byTask[bad.taskId];
  expect(goodStats).toMatchObject({ totalWarmings: origin.hitsFor(`/${run}/good`), succeeded: 5, failed: 0 });
  expect(badStats).toMatchObject({ totalWarmings: origin.hitsFor(`/${run}/bad`), succeeded: 1, failed: 2 });
  // Overall is every warm on this queue in the window: exactly the two tasks' loads at the origin.
  expect(Object.keys(stats.byTask).sort()).toEqual([bad.taskId, good.taskId].sort());
  expect(stats).toMatchObject({
    totalWarmings: origin.hitsFor(`/${run}/good`) + origin.hitsFor(`/${run}/bad`),
    succeeded: 6,
    failed: 2,
  });
  // The workflows' own counters (replayed on the new worker) agree with history.
  expect((await stack.warming.status(good.taskId)).warmCount).toBe(goodStats?.succeeded);
  expect((await stack.warming.status(bad.taskId)).failureCount).toBe(badStats?.failed);
  expect(goodStats?.fastestMs).toBeLessThanOrEqual(goodStats?.p50DurationMs ?? -1);
  expect(goodStats?.p95DurationMs).toBeLessThanOrEqual(goodStats?.slowestMs ?? -1);
  // Nothing read the good key between warms: each replaced warm was wasted; the live one is pending.
  expect(goodStats).toMatchObject({ wasted: 4, useful: 0, pending: 1, efficiencyScore: 0 });

  const one = await stack.warming.stats({ taskId: good.taskId });
  expect(Object.keys(one.byTask)).toEqual([good.taskId]);
  const future = await stack.warming.stats({ sinceMs: Date.now() + 60_000 });
  expect(future.totalWarmings).toBe(0);
});

test('every path that warms a task key counts toward that task: schedule, warm, tag, critical, signal, optimiser, rewarm', async () => {
  const taskId = uniqueName('paths');
  const tag = `${taskId}-tag`;
  const cacheKey = `${taskId}:v`;
  origin.route(`/${taskId}`, (_req, hit) => ({ body: `p${hit}` }));
  const served = () => origin.hitsFor(`/${taskId}`);
  const warmCount = async () => (await stack.warming.status(taskId)).warmCount;
  const warmed = (n: number, how: string) =>
    waitFor(`warm ${n} (${how})`, async () => (await warmCount()) === n && served() === n);
  await stack.warming.apply({
    tasks: [
      {
        taskId,
        cacheKey,
        loader: { type: 'http', url: `${origin.url}/${taskId}` },
        ttlSeconds: 600,
        tags: [tag],
        critical: true,
      },
    ],
    // No background optimiser cycle during the test: the one cycle below is asked for.
    optimizer: { everyMinutes: 1440 },
  });
  await warmed(1, 'its schedule');
  await stack.warming.warm(taskId);
  await warmed(2, 'warmctl warm');
  await stack.warming.warmByTag(tag);
  await warmed(3, 'warm --tag');
  await stack.warming.warmCritical();
  await warmed(4, 'warm --critical');
  await stack.temporal.workflow.getHandle(taskWorkflowId(taskId)).signal(forceWarmSignal, { reason: 'test' });
  await warmed(5, 'the forceWarm signal');
  await stack.redis.del(cacheKey);
  const cycle = await stack.warming.optimize();
  expect(cycle.taskWarms).toContainEqual({ taskId, reason: 'critical-missing' });
  await warmed(6, "the optimiser's critical pass");
  await stack.warming.invalidateTag(tag, { rewarm: true });
  await warmed(7, 'invalidate --rewarm');

  const stats = (await stack.warming.stats({ taskId })).byTask[taskId];
  expect(stats).toMatchObject({ totalWarmings: served(), succeeded: served(), failed: 0 });
  expect(served()).toBe(7);
});

test('a warm whose value was read before it was replaced counts as useful', async () => {
  const taskId = uniqueName('eff');
  origin.route(`/${taskId}`, (_req, hit) => ({ body: `e${hit}` }));
  await stack.warming.apply({
    tasks: [
      { taskId, cacheKey: `${taskId}:v`, loader: { type: 'http', url: `${origin.url}/${taskId}` }, ttlSeconds: 600 },
    ],
  });
  await waitFor('first warm', async () => (await stack.warming.status(taskId)).warmCount === 1);
  // One application read of the first value, through the cache client, before it is replaced.
  const cache = createCacheClient({ redis: stack.redis, prefix: stack.prefix });
  try {
    expect(await cache.get(`${taskId}:v`)).toBe('e1');
    await cache.flush();
  } finally {
    await cache.close();
  }
  await stack.warming.warm(taskId);
  await stack.warming.warm(taskId);
  const stats = (await stack.warming.stats({ taskId })).byTask[taskId];
  expect(stats).toMatchObject({ succeeded: 3, useful: 1, wasted: 1, pending: 1, efficiencyScore: 50 });
});

test('counts survive continue-as-new: every run of the chain is read', async () => {
  const taskId = uniqueName('can');
  origin.route(`/${taskId}`, (_req, hit) => ({ body: `c${hit}` }));
  const spec = parseTask({
    taskId,
    cacheKey: `${taskId}:v`,
    loader: { type: 'http', url: `${origin.url}/${taskId}` },
    ttlSeconds: 60,
    intervalMinutes: 0.01,
  });
  const handle = await stack.temporal.workflow.start(warmTaskWorkflow, {
    workflowId: taskWorkflowId(taskId),
    taskQueue: stack.taskQueue,
    args: [{ spec, historyEventsLimit: 40 }],
  });
  await waitFor('a continue-as-new', async () => (await stack.warming.status(taskId)).generation >= 1, {
    timeoutMs: 30_000,
  });
  await handle.signal('pause');
  await waitFor('paused', async () => (await stack.warming.status(taskId)).state === 'paused');
  const status = await stack.warming.status(taskId);
  // Visibility may trail the continue-as-new by a moment; then every run's warms must be there.
  const report = await waitFor('stats over every run', async () => {
    const data = await stack.warming.reportData({ taskId });
    const s = data.stats.byTask[taskId];
    return s && s.totalWarmings === origin.hitsFor(`/${taskId}`) ? data : undefined;
  });
  const stats = report.stats.byTask[taskId];
  expect(stats?.succeeded).toBe(status.warmCount);
  // Warms that finished before the current run started come from the earlier runs' histories.
  const current = await stack.temporal.workflow.getHandle(taskWorkflowId(taskId)).describe();
  expect(current.runId).not.toBe(handle.firstExecutionRunId);
  const earlier = report.warms.filter((w) => w.atMs < current.startTime.getTime());
  expect(earlier.length).toBeGreaterThan(0);
  await handle.terminate('test done');
});

test('userPreloads and preload latency agree with the preloads the origin served and the test saw', async () => {
  const ns = uniqueName('pl');
  await stack.warming.apply({
    tasks: [],
    userPreload: {
      session: {
        loader: { type: 'http', url: `${origin.url}/${ns}/users/{userId}/session` },
        key: `${ns}:user:{userId}:session`,
        ttlSeconds: 600,
      },
      navigation: {
        loader: { type: 'http', url: `${origin.url}/${ns}/users/{userId}/navigation` },
        key: `${ns}:user:{userId}:navigation`,
        ttlSeconds: 600,
      },
      skipIfWarmedWithinMinutes: 5,
    },
  });
  const users = [uniqueName('u'), uniqueName('u'), uniqueName('u')];
  const [first, second, broken] = users as [string, string, string];
  // When the origin served each user's session: one load per preload actually performed.
  const sessionLoads = new Map<string, number[]>(users.map((userId) => [userId, []]));
  for (const userId of users) {
    origin.route(`/${ns}/users/${userId}/session`, (_req, hit) => {
      sessionLoads.get(userId)?.push(Date.now());
      return { body: JSON.stringify({ hit }), delayMs: 20 };
    });
    origin.route(`/${ns}/users/${userId}/navigation`, () => (userId === broken ? { status: 404 } : { body: '[]' }));
  }
  const sessionHits = () => users.reduce((n, userId) => n + origin.hitsFor(`/${ns}/users/${userId}/session`), 0);
  // When each login was sent, and when the test saw its preload finished: each run lies between.
  const sentAt = new Map<string, number[]>(users.map((userId) => [userId, []]));
  const seenAt = new Map<string, number[]>(users.map((userId) => [userId, []]));
  const login = async (userId: string, force = false) => {
    sentAt.get(userId)?.push(Date.now());
    await notifyUserLoggedIn(stack.temporal, userId, { taskQueue: stack.taskQueue, ...(force ? { force } : {}) });
  };
  const sessionStatus = (userId: string) => userPreloadStatus(stack.temporal, userId, { taskQueue: stack.taskQueue });
  const settled = async (userId: string, preloads: number) => {
    const status = await waitFor(`${preloads} preload(s) of ${userId}`, async () => {
      const s = await sessionStatus(userId);
      return s?.preloads === preloads && s.state === 'idle' && s.lastResult ? s : undefined;
    });
    seenAt.get(userId)?.push(Date.now());
    return status;
  };
  const sinceMs = Date.now() - 1_000;

  for (const userId of users) await login(userId);
  await Promise.all(users.map((userId) => settled(userId, 1)));
  await login(first, true); // forced: a second preload
  await settled(first, 2);
  await login(second); // within the skip window: a login, but no preload
  await waitFor('the skipped login', async () => (await sessionStatus(second))?.skipped === 1);

  // Visibility may trail the close of the last child by a moment; then the count must be exact.
  const report = await waitFor('the preloads in visibility', async () => {
    const data = await stack.warming.reportData();
    return data.stats.userPreloads >= sessionHits() ? data : undefined;
  });
  const stats = report.stats;
  expect(sessionHits()).toBe(4);
  expect(stats.userPreloads).toBe(sessionHits());
  expect(stats.preloadFailures).toEqual({
    preloads: 1,
    bySource: { session: 0, navigation: 1, forms: 0 },
    unfinished: 0,
    shed: 0,
  });

  // Each run is one preload the origin served: per user as many runs as session loads, each run
  // open while its load happened, started after its login was sent and closed before the test saw it.
  for (const userId of users) {
    const runs = report.preloads.filter((run) => run.userId === userId);
    const loads = sessionLoads.get(userId) ?? [];
    const sent = sentAt.get(userId) ?? [];
    const seen = seenAt.get(userId) ?? [];
    expect({ userId, runs: runs.length }).toEqual({ userId, runs: loads.length });
    runs.forEach((run, i) => {
      const window = {
        latencyIsStartToClose: run.latencyMs === run.closedAtMs - run.startedAtMs,
        startedAfterLogin: run.startedAtMs >= (sent[i] ?? Infinity),
        openDuringLoad: run.startedAtMs <= (loads[i] ?? -1) && (loads[i] ?? Infinity) <= run.closedAtMs,
        coversTheLoadDelay: run.latencyMs >= 20,
        closedBeforeSeen: run.closedAtMs <= (seen[i] ?? -1),
        failedSources: run.failedSources,
      };
      expect(window).toEqual({
        latencyIsStartToClose: true,
        startedAfterLogin: true,
        openDuringLoad: true,
        coversTheLoadDelay: true,
        closedBeforeSeen: true,
        failedSources: userId === broken ? ['navigation'] : [],
      });
    });
  }
  // The latency summary is the nearest-rank summary of exactly those runs.
  const latencies = report.preloads.map((run) => run.latencyMs).sort((a, b) => a - b);
  const rank = (p: number) => latencies[Math.ceil((p / 100) * latencies.length) - 1];
  expect(stats.preloadLatency).toEqual({
    count: 4,
    avgMs: Math.round((latencies.reduce((a, b) => a + b, 0) / 4) * 10) / 10,
    p50Ms: rank(50),
    p95Ms: rank(95),
    p99Ms: rank(99),
    slowestMs: latencies[3],
  });

  // A completed run's result is read once, then kept as the run's digest: a repeated call reads
  // none and agrees; a digest of the wrong shape is no digest (that run's result is read again).
  const preloadFields = (s: typeof stats) => ({
    userPreloads: s.userPreloads,
    preloadLatency: s.preloadLatency,
    preloadFailures: s.preloadFailures,
  });
  const again = await stack.warming.stats();
  expect(again.read).toMatchObject({ preloadRuns: 4, preloadResultsRead: 0 });
  expect(preloadFields(again)).toEqual(preloadFields(stats));
  const preloadDigestKeys: string[] = [];
  for (const key of await stack.redis.keys(`${stack.prefix}run:*`))
    if (JSON.parse((await stack.redis.get(key)) ?? '{}').kind === 'preload') preloadDigestKeys.push(key);
  expect(preloadDigestKeys).toHaveLength(4);
  for (const stray of [
    { v: 1, kind: 'preload', userId: 'x' },
    { v: 1, kind: 'preload', userId: 'x', failed: ['no-such-source'], shed: 0 },
  ]) {
    await stack.redis.set(preloadDigestKeys[0] as string, JSON.stringify(stray));
    const reread = await stack.warming.stats();
    expect(reread.read).toMatchObject({ preloadRuns: 4, preloadResultsRead: 1 });
    expect(preloadFields(reread)).toEqual(preloadFields(stats));
  }

  // A run that closed without completing is unfinished: its status is read off the raw listing.
  const neverRan = await stack.temporal.workflow.start(WORKFLOW_TYPES.preload, {
    taskQueue: stack.taskQueue,
    workflowId: `preload-user:${uniqueName('u')}:${Date.now()}`,
    startDelay: '1h',
  });
  await neverRan.terminate('stats test: a preload that never ran');
  const withUnfinished = await waitFor('the terminated preload in visibility', async () => {
    const s = await stack.warming.stats();
    return s.read.preloadRuns === 5 ? s : undefined;
  });
  expect(preloadFields(withUnfinished)).toEqual({
    ...preloadFields(stats),
    preloadFailures: { ...stats.preloadFailures, unfinished: 1 },
  });

  expect((await stack.warming.stats({ sinceMs })).userPreloads).toBe(4);
  expect((await stack.warming.stats({ sinceMs: Date.now() + 60_000 })).userPreloads).toBe(0);
  // User preloads are not tasks: a task filter leaves them out.
  const oneTask = await stack.warming.stats({ taskId: 'no-such-task' });
  expect(oneTask).toMatchObject({ userPreloads: 0, totalWarmings: 0 });
  expect(oneTask.preloadLatency.count).toBe(0);
});
