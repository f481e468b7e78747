// `npm run worker`: a worker for the environment (see config/environment.ts) that runs until
// SIGINT/SIGTERM, drains in-flight warms and exits 0.
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { existsSync, readFileSync } from 'node:fs';
import { parseConfigText } from '../config/config-file';
import { createWorker, defaultMaxCachedWorkflows } from './create-worker';
import { intFromEnv } from '../config/env-values';
import { readEnvironment } from '../config/environment';
import { redact } from '../core/redact';
import { parseListenAddress, startHealthServer } from './health-server';
import { DEFAULT_LIMITS } from '../activities/limits';
import { readTracingSettings } from '../config/tracing-settings';
import { runtimeMetricsOptions } from '../tracing/runtime-metrics';
import { shutdownTracing } from '../tracing/start-tracing';

async function run(): Promise<void> {
  const env = readEnvironment();
  const metricsAddress = process.env.WARMING_METRICS_ADDRESS;
  if (metricsAddress !== undefined && !/^[\w.:[\]-]+:\d{1,5}$/.test(metricsAddress)) {
    throw new Error(`WARMING_METRICS_ADDRESS must be host:port, e.g. 0.0.0.0:9464 (got "${metricsAddress}")`);
  }
  // Temporal's runtime exports its own metrics and the warming counters: on one Prometheus endpoint,
  // or pushed by OTLP with OTEL_METRICS_EXPORTER=otlp.
  const metrics = runtimeMetricsOptions(readTracingSettings(), metricsAddress);
  Runtime.install({
    logger: new DefaultLogger(logLevel(process.env.WARMING_LOG_LEVEL)),
    ...(metrics ? { telemetryOptions: { metrics } } : {}),
  });
  const healthAddress = process.env.WARMING_HEALTH_ADDRESS
    ? parseListenAddress(process.env.WARMING_HEALTH_ADDRESS, 'WARMING_HEALTH_ADDRESS')
    : undefined;
  // Another prebuilt bundle than the build's own dist/workflow-bundle.js (which is the default).
  const bundlePath = process.env.WARMING_WORKFLOW_BUNDLE;
  if (bundlePath !== undefined && !existsSync(bundlePath)) {
    throw new Error(
      `WARMING_WORKFLOW_BUNDLE ${bundlePath} does not exist (npm run build writes dist/workflow-bundle.js)`,
    );
  }
  if (existsSync(env.configPath)) {
    // Fail fast on a broken config file; the schedule itself comes from `warmctl apply`.
    parseConfigText(readFileSync(env.configPath, 'utf8'), env.configPath);
  }
  const worker = await createWorker({
    maxConcurrentActivities: intFromEnv(process.env, 'WARMING_MAX_ACTIVITIES', 20),
    criticalMaxConcurrentActivities: intFromEnv(process.env, 'WARMING_CRITICAL_MAX_ACTIVITIES', 10),
    limits: {
      originConcurrency: intFromEnv(process.env, 'WARMING_ORIGIN_CONCURRENCY', DEFAULT_LIMITS.originConcurrency),
      originRatePerSecond: intFromEnv(
        process.env,
        'WARMING_ORIGIN_RATE_PER_SECOND',
        DEFAULT_LIMITS.originRatePerSecond,
        0,
      ),
      maxValueBytes: intFromEnv(process.env, 'WARMING_MAX_VALUE_BYTES', DEFAULT_LIMITS.maxValueBytes),
    },
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : {}),
    maxCachedWorkflows: intFromEnv(process.env, 'WARMING_MAX_CACHED_WORKFLOWS', defaultMaxCachedWorkflows(), 0),
  });
  const queues = worker.pollsCriticalQueue
    ? `${worker.taskQueue} and ${worker.criticalTaskQueue}`
    : `${worker.taskQueue} (${worker.criticalTaskQueue} once the deployment has critical tasks)`;
  console.log(`worker polling ${queues} on ${env.temporalAddress} (${env.namespace}), Redis ${redact(env.redisUrl)}`);
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

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;

function logLevel(value: string | undefined): (typeof LOG_LEVELS)[number] {
  if (value === undefined || value === '') return 'INFO';
  const level = LOG_LEVELS.find((l) => l === value.toUpperCase());
  if (!level) throw new Error(`WARMING_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${value}")`);
  return level;
}

run().catch((err: unknown) => {
  console.error(`worker: ${redact(err instanceof Error ? err.message : String(err))}`);
  process.exit(1);
});
