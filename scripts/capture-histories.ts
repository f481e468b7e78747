// `npm run capture-histories -- --version X`: drives every workflow type through its paths against
// real servers of its own and saves each run's history as JSON under test/replay/<X>/, the replay
// fixtures that `npm test` replays against the current workflow code (docs/upgrading.md).
import { allTasksQuery } from '../core/visibility-query';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { Redis } from 'ioredis';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createCacheClient } from '../cache/cache-client';
import { notifyUserLoggedIn } from '../client/notify-user-logged-in';
import { userPreloadStatus } from '../client/user-preload-status';
import { createWarmingClient, type WarmingClient } from '../client/warming-client';
import { parseWarmingConfig, type WarmingConfigInput } from '../core/config-schema';
import { boundedId } from '../core/temporal-limits';
import { createWorker } from '../worker/create-worker';
import { buildWorkflowBundle, PAYLOAD_CONVERTER_PATH } from '../worker/workflow-bundle';
import { nondeterminismSignature } from './replay-signature';
import {
  applyTaskUpdate,
  bulkWarmWorkflow,
  forceWarmSignal,
  optimizerStatusQuery,
  optimizerWorkflow,
  pauseSignal,
  resumeSignal,
  runCycleUpdate,
  setIntervalSignal,
  statusQuery,
  taskWorkflowId,
  userLoggedInSignal,
  userLoginsStatusQuery,
  userLoginsWorkflow,
  userLoginsWorkflowId,
  userSessionStatusQuery,
  userSessionWorkflow,
  userSessionWorkflowId,
  warmNowUpdate,
  warmTaskWorkflow,
} from '../workflows';
import { startDemoOrigin, type DemoOrigin } from './demo-origin';
import {
  startRedisServer,
  startTemporalDevServer,
  temporalCliPath,
  waitForTemporal,
  type LocalServer,
} from './local-stack';

const PROJECT_ROOT = resolve(__dirname, existsSync(resolve(__dirname, '../package.json')) ? '..' : '../..');
const TASK_QUEUE = 'capture';
const PREFIX = 'cw:';

/** One saved history: which workflow, which run of its chain, and what it went through. */
export interface ReplayFixture {
  file: string;
  workflowType: string;
  workflowId: string;
  runId: string;
  status: string;
  events: number;
  /**
   * Set when this history did not replay even on the code that made it (a bug of that release):
   * the nondeterminism it hit. Later code must replay it or fail exactly so, nothing else.
   */
  failsOnOwnCode?: string;
  /**
   * The last run of a task workflow's chain: the chain's own counters (its `status` query) when
   * capture ended, which stats read from the chain's histories must equal (from 0.4.0).
   */
  taskCounters?: TaskCounters;
}

/** A task workflow's count of succeeded and failed warms over its whole continue-as-new chain. */
export interface TaskCounters {
  warmCount: number;
  failureCount: number;
}

export interface ReplayManifest {
  version: string;
  commit: string;
  capturedAt: string;
  sdk: string;
  temporalCli: string;
  /** What each scenario drove, by workflow id. */
  scenarios: Record<string, string>;
  fixtures: ReplayFixture[];
}

const scenarios: Record<string, string> = {};
/** Each task workflow's counters at the end of the drive, by workflow id. */
const taskCounters = new Map<string, TaskCounters>();
function scenario(workflowId: string, what: string): string {
  scenarios[workflowId] = what;
  return workflowId;
}

