// What `npm run worker` reads from the environment and does with it, exported so a team's own
// entry point (a worker with named loaders, e.g. examples/postgres) gets the same WARMING_* settings.
import { DefaultLogger, Runtime, type RuntimeOptions } from '@temporalio/worker';
import { existsSync, readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { DEFAULT_LIMITS, resolveLimits, type WarmingLimits } from '../activities/limits';
import { parseConfigText } from '../config/config-file';
import { intFromEnv } from '../config/env-values';
import { readEnvironment } from '../config/environment';
import { redact } from '../core/redact';
import { createWorker, defaultMaxCachedWorkflows, type CreateWorkerOptions } from './create-worker';
import { parseListenAddress, startHealthServer } from './health-server';
import { readTracingSettings } from '../config/tracing-settings';
import { runtimeMetricsOptions } from '../tracing/runtime-metrics';
import { shutdownTracing } from '../tracing/start-tracing';
import { HEAP_GROWING_PERCENT, heapGrowthGiven, heapLimitGiven, workflowThreadHeapMiB } from './workflow-cache-size';

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;

/** `createWorker`'s options read from the environment, with every limit resolved to a number. */
export type EnvironmentWorkerOptions = CreateWorkerOptions & { limits: WarmingLimits };

/**
 * The `createWorker` options `npm run worker` reads from the environment, beyond what
 * `createWorker` reads itself (docs/operations.md, "Which entry reads which variable"):
 * `WARMING_MAX_ACTIVITIES`, `WARMING_CRITICAL_MAX_ACTIVITIES`, `WARMING_ORIGIN_CONCURRENCY`,
 * `WARMING_ORIGIN_RATE_PER_SECOND`, `WARMING_MAX_VALUE_BYTES`, `WARMING_MAX_CACHED_WORKFLOWS` and
 * `WARMING_WORKFLOW_BUNDLE`. A bad value throws one line naming the variable.
 * @param env where to read
 * @default env process.env
 */
export function workerOptionsFromEnvironment(env: NodeJS.ProcessEnv = process.env): EnvironmentWorkerOptions {
  // Another prebuilt bundle than the build's own dist/workflow-bundle.js (which is the default).
  const bundlePath = env.WARMING_WORKFLOW_BUNDLE;
  if (bundlePath !== undefined && !existsSync(bundlePath)) {
    throw new Error(
      `WARMING_WORKFLOW_BUNDLE ${bundlePath} does not exist (npm run build writes dist/workflow-bundle.js)`,
    );
  }
  return {
    maxConcurrentActivities: intFromEnv(env, 'WARMING_MAX_ACTIVITIES', 20),
    criticalMaxConcurrentActivities: intFromEnv(env, 'WARMING_CRITICAL_MAX_ACTIVITIES', 10),
    limits: resolveLimits({
      originConcurrency: intFromEnv(env, 'WARMING_ORIGIN_CONCURRENCY', DEFAULT_LIMITS.originConcurrency),
      originRatePerSecond: intFromEnv(env, 'WARMING_ORIGIN_RATE_PER_SECOND', DEFAULT_LIMITS.originRatePerSecond, 0),
      maxValueBytes: intFromEnv(env, 'WARMING_MAX_VALUE_BYTES', DEFAULT_LIMITS.maxValueBytes),
    }),
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : {}),
    maxCachedWorkflows: intFromEnv(env, 'WARMING_MAX_CACHED_WORKFLOWS', defaultMaxCachedWorkflows(), 0),
  };
}

/**
 * The Temporal runtime's options `npm run worker` installs: the log level (`WARMING_LOG_LEVEL`,
 * default `INFO`) and, with `WARMING_METRICS_ADDRESS` (`host:port`), one Prometheus endpoint for
 * Temporal's metrics and the warming counters. A bad value throws one line naming the variable.
 * @param env where to read
 * @default env process.env
 */
export function runtimeOptionsFromEnvironment(env: NodeJS.ProcessEnv = process.env): RuntimeOptions {
  const metricsAddress = env.WARMING_METRICS_ADDRESS;
  if (metricsAddress !== undefined && !/^[\w.:[\]-]+:\d{1,5}$/.test(metricsAddress)) {
    throw new Error(`WARMING_METRICS_ADDRESS must be host:port, e.g. 0.0.0.0:9464 (got "${metricsAddress}")`);
  }
  // Temporal's runtime exports its own metrics and the warming counters: on one Prometheus endpoint,
  // or pushed by OTLP with OTEL_METRICS_EXPORTER=otlp.
  const metrics = runtimeMetricsOptions(readTracingSettings(env), metricsAddress);
  return {
    logger: new DefaultLogger(logLevel(env.WARMING_LOG_LEVEL)),
    ...(metrics ? { telemetryOptions: { metrics } } : {}),
  };
}

