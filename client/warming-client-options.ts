// The warming client's options, resolved in one place: documented defaults, then the environment,
// then what the caller gave, then checks naming the field; nothing connects before they pass.
import type { Client } from '@temporalio/client';
import type { Cluster, Redis } from 'ioredis';
import { readEnvironment } from '../config/environment';
import { defaultOptimizerWorkflowId, instanceProblem, taskQueueProblem } from '../core/workflow-ids';
import { redisKeys } from '../store/redis-keys';
import { positiveInteger } from './deployment-context';

/** Options of `createWarmingClient`: which Temporal and Redis, which deployment, and how patient to be. */
export interface WarmingClientOptions {
  /**
   * An existing Temporal client (not closed by `close()`).
   * @default a client of its own, connected with the environment's Temporal settings (as the Temporal CLI reads them)
   */
  client?: Client;
  /**
   * The deployment's main task queue; critical work uses `<taskQueue>-critical`.
   * @default TEMPORAL_TASK_QUEUE, else `cache-warming`
   */
  taskQueue?: string;
  /**
   * An existing Redis connection (not closed by `close()`).
   * @default a connection of its own, from REDIS_URL and the other REDIS_* settings
   */
  redis?: Redis | Cluster;
  /**
   * Prefix of everything the system keeps in Redis besides values.
   * @default WARMING_PREFIX, else `cw:`
   */
  prefix?: string;
  /**
   * How long to wait for a worker to answer an update or query before giving up, in milliseconds.
   * @default 30000
   */
  workerTimeoutMs?: number;
  /**
   * Parallel Temporal calls for bulk operations (list, status, re-warm).
   * @default 16
   */
  concurrency?: number;
  /**
   * Task starts and updates in flight during `apply`.
   * @default 64
   */
  applyConcurrency?: number;
  /**
   * The name in front of every workflow id this deployment creates (`<instance>/warm-task:<taskId>`,
   * `<instance>/warm-optimizer`, bulk warms), so several deployments, each with its own task queue
   * and prefix, can share one namespace with the same task ids. Up to 64 letters, digits, . _ -
   * @default WARMING_INSTANCE, else none: the contract's own ids (`warm-task:<taskId>`, `warm-optimizer`)
   */
  instance?: string;
  /**
   * The optimiser's workflow id: an override of the one the instance gives.
   * @default WARMING_OPTIMIZER_ID, else `<instance>/warm-optimizer` with an instance, else `warm-optimizer`
   */
  optimizerWorkflowId?: string;
  /**
   * Where settings not given above are read from (TEMPORAL_*, REDIS_*, WARMING_*, Temporal
   * profiles); warmctl passes it with its flags written over it.
   * @default process.env
   */
  env?: NodeJS.ProcessEnv;
  /**
   * Where warnings go (once each), e.g. search attributes that could not be checked.
   * @default console
   */
  logger?: { warn(message: string): void };
}

/** The documented defaults of the options that have one of their own (not from the environment). */
export const WARMING_CLIENT_DEFAULTS = {
  workerTimeoutMs: 30_000,
  concurrency: 16,
  applyConcurrency: 64,
} as const;

/** Every option with its value decided: what a `WarmingClient` runs with. */
export interface ResolvedWarmingClientOptions {
  client: Client | undefined;
  redis: Redis | Cluster | undefined;
  taskQueue: string;
  prefix: string;
  instance: string | undefined;
  optimizerWorkflowId: string;
  workerTimeoutMs: number;
  concurrency: number;
  applyConcurrency: number;
  logger: { warn(message: string): void };
  /** The environment the rest was read from (Temporal and Redis connection settings). */
  env: NodeJS.ProcessEnv;
}

/** The options with defaults and the environment applied; throws an Error naming a bad field. */
export function resolveWarmingClientOptions(options: WarmingClientOptions = {}): ResolvedWarmingClientOptions {
  const env = options.env ?? process.env;
  const fromEnv = readEnvironment(env);
  const instance = options.instance ?? fromEnv.instance;
  const instanceFailure =
    instance === undefined ? undefined : typeof instance === 'string' ? instanceProblem(instance) : 'must be a string';
  if (instanceFailure) throw new Error(`instance ${instanceFailure}`);
  // An instance given here replaces the environment's; only an explicit override wins over it.
  const optimizerFromEnv =
    env.WARMING_OPTIMIZER_ID === undefined ? defaultOptimizerWorkflowId(instance) : fromEnv.optimizerWorkflowId;
  const resolved: ResolvedWarmingClientOptions = {
    client: options.client,
    redis: options.redis,
    taskQueue: options.taskQueue ?? fromEnv.taskQueue,
    prefix: options.prefix ?? fromEnv.prefix,
    instance,
    optimizerWorkflowId: options.optimizerWorkflowId ?? optimizerFromEnv,
    workerTimeoutMs: options.workerTimeoutMs ?? WARMING_CLIENT_DEFAULTS.workerTimeoutMs,
    concurrency: options.concurrency ?? WARMING_CLIENT_DEFAULTS.concurrency,
    applyConcurrency: options.applyConcurrency ?? WARMING_CLIENT_DEFAULTS.applyConcurrency,
    logger: options.logger ?? console,
    env,
  };
  for (const name of ['workerTimeoutMs', 'concurrency', 'applyConcurrency'] as const)
    positiveInteger(name, resolved[name]);
  const queueProblem =
    typeof resolved.taskQueue === 'string' ? taskQueueProblem(resolved.taskQueue) : 'must be a string';
  if (queueProblem) throw new Error(`taskQueue ${queueProblem}`);
  if (typeof resolved.optimizerWorkflowId !== 'string' || resolved.optimizerWorkflowId.trim() === '')
    throw new Error('optimizerWorkflowId must be a non-empty string');
  redisKeys(resolved.prefix); // throws naming the prefix when it is malformed
  if (typeof resolved.logger?.warn !== 'function') throw new Error('logger must have a warn method');
  return resolved;
}
