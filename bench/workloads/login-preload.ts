// login-to-preloaded and the login cost rows: a sustained login rate, each login sent as the auth
// service sends it (notifyUserLoggedIn), timed until every key the preload writes (session,
// navigation, 5 most recent forms) is in Redis; against the same loaders and Redis writes called
// directly from the process (no Temporal), and against floor shapes: bare Temporal chains with the
// same loads and no product logic (bench/floors), on a worker process of their own. Arrival times
// come from Redis keyspace events, the same way for every path. A phase's CPU and history events
// are counted until every workflow it started has closed, so a login's whole cost is in them.
import type { Client } from '@temporalio/client';
import { Redis } from 'ioredis';
import { crc32 } from 'node:zlib';
import { DEFAULT_LOGIN_SHARDS, notifyUserLoggedIn } from '../../client/notify-user-logged-in';
import { createWarmingClient } from '../../client/warming-client';
import { resolveLimits } from '../../activities/limits';
import { RedisCacheStore } from '../../store/redis-cache-store';
import { redisKeys } from '../../store/redis-keys';
import { parseWarmingConfig } from '../../core/config-schema';
import { directPreloader, loginOriginUrls } from '../direct-preload';
import { createRedis } from '../../config/redis-connection';
import { ArrivalTracker } from '../arrival-tracker';
import type { BenchContext } from '../bench-context';
import { CpuMeter, type ChildHandle } from '../bench-stack';
import { makeRow, type BenchRow } from '../bench-report';
import { expectedFormIds } from '../bench-values';
import { round, percentile, summarize } from '../stats';

/** Bare Temporal chains a login can take (bench/floors/floor-workflows.ts). */
export const FLOOR_SHAPES = [
  'session-activity',
  'session-local',
  'shard-local',
  'shard-activity',
  'single-local',
] as const;
export type FloorShape = (typeof FLOOR_SHAPES)[number];

/** The floor of the shape the product's login takes today: its ratio row compares against it. */
export const PRODUCT_LOGIN_SHAPE: FloorShape = 'shard-local';

export interface LoginPreloadOptions {
  loginsPerSecond: number;
  /** Length of one measured phase, per path. */
  seconds: number;
  repeats: number;
  /** Origin latency of each source, in ms. */
  latencyMs: { session: number; navigation: number; formsList: number; form: number };
  /** Floor shapes measured beside the product; the product's own shape is always among them. */
  floors: readonly FloorShape[];
}

const FORMS_MAX = 5;
const TTL_SECONDS = 1800;
/** How long after the last login of a phase a preload may still complete before it counts as lost. */
const DRAIN_MS = 30_000;
/** How long a phase's workflows may take to close after its last preload. */
const CLOSE_MS = 60_000;
/** Shards of the floor's shard shape: BENCH_FLOOR_SHARDS, default the product's (DEFAULT_LOGIN_SHARDS). */
const FLOOR_SHARDS = Number(process.env.BENCH_FLOOR_SHARDS ?? DEFAULT_LOGIN_SHARDS);

/** One way a login reaches Redis, and what it is measured by. */
interface LoginPath {
  name: 'system' | 'direct' | `floor-${FloorShape}`;
  send(userId: string): Promise<void>;
  /** Processes whose CPU is this path's. */
  pids: Record<string, number>;
  /** The task queue its workflows run on; none for the direct path. */
  taskQueue?: string;
  /** Workflows that outlive a phase (shards): counted by how much their history grew. */
  longRunning?(workflowId: string): boolean;
}

interface PathResult {
  p50: number[];
  p99: number[];
  lost: number;
  errors: number;
  logins: number;
  /** CPU ms per login of each process, per phase. */
  cpuMsPerLogin: Record<string, number>[];
  /** History events per login, per phase. */
  eventsPerLogin: number[];
  /** Workflows still open CLOSE_MS after a phase (other than long-running ones). */
  unclosed: number;
}

