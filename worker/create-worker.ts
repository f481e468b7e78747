// createWorker: the composition root. Builds the connections it is not given, the activities
// with their dependencies, and two Temporal workers: one for the main queue (workflows and
// normal warms) and one with reserved slots for critical warms.
import { NativeConnection, Runtime, Worker, type State, type WorkerOptions } from '@temporalio/worker';
import type { Cluster, Redis } from 'ioredis';
import { getHeapStatistics } from 'node:v8';
import { createActivities } from '../activities/create-activities';
import { HttpLoaderClient } from '../activities/http-loader-client';
import { resolveLimits, type WarmingLimits } from '../activities/limits';
import type { LoaderRegistry } from '../activities/loaders';
import { OriginLimiter } from '../activities/origin-limiter';
import { RedisCacheStore } from '../store/redis-cache-store';
import { redisKeys } from '../store/redis-keys';
import { RedisOriginBudget } from '../store/origin-budget';
import { errorMessage } from '../core/one-line';
import { checkEvictionPolicy } from '../store/eviction-policy';
import { RedisUsageTracker } from '../store/usage-tracker';
import { resolveLoaderSecurity, type LoaderSecurity } from '../core/loader-security';
import { criticalTaskQueue } from '../core/workflow-ids';
import {
  readEnvironment,
  temporalConnectOptions,
  type CriticalQueueMode,
  type OriginBudgetMode,
  type WorkerDeployment,
} from '../config/environment';
import { hasCriticalWork } from './critical-work';
import { createRedis } from '../config/redis-connection';
import { buildWorkflowBundle, PAYLOAD_CONVERTER_PATH, prebuiltWorkflowBundle } from './workflow-bundle';
import { workerTracing } from '../tracing/worker-tracing';

export { PAYLOAD_CONVERTER_PATH } from './workflow-bundle';

/**
 * Worker RSS budgeted per cached task workflow: with 10 000 tasks the bench's worker peaked at
 * 2.6-3.1 GiB over 250 MiB idle on 2026-11-30 (240-290 KiB each, V8 collecting late under a 4 GiB
 * heap), and at 4.1 GiB over 281 MiB on 2026-12-02 (399 KiB each; docs/PERFORMANCE.md).
 */
export const CACHED_WORKFLOW_KIB = 400;
/** What the heap-derived cache leaves for the worker itself (its idle RSS is about 260 MiB). */
const WORKER_BASE_MIB = 256;

/**
 * The process's sticky cache when nothing else says, sized from the memory it was given:
 * one workflow per 400 KiB of V8 heap limit beyond 256 MiB (set by `--max-old-space-size`, e.g. in
 * NODE_OPTIONS, plus V8's young generation). A cached task workflow holds 240-400 KiB of worker RSS
 * (the JS heap of its execution context and Temporal Core's native state), so a full cache keeps
 * RSS near the heap limit plus the worker's base: 4 710 workflows at the Kubernetes manifest's
 * `--max-old-space-size=2048` (a 2 096 MiB limit on Node 20), about 9 950 at Node's default on a
 * 24 GiB machine. Beyond it a task workflow is evicted and replays
 * its history at its next warm; give the worker more memory, or set `maxCachedWorkflows`, to keep
 * every task.
 * @param heapLimitMiB the V8 heap limit in MiB
 * @default the running process's heap limit
 * @returns at least 100
 */
export function defaultMaxCachedWorkflows(heapLimitMiB = getHeapStatistics().heap_size_limit / 2 ** 20): number {
  return Math.max(100, Math.floor(((heapLimitMiB - WORKER_BASE_MIB) * 1024) / CACHED_WORKFLOW_KIB));
}

/**
 * How a process's workflow cache is shared by its two workers: an eighth (at least 2) for the
 * critical queue, whose tasks are few by design, the rest for the main queue, so the two together
 * never hold more than the budget. 0 turns caching off for both.
 * @param total workflows the whole process may keep cached
 * @returns the main and the critical worker's caches
 */