async function run(): Promise<void> {
  const version = argument('--version');
  if (!version || !/^[\w.-]+$/.test(version)) throw new Error('--version must name the release, e.g. --version 0.1.0');
  const outDir = join(PROJECT_ROOT, 'test', 'replay', version);
  if (existsSync(outDir) && !process.argv.includes('--overwrite')) {
    throw new Error(`${outDir} exists: a released set is never replaced (pass --overwrite to redo an unreleased one)`);
  }

  // Workflows log the malformed signals this script sends on purpose: only errors are news here.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const servers: LocalServer[] = [];
  let origin: DemoOrigin | undefined;
  try {
    const [temporal, redisServer] = await Promise.all([startTemporalDevServer(), startRedisServer()]);
    servers.push(temporal, redisServer);
    await waitForTemporal(temporal.address);
    origin = await startDemoOrigin({ latencyScale: 0.2 });
    process.env.TEMPORAL_ADDRESS = temporal.address;
    process.env.REDIS_URL = redisServer.url;

    const connection = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection });
    const redis = new Redis(redisServer.url);
    const warming = await createWarmingClient({ client, redis, taskQueue: TASK_QUEUE, prefix: PREFIX });
    const nativeConnection = await NativeConnection.connect({ address: temporal.address });
    const worker = await createWorker({
      connection: nativeConnection,
      taskQueue: TASK_QUEUE,
      redis,
      prefix: PREFIX,
      shutdownGraceTime: '2s',
    });
    say('worker started; driving scenarios');
    await worker.runUntil(() => drive(client, warming, redis, origin as DemoOrigin, redisServer.url));
    say('scenarios done; saving histories');
    const fixtures = await saveHistories(client, outDir);
    await replayOnOwnCode(outDir, fixtures);
    const manifest: ReplayManifest = {
      version,
      commit: git(['rev-parse', 'HEAD']),
      capturedAt: new Date().toISOString(),
      sdk: (JSON.parse(readFileSync(require.resolve('@temporalio/worker/package.json'), 'utf8')) as { version: string })
        .version,
      temporalCli: temporalCliVersion(),
      scenarios,
      fixtures,
    };
    writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    say(`saved ${fixtures.length} histories to ${outDir}`);
    await warming.close();
    await connection.close();
    await nativeConnection.close();
    redis.disconnect();
  } finally {
    await origin?.close();
    await Promise.all(servers.map((server) => server.stop()));
  }
}