export async function runLoginPreload(ctx: BenchContext, options: LoginPreloadOptions): Promise<BenchRow[]> {
  const { stack, client, redis } = ctx;
  const lat = options.latencyMs;
  const urls = loginOriginUrls(stack.originUrl, lat);
  const userPreload = {
    session: { loader: { type: 'http', url: urls.session }, key: 'user:{userId}:session', ttlSeconds: TTL_SECONDS },
    navigation: {
      loader: { type: 'http', url: urls.navigation },
      key: 'user:{userId}:navigation',
      ttlSeconds: TTL_SECONDS,
    },
    forms: {
      list: { type: 'http', url: urls.formsList },
      item: { type: 'http', url: urls.form },
      key: 'form:{formId}',
      max: FORMS_MAX,
      ttlSeconds: TTL_SECONDS,
    },
    // Every login is a new user, so no login is skipped; sessions close soon after their preload,
    // inside the measurement, so their close is part of a login's cost.
    skipIfWarmedWithinMinutes: 0,
    idleMinutes: 0.1,
  };
  const config = parseWarmingConfig({ userPreload });
  const preload = config.userPreload;
  if (!preload?.session || !preload.navigation || !preload.forms) throw new Error('bench userPreload did not parse');
  const warming = await createWarmingClient({ client, redis, taskQueue: stack.taskQueue });
  await warming.apply(config);

  // The direct path: the product's loaders and Redis writes, in this process, same limits.
  const limits = resolveLimits({
    originConcurrency: ctx.limits.originConcurrency,
    originRatePerSecond: ctx.limits.originRatePerSecond,
  });
  const storeRedis = createRedis({ url: stack.redis.url });
  const store = new RedisCacheStore(storeRedis, redisKeys());
  const directLoads = directPreloader(store, preload, limits);
  const directPreload = (userId: string) => directLoads.preload(userId);

  const floorShapes = [...new Set<FloorShape>([PRODUCT_LOGIN_SHAPE, ...options.floors])];
  const floorQueue = `${stack.taskQueue}-floor`;
  const floorWorker: ChildHandle | undefined =
    floorShapes.length > 0 ? await stack.startFloorWorker(floorQueue, urls) : undefined;

  const temporalPids = {
    worker: ctx.workerPid,
    temporal: stack.temporal.pid,
    redis: stack.redis.pid,
    origin: stack.originPid,
  };
  const paths: LoginPath[] = [
    {
      name: 'system',
      send: async (userId) => {
        await notifyUserLoggedIn(client, userId, { taskQueue: stack.taskQueue });
      },
      pids: temporalPids,
      taskQueue: stack.taskQueue,
      longRunning: (workflowId) => workflowId.startsWith('user-logins:'),
    },
    {
      name: 'direct',
      send: directPreload,
      pids: { bench: process.pid, redis: stack.redis.pid, origin: stack.originPid },
    },
    ...floorShapes.map((shape): LoginPath => ({
      name: `floor-${shape}`,
      send: floorSender(client, floorQueue, shape),
      pids: { ...temporalPids, worker: floorWorker?.pid ?? ctx.workerPid },
      taskQueue: floorQueue,
      longRunning: (workflowId) => workflowId.startsWith('floor-shard'),
    })),
  ];

  // Arrival of every written key, from Redis itself.
  await redis.config('SET', 'notify-keyspace-events', 'E$');
  const subscriber = new Redis(stack.redis.url);
  const tracker = new ArrivalTracker();
  subscriber.on('message', (_channel: string, key: string) => tracker.arrived(key, performance.now()));
  await subscriber.subscribe('__keyevent@0__:set');

  const expectedKeys = (userId: string) => [
    `user:${userId}:session`,
    `user:${userId}:navigation`,
    ...expectedFormIds(userId, FORMS_MAX).map((formId) => `form:${formId}`),
  ];
  const results = new Map<LoginPath['name'], PathResult>(
    paths.map((path) => [
      path.name,
      { p50: [], p99: [], lost: 0, errors: 0, logins: 0, cpuMsPerLogin: [], eventsPerLogin: [], unclosed: 0 },
    ]),
  );
  let phase = 0;

  /** Sends logins at a fixed rate, open loop (a slow preload never delays the next login), then waits it out. */
  const drive = async (path: LoginPath, count: number, record: boolean) => {
    const run = `${path.name}-${phase++}-${Date.now().toString(36)}`;
    const ids: string[] = [];
    const sends: Promise<void>[] = [];
    let errors = 0;
    const intervalMs = 1000 / options.loginsPerSecond;
    const before = path.taskQueue ? await historyLengths(client, path.taskQueue, path.longRunning) : undefined;
    const phaseStartMs = Date.now() - 50;
    const cpu = new CpuMeter(path.pids);
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const due = start + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      const userId = `bench-${run}-${i}`;
      ids.push(userId);
      tracker.expect(userId, expectedKeys(userId), performance.now());
      sends.push(
        path.send(userId).catch((err: unknown) => {
          errors++;
          ctx.log(`login ${userId} (${path.name}) failed: ${err instanceof Error ? err.message : String(err)}`);
        }),
      );
    }
    await Promise.all(sends);
    await tracker.whenComplete(ids, DRAIN_MS);
    const unclosed = path.taskQueue ? await untilClosed(client, path.taskQueue, phaseStartMs, path.longRunning) : 0;
    const used = cpu.used();
    if (!record) return;
    const result = results.get(path.name) as PathResult;
    result.cpuMsPerLogin.push(
      Object.fromEntries(Object.entries(used).map(([name, seconds]) => [name, (seconds * 1000) / count])),
    );
    if (path.taskQueue && before) {
      const events = await eventsSince(client, path.taskQueue, phaseStartMs, before);
      result.eventsPerLogin.push(events / count);
    }
    const latencies = tracker.latencies(ids);
    result.logins += count;
    result.errors += errors;
    result.unclosed += unclosed;
    result.lost += tracker.incomplete(ids).length;
    if (latencies.length > 0) {
      result.p50.push(percentile(latencies, 50));
      result.p99.push(percentile(latencies, 99));
    }
  };

  const perPhase = Math.round(options.loginsPerSecond * options.seconds);
  try {
    // Untimed: the first workflows, connections, JIT.
    for (const path of paths) await drive(path, 10, false);
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      // Alternate the order so drift on a shared machine hits every path alike.
      const order = repeat % 2 === 0 ? paths : [...paths].reverse();
      for (const path of order) await drive(path, perPhase, true);
    }
  } finally {
    await subscriber.quit().catch(() => undefined);
    await redis.config('SET', 'notify-keyspace-events', '');
    storeRedis.disconnect();
    await directLoads.stop();
    await warming.close();
    await floorWorker?.stop();
  }

  const get = (name: LoginPath['name']) => results.get(name) as PathResult;
  const system = get('system');
  const direct = get('direct');
  const productFloor = get(`floor-${PRODUCT_LOGIN_SHAPE}`);
  for (const path of paths) {
    const r = get(path.name);
    ctx.log(
      `login ${path.name}: p50 ${r.p50.map(Math.round).join('/')} p99 ${r.p99.map(Math.round).join('/')} ms, lost ${r.lost}` +
        (r.eventsPerLogin.length ? `, ${r.eventsPerLogin.map((e) => round(e, 3)).join('/')} events/login` : '') +
        `, cpu ms/login ${r.cpuMsPerLogin.map((c) => round(temporalCpu(c), 3)).join('/')}`,
    );
  }
  if (system.p50.length === 0 || direct.p50.length === 0) throw new Error('no login completed');

  const floors = Object.fromEntries(
    floorShapes.map((shape) => {
      const r = get(`floor-${shape}`);
      return [
        shape,
        {
          p50Ms: r.p50.map(Math.round),
          p99Ms: r.p99.map(Math.round),
          lost: r.lost,
          eventsPerLogin: r.eventsPerLogin.map((e) => round(e, 3)),
          cpuMsPerLogin: r.cpuMsPerLogin.map(roundCpu),
        },
      ];
    }),
  );
  const params = {
    loginsPerSecond: options.loginsPerSecond,
    secondsPerPhase: options.seconds,
    repeats: options.repeats,
    logins: system.logins,
    lostLogins: system.lost,
    signalErrors: system.errors,
    unclosedWorkflows: system.unclosed,
    baselineLogins: direct.logins,
    baselineLostLogins: direct.lost,
    keysPerLogin: 2 + FORMS_MAX,
    originLatencyMs: lat,
    loadersCriticalPathMs: Math.max(lat.session, lat.navigation, lat.formsList + lat.form),
    originConcurrency: ctx.limits.originConcurrency,
    workerMaxActivities: ctx.limits.maxActivities,
    historyEventsPerLogin: system.eventsPerLogin.map((e) => round(e, 3)),
    cpuMsPerLogin: system.cpuMsPerLogin.map(roundCpu),
    baselineCpuMsPerLogin: direct.cpuMsPerLogin.map(roundCpu),
    productShape: PRODUCT_LOGIN_SHAPE,
    floors,
    lostMeans: `all ${2 + FORMS_MAX} keys not in Redis ${DRAIN_MS / 1000} s after the phase's last login`,
    costMeans:
      'CPU and history events from the phase start until every workflow it started has closed, divided by its logins',
  };
  const workload =
    `${options.loginsPerSecond} logins/s for ${options.seconds} s per phase, each a new user; ` +
    `time from the login call until session, navigation and the ${FORMS_MAX} most recent forms are all in Redis`;
  const common = { temporalPersistence: ctx.persistence, params };
  const directBaseline = 'the same loaders and Redis writes called directly (no Temporal)';
  const floorBaseline = (shape: FloorShape) => `floor: the bare ${shape} chain with the same loads (bench/floors)`;
  const rows: BenchRow[] = [
    makeRow({
      ...common,
      name: 'login-to-preloaded-p50',
      unit: 'ms',
      better: 'lower',
      baseline: directBaseline,
      value: summarize(system.p50),
      baselineValue: summarize(direct.p50),
      workload: `${workload}; median per phase`,
    }),
    makeRow({
      ...common,
      name: 'login-to-preloaded-p99',
      unit: 'ms',
      better: 'lower',
      baseline: directBaseline,
      value: summarize(system.p99),
      baselineValue: summarize(direct.p99),
      workload: `${workload}; 99th percentile per phase`,
      target: { op: '<=', value: 250, of: 'difference' },
    }),
  ];
  if (productFloor.p99.length > 0) {
    rows.push(
      makeRow({
        ...common,
        name: 'login-to-preloaded-p99-vs-floor',
        unit: 'ms',
        better: 'lower',
        baseline: floorBaseline(PRODUCT_LOGIN_SHAPE),
        value: summarize(system.p99),
        baselineValue: summarize(productFloor.p99),
        workload: `${workload}; 99th percentile per phase, against the floor of the product's shape`,
        target: { op: '<=', value: 1.2 },
      }),
    );
  }
  if (system.eventsPerLogin.length > 0) {
    rows.push(
      makeRow({
        ...common,
        name: 'login-history-events',
        unit: 'events',
        better: 'lower',
        baseline: floorBaseline(PRODUCT_LOGIN_SHAPE),
        value: summarize(system.eventsPerLogin),
        baselineValue: productFloor.eventsPerLogin.length ? summarize(productFloor.eventsPerLogin) : null,
        workload: `${workload}; Temporal history events per login, every workflow the login started, to its close`,
        target: { op: '<=', value: 15, of: 'value' },
      }),
      makeRow({
        ...common,
        name: 'login-cpu-ms',
        unit: 'ms',
        better: 'lower',
        baseline: floorBaseline(PRODUCT_LOGIN_SHAPE),
        value: summarize(system.cpuMsPerLogin.map(temporalCpu)),
        baselineValue: productFloor.cpuMsPerLogin.length
          ? summarize(productFloor.cpuMsPerLogin.map(temporalCpu))
          : null,
        workload: `${workload}; CPU of the worker and the Temporal server per login (params.cpuMsPerLogin splits it)`,
      }),
    );
  }
  for (const shape of floorShapes) {
    const r = get(`floor-${shape}`);
    if (r.p99.length === 0) continue;
    rows.push(
      makeRow({
        ...common,
        name: `login-floor-${shape}-p99`,
        unit: 'ms',
        better: 'lower',
        baseline: directBaseline,
        value: summarize(r.p99),
        baselineValue: summarize(direct.p99),
        workload: `${workload}; 99th percentile per phase of the bare ${shape} chain (bench/floors), no product logic`,
      }),
    );
  }
  return rows;
}