export function splitWorkflowCache(total: number): { main: number; critical: number } {
  if (total === 0) return { main: 0, critical: 0 };
  const critical = Math.max(2, Math.floor(total / 8));
  return { main: Math.max(2, total - critical), critical };
}

/** Options of `createWorker`: where it connects, what it may load, and how much it runs at once. */
export interface CreateWorkerOptions {
  /**
   * The Temporal connection (not closed by the worker when passed in).
   * @default a connection built from the environment (TEMPORAL_ADDRESS, TLS, API key, profile)
   */
  connection?: NativeConnection;
  /**
   * The Temporal namespace.
   * @default TEMPORAL_NAMESPACE, else `default`
   */
  namespace?: string;
  /**
   * The main task queue; critical warms use `<taskQueue>-critical`.
   * @default TEMPORAL_TASK_QUEUE, else `cache-warming`
   */
  taskQueue?: string;
  /**
   * The Redis connection (not closed by the worker when passed in).
   * @default a connection of its own, from REDIS_URL and the other REDIS_* settings
   */
  redis?: Redis | Cluster;
  /**
   * Prefix of everything the system keeps in Redis besides values.
   * @default WARMING_PREFIX, else `cw:`
   */
  prefix?: string;
  /**
   * Named custom loaders, for `{ "type": "custom", "name": ... }` in the config.
   * @default none: only the built-in HTTP loader
   */
  loaders?: LoaderRegistry;
  /**
   * Overrides of the per-origin and per-value limits (see `WarmingLimits` for each default).
   * @default the `WarmingLimits` defaults
   */
  limits?: Partial<WarmingLimits>;
  /**
   * Where HTTP loaders may go: an allowlist of hosts, private networks, cross-origin redirects
   * (see `LoaderSecurity` for each default, docs/security.md for the stance). Each field given
   * beats its environment variable.
   * @default WARMING_LOADER_HOSTS, WARMING_LOADER_PRIVATE_NETWORKS and
   * WARMING_LOADER_CROSS_ORIGIN_REDIRECTS, else the `LoaderSecurity` defaults
   */
  loaderSecurity?: Partial<LoaderSecurity>;
  /**
   * Concurrent activity tasks on the main queue: bulk batches, and warms of release-0.1 task
   * workflows. Warms and preloads run as local activities (the SDK's 100 slots), their loads bounded
   * by the per-origin caps.
   * @default 20
   */
  maxConcurrentActivities?: number;
  /**
   * Workflows the process keeps in memory between their tasks (the sticky cache), 240-400 KiB of
   * RSS each: the main queue's worker holds seven eighths, the critical queue's an eighth
   * (`splitWorkflowCache`). A task workflow beyond it is evicted and replayed from its history at
   * its next warm, which costs more CPU the longer the history: keep it above the number of tasks
   * (plus login shards) the process serves, and the memory with it. 0 turns caching off.
   * @default defaultMaxCachedWorkflows(): one per 400 KiB of heap limit beyond 256 MiB
   */
  maxCachedWorkflows?: number;
  /**
   * Slots reserved for critical warms, never used by normal ones.
   * @default 10
   */
  criticalMaxConcurrentActivities?: number;
  /**
   * A prebuilt workflow bundle.
   * @default the one `npm run build` wrote (dist/workflow-bundle.js), else the workflows are bundled at start
   */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /**
   * How long shutdown waits for in-flight warms (a duration string or milliseconds).
   * @default '30s'
   */
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
  /**
   * The Worker Deployment Version this worker serves (Worker Versioning): long-running workflows
   * move to the deployment's current version at their next task, preload children and bulk warms
   * finish on the version they started on. See docs/upgrading.md.
   * @default WARMING_DEPLOYMENT + WARMING_BUILD_ID, else unversioned
   */
  deployment?: WorkerDeployment;
  /**
   * When the process polls the critical queue: `on` from the start, with its reserved slots and
   * its share of the workflow cache; `auto` only once the deployment has critical work (a critical
   * task in the applied config, or a workflow running on the critical queue), checked at start and
   * every `criticalCheckIntervalMs` after, for small deployments that have none. Critical tasks'
   * workflows run only on the critical queue, so `auto` never leaves one unwarmed: a task made
   * critical while the worker runs waits at most one check for its first warm.
   * @default WARMING_CRITICAL_QUEUE, else `on`
   */
  criticalQueue?: CriticalQueueMode;
  /**
   * Whose budget each origin's `limits.originConcurrency` and `originRatePerSecond` are: `shared`,
   * every worker of the deployment (same Redis and prefix) together, with critical loads of any
   * worker ahead of normal and bulk loads of all (leases in Redis: a worker that dies holds its
   * share for at most 10 s); `worker`, each process its own, as if alone.
   * @default WARMING_ORIGIN_BUDGET, else `shared`
   */
  originBudget?: OriginBudgetMode;
  /**
   * With `criticalQueue: 'auto'`, how often the process looks for critical work until it finds
   * some (then it polls the critical queue until it stops), in milliseconds.
   * @default 60000
   */
  criticalCheckIntervalMs?: number;
  /**
   * OpenTelemetry tracing (docs/operations.md, "Tracing"): the SDK's interceptors, spans for each
   * load and cache write, and the traced workflow bundle (dist/workflow-bundle-traced.js, or
   * `workflowBundle` when given, which must then be built with the tracing interceptors). `false`
   * installs nothing; `true` exports to the OTEL_* endpoint, else http://localhost:4318.
   * @default on when the OTEL_* variables ask for traces (OTEL_TRACES_EXPORTER=otlp or an OTLP endpoint), else off
   */
  tracing?: boolean;
  /**
   * Extra options for both Temporal workers (tuning, interceptors), spread over the ones above.
   * @default none
   */
  workerOptions?: Partial<WorkerOptions>;
}