async function drive(
  client: Client,
  warming: WarmingClient,
  redis: Redis,
  origin: DemoOrigin,
  redisUrl: string,
): Promise<void> {
  const o = origin.url;
  const preload = (navigationPath: string): WarmingConfigInput['userPreload'] => ({
    session: {
      loader: { type: 'http', url: `${o}/users/{userId}/session` },
      key: 'user:{userId}:session',
      ttlSeconds: 1800,
    },
    navigation: {
      loader: { type: 'http', url: `${o}${navigationPath}` },
      key: 'user:{userId}:navigation',
      ttlSeconds: 1800,
    },
    forms: {
      list: { type: 'http', url: `${o}/users/{userId}/forms` },
      item: { type: 'http', url: `${o}/forms/{formId}` },
      key: 'form:{formId}',
      max: 3,
      ttlSeconds: 1800,
    },
    skipIfWarmedWithinMinutes: 0.15,
    idleMinutes: 0.1,
  });
  const config: WarmingConfigInput = {
    tasks: [
      {
        taskId: 'scheduled',
        cacheKey: 'catalog:categories',
        loader: { type: 'http', url: `${o}/categories` },
        ttlSeconds: 600,
        intervalMinutes: 0.02,
        adaptive: false,
        tags: ['catalog'],
      },
      {
        taskId: 'signals',
        cacheKey: 'flags',
        loader: { type: 'http', url: `${o}/feature-flags` },
        ttlSeconds: 600,
        intervalMinutes: 60,
        tags: ['flags'],
      },
      {
        taskId: 'critical',
        cacheKey: 'catalog:products',
        loader: { type: 'http', url: `${o}/products` },
        ttlSeconds: 600,
        critical: true,
        priority: 100,
        intervalMinutes: 60,
      },
      {
        taskId: 'failing',
        cacheKey: 'product:gone',
        loader: { type: 'http', url: `${o}/products/99999` },
        ttlSeconds: 600,
        intervalMinutes: 60,
      },
      {
        taskId: 'hot',
        cacheKey: 'pages:home',
        loader: { type: 'http', url: `${o}/pages/home` },
        ttlSeconds: 60,
        intervalMinutes: 60,
        adaptive: true,
      },
      {
        taskId: 'removed',
        cacheKey: 'prices',
        loader: { type: 'http', url: `${o}/prices` },
        ttlSeconds: 600,
        intervalMinutes: 60,
      },
    ],
    patterns: [
      {
        match: 'product:{id}',
        loader: { type: 'http', url: `${o}/products/{id}` },
        ttlSeconds: 600,
        tags: ['product'],
      },
    ],
    userPreload: preload('/users/{userId}/navigation'),
    optimizer: { everyMinutes: 0.1, windowMinutes: 1, topN: 20, minAccessFrequency: 0.1, expiringWithinSeconds: 120 },
  };
  scenario(taskWorkflowId('scheduled'), 'task: start warm, scheduled warms every 1.2 s, pause, resume');
  scenario(
    taskWorkflowId('signals'),
    'task: start warm, forceWarm (with reason, without, malformed), warmNow, applyTask (ttl, interval, tags), setInterval (adaptive), pause/resume; from 0.3.0 a malformed remove (dropped)',
  );
  scenario(taskWorkflowId('critical'), 'task: critical (warms on the critical queue), start warm, warmNow');
  scenario(
    taskWorkflowId('hot'),
    'task: adaptive, re-planned by the optimiser (setInterval) and force-warmed as a hot key',
  );
  scenario(taskWorkflowId('removed'), 'task: start warm, then removed (workflow completes)');
  scenario(
    taskWorkflowId('failing'),
    'task: failing loader (404), start failure, warmNow failure, unchanged applyTask',
  );
  const report = await warming.apply(config);
  say(`applied ${report.created} tasks`);

  const handle = (taskId: string) => client.workflow.getHandle<typeof warmTaskWorkflow>(taskWorkflowId(taskId));
  const status = (taskId: string) => handle(taskId).query(statusQuery);
  for (const taskId of ['scheduled', 'signals', 'critical', 'failing', 'hot', 'removed']) {
    await waitUntil(`first warm of ${taskId}`, async () => {
      const s = await status(taskId);
      return s.warmCount + s.failureCount >= 1;
    });
  }

  // Task: continue-as-new, carrying counters, with a small history limit.
  const canSpec = parseWarmingConfig({
    tasks: [
      {
        taskId: 'continued',
        cacheKey: 'catalog:continued',
        loader: { type: 'http', url: `${o}/categories` },
        ttlSeconds: 600,
        intervalMinutes: 0.01,
        adaptive: false,
      },
    ],
  }).tasks[0];
  scenario(taskWorkflowId('continued'), 'task: warms every 0.6 s with historyEventsLimit 40: continue-as-new twice');
  await client.workflow.start(warmTaskWorkflow, {
    workflowId: taskWorkflowId('continued'),
    taskQueue: TASK_QUEUE,
    args: [{ spec: canSpec as NonNullable<typeof canSpec>, historyEventsLimit: 40 }],
  });

  // A critical task started on the main queue, as release 0.1 started them: it warms through an
  // activity task on the critical queue, then moves there by continuing as new.
  const movedSpec = parseWarmingConfig({
    tasks: [
      {
        taskId: 'moved',
        cacheKey: 'catalog:moved',
        loader: { type: 'http', url: `${o}/categories` },
        ttlSeconds: 600,
        intervalMinutes: 60,
        critical: true,
      },
    ],
  }).tasks[0];
  scenario(
    taskWorkflowId('moved'),
    'task: critical, started on the main queue (as 0.1 did): one activity-task warm, then continue-as-new onto the critical queue',
  );
  await client.workflow.start(warmTaskWorkflow, {
    workflowId: taskWorkflowId('moved'),
    taskQueue: TASK_QUEUE,
    args: [{ spec: movedSpec as NonNullable<typeof movedSpec> }],
  });

  // Task signals and updates.
  await handle('signals').signal(forceWarmSignal, { reason: 'capture: with reason' });
  await handle('signals').signal(forceWarmSignal);
  await waitUntil('two forced warms', async () => (await status('signals')).warmCount >= 2);
  await client.workflow.getHandle(taskWorkflowId('signals')).signal('forceWarm', 'not an object');
  // From 0.3.0 a malformed remove is dropped like any malformed signal (patch strict-remove).
  await client.workflow.getHandle(taskWorkflowId('signals')).signal('remove', { reason: 0 });
  await handle('signals').executeUpdate(warmNowUpdate, { args: [{ reason: 'capture: warmNow' }] });
  const applied = parseWarmingConfig({
    tasks: [{ ...config.tasks?.[1], ttlSeconds: 900, intervalMinutes: 30, tags: ['flags', 'edge'] }],
  }).tasks[0];
  await handle('signals').executeUpdate(applyTaskUpdate, { args: [applied as NonNullable<typeof applied>] });
  await handle('signals').signal(setIntervalSignal, { intervalMinutes: 45, reason: 'capture' });
  await handle('signals').signal(pauseSignal);
  await handle('signals').signal(forceWarmSignal, { reason: 'capture: forced while paused' });
  await handle('signals').signal(resumeSignal);
  await waitUntil('signals settled', async () => (await status('signals')).warmCount >= 4);

  await handle('critical').executeUpdate(warmNowUpdate, { args: [undefined] });
  await handle('failing').executeUpdate(warmNowUpdate, { args: [{ reason: 'capture: fails again' }] });

  await waitUntil('scheduled warms', async () => (await status('scheduled')).warmCount >= 3);
  await handle('scheduled').signal(pauseSignal);
  await sleep(1_500);
  await handle('scheduled').signal(resumeSignal);
  await waitUntil('scheduled after resume', async () => (await status('scheduled')).warmCount >= 5);
  await handle('scheduled').signal(pauseSignal);

  await warming.remove('removed', 'capture: removed');

  // Optimiser: reads make the hot task's key and some pattern keys hot; a requested cycle re-plans
  // the adaptive task and warms the missing hot keys, scheduled cycles follow.
  scenario(
    'warm-optimizer',
    'optimiser: started by apply, configApplied, requested cycles (setInterval, forceWarm, pattern batches), scheduled cycles, pause/resume; from 0.3.0 a requested cycle over an unreadable config (recorded, the optimiser goes on)',
  );
  const cache = createCacheClient({ redisUrl, prefix: PREFIX });
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
  const optimizer = client.workflow.getHandle<typeof optimizerWorkflow>('warm-optimizer');
  const cycles = (await optimizer.query(optimizerStatusQuery)).cycles;
  await waitUntil(
    'a scheduled optimiser cycle',
    async () => (await optimizer.query(optimizerStatusQuery)).cycles > cycles,
  );

  scenario('warm-optimizer-continued', 'optimiser: scheduled cycles with historyEventsLimit 30: continue-as-new');
  await client.workflow.start(optimizerWorkflow, {
    workflowId: 'warm-optimizer-continued',
    taskQueue: TASK_QUEUE,
    args: [{ historyEventsLimit: 30 }],
  });
  const continued = client.workflow.getHandle<typeof optimizerWorkflow>('warm-optimizer-continued');
  await continued.executeUpdate(runCycleUpdate);
  await waitUntil(
    'the optimiser to continue as new',
    async () => (await continued.query(optimizerStatusQuery)).generation >= 1,
    60_000,
  );

  // Bulk warm.
  scenario('bulk-warm-capture', 'bulk warm: 12 ids in batches of 5, 2 in parallel');
  await client.workflow.execute(bulkWarmWorkflow, {
    workflowId: 'bulk-warm-capture',
    taskQueue: TASK_QUEUE,
    args: [
      {
        template: { key: 'product:{id}', loader: { type: 'http', url: `${o}/products/{id}` }, ttlSeconds: 600 },
        idRange: { from: 0, to: 12 },
        batchSize: 5,
        parallelBatches: 2,
      },
    ],
  });

  // A preload given settings its activity refuses as input fails naming the field (from 0.3.0).
  scenario(
    'preload-user:refused',
    'preload child started by hand with a settings key under the reserved prefix: fails',
  );
  await client.workflow
    .execute('preloadUserWorkflow', {
      workflowId: 'preload-user:refused',
      taskQueue: TASK_QUEUE,
      args: [
        {
          userId: 'refused',
          settings: {
            session: {
              loader: { type: 'http', url: `${o}/users/{userId}/session` },
              key: `${PREFIX}{userId}`,
              ttlSeconds: 60,
            },
          },
        },
      ],
    })
    .then(
      () => {
        throw new Error('a preload with a reserved settings key succeeded');
      },
      () => undefined,
    );

  // User sessions.
  const login = (userId: string, extra: Record<string, unknown> = {}, args: Record<string, unknown> = {}) =>
    client.workflow.signalWithStart(userSessionWorkflow, {
      workflowId: userSessionWorkflowId(userId),
      taskQueue: TASK_QUEUE,
      args: [{ userId, ...args }],
      signal: userLoggedInSignal,
      signalArgs: [{ userId, ...extra }],
    });
  const session = (userId: string) => client.workflow.getHandle(userSessionWorkflowId(userId));
  const sessionStatus = (userId: string) => session(userId).query(userSessionStatusQuery);
  const preloadsDone = (userId: string, n: number) =>
    waitUntil(`${n} preloads of ${userId}`, async () => {
      const s = await sessionStatus(userId);
      return s.preloads >= n && s.state === 'idle';
    });

  scenario(userSessionWorkflowId('alice'), 'session: login, preload child, idle close');
  await login('alice');
  scenario(userSessionWorkflowId('bob'), 'session: a storm of 6 logins coalesced into one or two preloads');
  await Promise.all(Array.from({ length: 6 }, () => login('bob')));
  scenario(userSessionWorkflowId('carol'), 'session: login, a second login skipped (recent), a forced one preloaded');
  await login('carol');
  await preloadsDone('carol', 1);
  await login('carol');
  await waitUntil('carol skipped', async () => (await sessionStatus('carol')).skipped >= 1);
  await login('carol', { force: true });
  await preloadsDone('carol', 2);
  scenario(userSessionWorkflowId('dave'), 'session: login without forms, then one with forms (not skipped)');
  await login('dave', { preloadForms: false });
  await preloadsDone('dave', 1);
  await login('dave', { preloadForms: true });
  await preloadsDone('dave', 2);
  scenario(userSessionWorkflowId('erin'), 'session: malformed userLoggedIn payloads dropped, then a good login');
  await login('erin', { userId: 'mallory' });
  await session('erin').signal('userLoggedIn', { userId: 'erin', force: 'yes' });
  await session('erin').signal('userLoggedIn', 'garbage');
  await session('erin').signal(userLoggedInSignal, { userId: 'erin' });
  await preloadsDone('erin', 1);
  scenario(userSessionWorkflowId('frank'), 'session: forced logins with historyEventsLimit 20: continue-as-new');
  for (let i = 0; i < 4; i++) {
    await login('frank', { force: true }, { historyEventsLimit: 20 });
    await waitUntil(`frank preload ${i + 1}`, async () => {
      const s = await sessionStatus('frank');
      return s.generation > 0 || (s.preloads >= i + 1 && s.state === 'idle');
    });
  }
  await waitUntil('frank to continue as new', async () => (await sessionStatus('frank')).generation >= 1);

  // A re-applied config takes effect at the next login: navigation now fails (404).
  scenario(userSessionWorkflowId('grace'), 'session: a preload with a failing source (navigation 404)');
  const remaining = { ...config, tasks: config.tasks?.filter((task) => task.taskId !== 'removed') };
  await warming.apply({ ...remaining, userPreload: preload('/users/{userId}/nowhere') });
  await login('grace');
  await preloadsDone('grace', 1);
  await warming.apply(remaining);

  // Login shards (release 0.2): many users' logins per shard workflow.
  const shardLogin = (userId: string, extra: Record<string, unknown> = {}) =>
    notifyUserLoggedIn(client, userId, { taskQueue: TASK_QUEUE, shards: 2, ...extra });
  const shardStatus = (userId: string) => userPreloadStatus(client, userId, { taskQueue: TASK_QUEUE, shards: 2 });
  const shardPreloads = (userId: string, n: number) =>
    waitUntil(`${n} shard preloads of ${userId}`, async () => {
      const s = await shardStatus(userId);
      return (s?.preloads ?? 0) >= n && s?.state === 'idle';
    });
  for (const shard of [0, 1]) {
    scenario(
      userLoginsWorkflowId(TASK_QUEUE, shard),
      'login shard: logins of several users, a storm, a skip, a forced login, one without forms, malformed payloads, a re-applied skip window (preloadSettings); from 0.3.0 user ids of 250 ASCII and 200 CJK characters (bounded child ids)',
    );
  }
  await Promise.all(['hana', 'ivan', 'judy', 'kyle'].map((userId) => shardLogin(userId)));
  await Promise.all(Array.from({ length: 6 }, () => shardLogin('liam')));
  for (const userId of ['hana', 'ivan', 'judy', 'kyle', 'liam']) await shardPreloads(userId, 1);
  await shardLogin('hana');
  await waitUntil('hana skipped', async () => ((await shardStatus('hana'))?.skipped ?? 0) >= 1);
  await shardLogin('hana', { force: true });
  await shardPreloads('hana', 2);
  await shardLogin('mona', { preloadForms: false });
  await shardPreloads('mona', 1);
  await shardLogin('mona');
  await shardPreloads('mona', 2);
  // Ids the login API accepts but that do not fit a child id whole: cut, with a digest.
  for (const userId of ['l'.repeat(250), '界'.repeat(200)]) {
    await shardLogin(userId);
    await shardPreloads(userId, 1);
  }
  for (const shard of [0, 1]) {
    const handle = client.workflow.getHandle(userLoginsWorkflowId(TASK_QUEUE, shard));
    await handle.signal('userLoggedIn', 'garbage');
    await handle.signal('userLoggedIn', { userId: 'nina', force: 'yes' });
  }
  await warming.apply(remaining);
  scenario(
    userLoginsWorkflowId(TASK_QUEUE, 9),
    'login shard: forced logins with historyEventsLimit 30: continue-as-new carrying users',
  );
  for (let i = 0; i < 5; i++) {
    await client.workflow.signalWithStart(userLoginsWorkflow, {
      workflowId: userLoginsWorkflowId(TASK_QUEUE, 9),
      taskQueue: TASK_QUEUE,
      args: [{ historyEventsLimit: 30 }],
      signal: userLoggedInSignal,
      signalArgs: [{ userId: `otto-${i % 2}`, force: true }],
    });
    await sleep(400);
  }
  await waitUntil(
    'the shard to continue as new',
    async () =>
      (await client.workflow.getHandle(userLoginsWorkflowId(TASK_QUEUE, 9)).query(userLoginsStatusQuery)).generation >=
      1,
    60_000,
  );
  await waitUntil('the moved task on the critical queue', async () => {
    const description = await client.workflow.getHandle(taskWorkflowId('moved')).describe();
    return description.taskQueue === `${TASK_QUEUE}-critical`;
  });

  // Sessions close themselves when idle; wait for the ones that should have.
  for (const userId of ['alice', 'bob', 'carol', 'dave', 'erin', 'grace']) {
    await waitUntil(
      `${userId}'s session to close`,
      async () => (await session(userId).describe()).status.name === 'COMPLETED',
      60_000,
    );
  }
  // Let the continue-as-new chains and schedules settle to a quiet point.
  await waitUntil(
    'the continued task to continue as new twice',
    async () => {
      const s = await status('continued');
      return s.generation >= 2;
    },
    60_000,
  );
  // A cycle over an unreadable config fails and is recorded; the optimiser goes on.
  const configKey = `${PREFIX}config`;
  const appliedText = (await redis.get(configKey)) as string;
  await redis.set(configKey, '{"tasks": 42}');
  await optimizer.executeUpdate(runCycleUpdate).then(
    () => {
      throw new Error('a cycle over an unreadable config succeeded');
    },
    () => undefined,
  );
  await redis.set(configKey, appliedText);
  await optimizer.executeUpdate(runCycleUpdate);
  await client.workflow.getHandle(taskWorkflowId('continued')).signal(pauseSignal);
  await optimizer.signal(pauseSignal);
  await continued.signal(pauseSignal);
  await sleep(1_000);
  await recordTaskCounters(client);
}