/** Worker plus Temporal server CPU, the cost rows' measure. */
function temporalCpu(cpu: Record<string, number>): number {
  return (cpu.worker ?? 0) + (cpu.temporal ?? 0);
}

function roundCpu(cpu: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(cpu).map(([name, ms]) => [name, round(ms, 3)]));
}

/** How a floor shape's login is sent: the same kind of call the auth service makes. */
function floorSender(client: Client, taskQueue: string, shape: FloorShape): (userId: string) => Promise<void> {
  const local = shape.endsWith('-local');
  if (shape.startsWith('session')) {
    return async (userId) => {
      await client.workflow.signalWithStart('floorSessionWorkflow', {
        workflowId: `floor-session-${shape}:${userId}`,
        taskQueue,
        args: [{ userId, local }],
        signal: 'floorLogin',
        signalArgs: [{ userId }],
      });
    };
  }
  if (shape.startsWith('shard')) {
    return async (userId) => {
      await client.workflow.signalWithStart('floorShardWorkflow', {
        workflowId: `floor-shard-${shape}:${crc32(userId) % FLOOR_SHARDS}`,
        taskQueue,
        args: [{ local }],
        signal: 'floorLogin',
        signalArgs: [{ userId }],
      });
    };
  }
  return async (userId) => {
    await client.workflow.start('floorPreloadWorkflow', {
      workflowId: `floor-single:${userId}`,
      taskQueue,
      args: [{ userId, local }],
    });
  };
}