/** What the health endpoint reports: each Temporal worker's state and the Redis connection's. */
export interface WarmingWorkerHealth {
  /** `critical` is `NOT_STARTED` while a worker with `criticalQueue: 'auto'` has found no critical work. */
  workers: { main: State; critical: State | 'NOT_STARTED' };
  /** ioredis status: `ready` when connected; `connecting`, `reconnecting`, `end`... otherwise. */
  redis: string;
}

/** How long shutdown waits for in-flight warms by default: terminationGracePeriodSeconds must exceed it. */
export const DEFAULT_SHUTDOWN_GRACE_TIME = '30s';

/** A running cache-warming worker: two Temporal workers (main and critical queue) sharing one Redis. */
export interface WarmingWorker {
  /** The main task queue it polls. */
  readonly taskQueue: string;
  /** The critical task queue it polls, with reserved slots: `<taskQueue>-critical`. */
  readonly criticalTaskQueue: string;
  /** Whether it polls the critical queue now (with `criticalQueue: 'auto'`, once there is critical work). */
  readonly pollsCriticalQueue: boolean;
  /** Whether it traces (the `tracing` option): the SDK's interceptors and the traced workflow bundle. */
  readonly traced: boolean;
  /** The two Temporal workers' states and the Redis connection's, for health checks. */
  health(): WarmingWorkerHealth;
  /** Runs until shutdown (SIGINT/SIGTERM or `shutdown()`), drains, closes what it opened. */
  run(): Promise<void>;
  /** Runs until `until` settles, then shuts down and drains. */
  runUntil<T>(until: Promise<T> | (() => Promise<T>)): Promise<T>;
  /** Starts a graceful shutdown: stop polling, finish in-flight warms within the grace time; `run` then resolves. */
  shutdown(): void;
}

/**
 * A worker for the cache-warming workflows and activities: one Temporal worker on the main task
 * queue and one on the critical queue with reserved slots, sharing one Redis connection and the
 * per-origin limits. Settings not given come from the environment (`TEMPORAL_*`, `REDIS_*`,
 * `WARMING_*`). Call `run()`; it closes what it opened when it stops.
 */