/**
 * Each task workflow's own counters, asked after everything has settled and while the worker still
 * runs (a query needs one); no warm follows, as the worker stops next.
 */
async function recordTaskCounters(client: Client): Promise<void> {
  for await (const execution of client.workflow.list({ query: allTasksQuery() })) {
    if (execution.status.name === 'CONTINUED_AS_NEW' || taskCounters.has(execution.workflowId)) continue;
    const status = await client.workflow
      .getHandle<typeof warmTaskWorkflow>(execution.workflowId, execution.runId)
      .query(statusQuery);
    taskCounters.set(execution.workflowId, { warmCount: status.warmCount, failureCount: status.failureCount });
  }
}

/** Every execution in the namespace, each run of a chain on its own, as history JSON files. */
async function saveHistories(client: Client, outDir: string): Promise<ReplayFixture[]> {
  if (existsSync(outDir)) rmSync(outDir, { recursive: true });
  mkdirSync(outDir, { recursive: true });
  const executions: { workflowId: string; runId: string; type: string; status: string; startMs: number }[] = [];
  for await (const execution of client.workflow.list()) {
    executions.push({
      workflowId: execution.workflowId,
      runId: execution.runId,
      type: execution.type,
      status: execution.status.name,
      startMs: execution.startTime.getTime(),
    });
  }
  executions.sort((a, b) => a.workflowId.localeCompare(b.workflowId) || a.startMs - b.startMs);
  const fixtures: ReplayFixture[] = [];
  const runsSeen = new Map<string, number>();
  for (const execution of executions) {
    const runIndex = runsSeen.get(execution.workflowId) ?? 0;
    runsSeen.set(execution.workflowId, runIndex + 1);
    const handle: WorkflowHandle = client.workflow.getHandle(execution.workflowId, execution.runId);
    const history = await handle.fetchHistory();
    const dir = join(outDir, execution.type);
    mkdirSync(dir, { recursive: true });
    // A file name holds 255 bytes: a long workflow id (a long user's preload) is cut, with a digest.
    const name = `${boundedId('', execution.workflowId.replace(/[^\w.-]+/g, '_'), '', 160)}.run${runIndex}.json`;
    writeFileSync(join(dir, name), `${historyToJSON(history)}\n`);
    const counters = execution.status !== 'CONTINUED_AS_NEW' ? taskCounters.get(execution.workflowId) : undefined;
    fixtures.push({
      file: `${execution.type}/${name}`,
      workflowType: execution.type,
      workflowId: execution.workflowId,
      runId: execution.runId,
      status: execution.status,
      events: history.events?.length ?? 0,
      ...(counters ? { taskCounters: counters } : {}),
    });
  }
  return fixtures;
}

