// createWorker: the composition root. Builds the connections it is not given, the activities
// with their dependencies, and two Temporal workers: one for the main queue (workflows and
// normal warms) and one with reserved slots for critical warms.
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/create-activities';
import { HttpLoaderClient } from '../activities/http-loader-client';
import { resolveLimits } from '../activities/limits';
import { OriginLimiter } from '../activities/origin-limiter';
import { RedisCacheStore } from '../store/redis-cache-store';
import { redisKeys } from '../store/redis-keys';
import { RedisOriginBudget } from '../store/origin-budget';
import { errorMessage } from '../core/one-line';
import { checkEvictionPolicy } from '../store/eviction-policy';
import { RedisUsageTracker } from '../store/usage-tracker';
import { resolveLoaderSecurity } from '../core/loader-security';
import { criticalTaskQueue } from '../core/workflow-ids';
import { readEnvironment, temporalConnectOptions } from '../config/environment';
import { hasCriticalWork } from './critical-work';
import { createRedis } from '../config/redis-connection';
import { buildWorkflowBundle, PAYLOAD_CONVERTER_PATH, prebuiltWorkflowBundle } from './workflow-bundle';
import { workerTracing } from '../tracing/worker-tracing';
import { defaultMaxCachedWorkflows, splitWorkflowCache } from './workflow-cache-size';
import { DEFAULT_SHUTDOWN_GRACE_TIME, type CreateWorkerOptions, type WarmingWorker } from './worker-options';

export { PAYLOAD_CONVERTER_PATH } from './workflow-bundle';
export {
  CACHED_WORKFLOW_KIB,
  defaultMaxCachedWorkflows,
  MAX_DEFAULT_CACHED_WORKFLOWS,
  splitWorkflowCache,
} from './workflow-cache-size';
export {
  DEFAULT_SHUTDOWN_GRACE_TIME,
  type CreateWorkerOptions,
  type WarmingWorker,
  type WarmingWorkerHealth,
} from './worker-options';

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