/** History length of every running long-lived workflow on the queue, by run id. */
async function historyLengths(
  client: Client,
  taskQueue: string,
  longRunning: ((workflowId: string) => boolean) | undefined,
): Promise<Map<string, { workflowId: string; length: number }>> {
  const lengths = new Map<string, { workflowId: string; length: number }>();
  if (!longRunning) return lengths;
  for await (const execution of client.workflow.list({
    query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
  })) {
    if (!longRunning(execution.workflowId)) continue;
    const description = await client.workflow.getHandle(execution.workflowId, execution.runId).describe();
    lengths.set(execution.runId, { workflowId: execution.workflowId, length: description.historyLength });
  }
  return lengths;
}

/** Waits until every workflow started on the queue since `sinceMs` has closed (long-running ones aside); returns how many did not. */
async function untilClosed(
  client: Client,
  taskQueue: string,
  sinceMs: number,
  longRunning: ((workflowId: string) => boolean) | undefined,
): Promise<number> {
  const deadline = Date.now() + CLOSE_MS;
  for (;;) {
    let open = 0;
    for await (const execution of client.workflow.list({
      query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running' AND StartTime >= '${new Date(sinceMs).toISOString()}'`,
    })) {
      if (!longRunning?.(execution.workflowId)) open++;
    }
    if (open === 0 || Date.now() > deadline) return open;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * History events the phase added on the queue: every run started since `sinceMs` whole, plus how
 * much each long-running run open before it grew.
 */
async function eventsSince(
  client: Client,
  taskQueue: string,
  sinceMs: number,
  before: Map<string, { workflowId: string; length: number }>,
): Promise<number> {
  let events = 0;
  for await (const execution of client.workflow.list({
    query: `TaskQueue = '${taskQueue}' AND StartTime >= '${new Date(sinceMs).toISOString()}'`,
  })) {
    if (before.has(execution.runId)) continue;
    const running = execution.status.name === 'RUNNING';
    events += running
      ? (await client.workflow.getHandle(execution.workflowId, execution.runId).describe()).historyLength
      : execution.historyLength;
  }
  for (const [runId, { workflowId, length }] of before) {
    const now = (await client.workflow.getHandle(workflowId, runId).describe()).historyLength;
    events += now - length;
  }
  return events;
}