/**
 * Replays every saved history on the code that made it and marks the ones that fail: such a
 * history shows a bug of this release (its workflows wedge on any replay), not a later change.
 */
async function replayOnOwnCode(outDir: string, fixtures: ReplayFixture[]): Promise<void> {
  const byRunId = new Map(fixtures.map((fixture) => [fixture.runId, fixture]));
  const histories = fixtures.map((fixture) => ({
    workflowId: fixture.workflowId,
    history: historyFromJSON(JSON.parse(readFileSync(join(outDir, fixture.file), 'utf8'))),
  }));
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: await buildWorkflowBundle(), dataConverter: { payloadConverterPath: PAYLOAD_CONVERTER_PATH } },
    histories,
  )) {
    const fixture = byRunId.get(result.runId);
    if (result.error && fixture) {
      fixture.failsOnOwnCode = nondeterminismSignature(result.error.message);
      say(`${fixture.file} does not replay on its own code: ${fixture.failsOnOwnCode}`);
    }
  }
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await sleep(100);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function temporalCliVersion(): string {
  try {
    return execFileSync(temporalCliPath(), ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function say(line: string): void {
  process.stderr.write(`capture-histories: ${line}\n`);
}

if (require.main === module) {
  run().catch((err: unknown) => {
    console.error(`capture-histories: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