/**
 * Everything `npm run worker` does, for a team's own entry point: installs the Temporal runtime
 * (`runtimeOptionsFromEnvironment`), refuses a broken `WARMING_CONFIG` file, creates the worker with
 * `workerOptionsFromEnvironment` and then `options` over them (`limits` merged field by field),
 * sizes its workflow threads' heap for their cache when the process was given no heap limit
 * (`limitWorkflowThreadHeap`), serves `/livez` and `/readyz` at `WARMING_HEALTH_ADDRESS`, and runs
 * until SIGINT/SIGTERM, then drains. Resolves once the worker has stopped. Reads `process.env`, as `createWorker` does.
 * @param options createWorker options over the environment's, e.g. `{ loaders }`
 * @default options none
 */
export async function runWorkerFromEnvironment(options: CreateWorkerOptions = {}): Promise<void> {
  const env = process.env;
  const settings = readEnvironment();
  Runtime.install(runtimeOptionsFromEnvironment(env));
  const healthAddress = env.WARMING_HEALTH_ADDRESS
    ? parseListenAddress(env.WARMING_HEALTH_ADDRESS, 'WARMING_HEALTH_ADDRESS')
    : undefined;
  const fromEnvironment = workerOptionsFromEnvironment(env);
  if (existsSync(settings.configPath)) {
    // Fail fast on a broken config file; the schedule itself comes from `warmctl apply`.
    parseConfigText(readFileSync(settings.configPath, 'utf8'), settings.configPath);
  }
  const workerOptions = { ...fromEnvironment, ...options, limits: { ...fromEnvironment.limits, ...options.limits } };
  const cache = workerOptions.maxCachedWorkflows ?? defaultMaxCachedWorkflows();
  const threadHeapMiB = limitWorkflowThreadHeap(cache);
  const growingPercent = limitHeapGrowth();
  const worker = await createWorker(workerOptions);
  const queues = worker.pollsCriticalQueue
    ? `${worker.taskQueue} and ${worker.criticalTaskQueue}`
    : `${worker.taskQueue} (${worker.criticalTaskQueue} once the deployment has critical tasks)`;
  if (threadHeapMiB !== undefined) {
    console.log(
      `worker: workflow threads' heap ${threadHeapMiB} MiB for a cache of ${cache} (set --max-old-space-size in NODE_OPTIONS to choose)`,
    );
  }
  if (growingPercent !== undefined) {
    console.log(
      `worker: heaps grow ${growingPercent} % past their live size between full collections (start node with --heap-growing-percent to choose)`,
    );
  }
  console.log(
    `worker polling ${queues} on ${settings.temporalAddress} (${settings.namespace}), Redis ${redact(settings.redisUrl)}`,
  );
  const health = healthAddress ? await startHealthServer(healthAddress, worker.health) : undefined;
  try {
    await worker.run();
  } finally {
    await health?.close();
    // The spans of the last warms, before the process goes.
    await shutdownTracing();
  }
  console.log('worker drained and stopped');
}

/**
 * Gives the workflow threads the worker is about to start a heap sized for their cache
 * (`workflowThreadHeapMiB`) unless the process was given a heap limit (`heapLimitGiven`). V8 reads
 * the flag when an isolate is made, so it holds for every thread started after this (the SDK's
 * workflow threads, and any other the process starts), not for the running main thread.
 * @param maxCachedWorkflows workflows the process may keep cached
 * @param execArgv the process's Node options
 * @param nodeOptions NODE_OPTIONS
 * @returns the heap set, in MiB, or undefined when the operator's limit stands
 * @default execArgv process.execArgv
 * @default nodeOptions process.env.NODE_OPTIONS
 */
export function limitWorkflowThreadHeap(
  maxCachedWorkflows: number,
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string | undefined = process.env.NODE_OPTIONS,
): number | undefined {
  if (heapLimitGiven(execArgv, nodeOptions)) return undefined;
  const mib = workflowThreadHeapMiB(maxCachedWorkflows);
  setFlagsFromString(`--max-old-space-size=${mib}`);
  return mib;
}

/**
 * Lets every heap of the process (the running main thread's and each thread's) grow only
 * HEAP_GROWING_PERCENT past what its last full collection kept, unless the process was given
 * `--heap-growing-percent` (`heapGrowthGiven`; Node takes it on the command line only). V8 reads
 * the flag at each full collection.
 * @param execArgv the process's Node options
 * @returns the percent set, or undefined when the operator's stands
 * @default execArgv process.execArgv
 */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): number | undefined {
  if (heapGrowthGiven(execArgv)) return undefined;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return HEAP_GROWING_PERCENT;
}

function logLevel(value: string | undefined): (typeof LOG_LEVELS)[number] {
  if (value === undefined || value === '') return 'INFO';
  const level = LOG_LEVELS.find((l) => l === value.toUpperCase());
  if (!level) throw new Error(`WARMING_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${value}")`);
  return level;
}