export async function createWorker(options: CreateWorkerOptions = {}): Promise<WarmingWorker> {
  const env = readEnvironment();
  const taskQueue = options.taskQueue ?? env.taskQueue;
  const namespace = options.namespace ?? env.namespace;
  const limits = resolveLimits(options.limits);
  const loaderSecurity = resolveLoaderSecurity(env.loaderSecurity, options.loaderSecurity);
  const maxConcurrentActivities = positive(options.maxConcurrentActivities ?? 20, 'maxConcurrentActivities');
  const maxCachedWorkflows = options.maxCachedWorkflows ?? defaultMaxCachedWorkflows();
  if (!Number.isInteger(maxCachedWorkflows) || maxCachedWorkflows < 0)
    throw new Error(`maxCachedWorkflows must be a whole number, 0 or more (got ${maxCachedWorkflows})`);
  const criticalSlots = positive(options.criticalMaxConcurrentActivities ?? 10, 'criticalMaxConcurrentActivities');
  const criticalQueue = options.criticalQueue ?? env.criticalQueue;
  if (criticalQueue !== 'on' && criticalQueue !== 'auto')
    throw new Error(`criticalQueue must be on or auto (got ${String(criticalQueue)})`);
  const checkIntervalMs = positive(options.criticalCheckIntervalMs ?? 60_000, 'criticalCheckIntervalMs');
  const originBudget = options.originBudget ?? env.originBudget;
  if (originBudget !== 'shared' && originBudget !== 'worker')
    throw new Error(`originBudget must be shared or worker (got ${String(originBudget)})`);
  const keys = redisKeys(options.prefix ?? env.prefix);

  const tracing = await workerTracing(options.tracing);
  const ownsConnection = !options.connection;
  const connection = options.connection ?? (await NativeConnection.connect(temporalConnectOptions().connectionOptions));
  const ownsRedis = !options.redis;
  const redis = options.redis ?? createRedis(env.redis);
  const limiter = new OriginLimiter(
    limits,
    originBudget === 'shared'
      ? {
          budget: new RedisOriginBudget(redis, keys),
          onBudgetError: (err) =>
            Runtime.instance().logger.warn(
              `origin budget in Redis unreachable, loads wait for it: ${errorMessage(err)}`,
            ),
        }
      : {},
  );
  const http = tracing?.httpClient(loaderSecurity) ?? new HttpLoaderClient(loaderSecurity);

  const closeAll = async () => {
    await limiter.stop();
    await http.close();
    if (ownsRedis) redis.disconnect();
    if (ownsConnection) await connection.close();
    await tracing?.flush();
  };

  try {
    const redisStore = new RedisCacheStore(redis, keys);
    const store = tracing?.store(redisStore) ?? redisStore;
    // An allkeys-* eviction policy can drop the applied config: said once, never fatal.
    void checkEvictionPolicy(redis, keys.prefix).then((warning) => {
      if (warning) Runtime.instance().logger.warn(warning);
    });
    const activities = createActivities({
      store,
      loaders: tracing ? tracing.loaders(options.loaders) : options.loaders,
      limits,
      limiter,
      http,
      appliedConfig: { readAppliedConfig: () => redis.get(keys.config()), reservedPrefix: keys.prefix },
      optimizer: { redis, keys, usage: new RedisUsageTracker(redis, keys) },
    });
    const deployment = options.deployment ?? env.deployment;
    const common = {
      connection,
      namespace,
      activities,
      ...(deployment
        ? {
            workerDeploymentOptions: {
              version: { deploymentName: deployment.name, buildId: deployment.buildId },
              useWorkerVersioning: true,
              // Each workflow type declares its own (workflows/versioning.ts); this covers any other.
              defaultVersioningBehavior: 'AUTO_UPGRADE',
            } as const,
          }
        : {}),
      // Undecodable payloads become malformed input for the handlers instead of wedging a workflow.
      dataConverter: { payloadConverterPath: PAYLOAD_CONVERTER_PATH },
      shutdownGraceTime: options.shutdownGraceTime ?? DEFAULT_SHUTDOWN_GRACE_TIME,
      ...(tracing ? tracing.workerOptions(options.workerOptions) : options.workerOptions),
    };
    const traced = tracing !== undefined;
    const workflowBundle =
      options.workflowBundle ?? prebuiltWorkflowBundle(traced) ?? (await buildWorkflowBundle(undefined, traced));
    const cache = splitWorkflowCache(maxCachedWorkflows);
    const main = await Worker.create({
      maxCachedWorkflows: cache.main,
      ...common,
      taskQueue,
      workflowBundle,
      maxConcurrentActivityTaskExecutions: maxConcurrentActivities,
      // Local activities (warms, preloads) keep the SDK's 100 slots: the per-origin limiter bounds their loads.
    });
    // Critical tasks' workflows run here, so their warms (local activities) use these slots.
    const createCritical = () =>
      Worker.create({
        maxCachedWorkflows: cache.critical,
        ...common,
        taskQueue: criticalTaskQueue(taskQueue),
        workflowBundle,
        maxConcurrentActivityTaskExecutions: criticalSlots,
        maxConcurrentLocalActivityExecutions: criticalSlots,
      });
    const sources = { redis, keys, connection, namespace, criticalTaskQueue: criticalTaskQueue(taskQueue) };
    let critical = criticalQueue === 'on' || (await hasCriticalWork(sources)) ? await createCritical() : undefined;

    let stopping = false;
    let wake: (() => void) | undefined;
    /** Until shutdown, looks for critical work every checkIntervalMs; on finding some, serves the critical queue. */
    const watchForCriticalWork = async (): Promise<void> => {
      while (!stopping) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, checkIntervalMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        if (stopping) return;
        let found: boolean;
        try {
          found = await hasCriticalWork(sources);
        } catch (err) {
          // Temporal or Redis away for a moment: the next check asks again.
          Runtime.instance().logger.warn(`cannot check for critical work: ${(err as Error).message}`);
          continue;
        }
        if (!found || stopping) continue;
        critical = await createCritical();
        Runtime.instance().logger.info(`critical work found: polling ${criticalTaskQueue(taskQueue)} too`);
        const running = critical.run();
        if (stopping) shutdown(); // asked while it was being created: it drains at once
        await running;
        return;
      }
    };

    const run = async () => {
      try {
        const mainRun = main.run();
        const criticalRun = critical ? critical.run() : watchForCriticalWork();
        // Either stopping (or failing) stops the other, so neither outlives the connections closed below.
        const results = await Promise.allSettled([mainRun.finally(shutdown), criticalRun.finally(shutdown)]);
        const failed = results.find((result) => result.status === 'rejected');
        if (failed) throw failed.reason;
      } finally {
        await closeAll();
      }
    };
    const shutdown = () => {
      stopping = true;
      wake?.();
      for (const worker of [main, critical]) {
        if (worker?.getState() === 'RUNNING') worker.shutdown();
      }
    };
    return {
      taskQueue,
      criticalTaskQueue: criticalTaskQueue(taskQueue),
      get pollsCriticalQueue() {
        return critical !== undefined;
      },
      traced,
      health: () => ({
        workers: { main: main.getState(), critical: critical?.getState() ?? 'NOT_STARTED' },
        redis: redis.status,
      }),
      run,
      shutdown,
      async runUntil<T>(until: Promise<T> | (() => Promise<T>)): Promise<T> {
        const running = run();
        const stoppedEarly = running.then(() => {
          throw new Error('the worker stopped before the awaited work finished');
        });
        try {
          return await Promise.race([typeof until === 'function' ? until() : until, stoppedEarly]);
        } finally {
          shutdown();
          await running;
        }
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer (got ${value})`);
  return value;
}
