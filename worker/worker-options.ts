// createWorker's options and what it returns: where a worker connects, what it may load, how much it
// runs at once, and the running worker's handle and health.
import type { NativeConnection, State, WorkerOptions } from '@temporalio/worker';
import type { Cluster, Redis } from 'ioredis';
import type { WarmingLimits } from '../activities/limits';
import type { LoaderRegistry } from '../activities/loaders';
import type { LoaderSecurity } from '../core/loader-security';
import type { CriticalQueueMode, OriginBudgetMode, WorkerDeployment } from '../config/environment';

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
