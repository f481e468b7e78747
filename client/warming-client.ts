// createWarmingClient: the Temporal side for operators and applications, made of parts as the
// Temporal SDK's Client is (`warming.tasks`, `warming.fleet`, ...), all built from one set of
// resolved options. `warmctl` is a thin shell over it.
import { Client, Connection } from '@temporalio/client';
import type { Cluster, Redis } from 'ioredis';
import { RedisCacheStore } from '../store/redis-cache-store';
import { redisKeys, type RedisKeys } from '../store/redis-keys';
import { readEnvironment, temporalClientConnectOptions } from '../config/environment';
import { createRedis } from '../config/redis-connection';
import type { KeyRewarmer } from '../cache/key-rewarmer';
import { ConfigApplier } from './config-applier';
import { positiveInteger, type DeploymentContext } from './deployment-context';
import { DeploymentControl } from './deployment-control';
import { FleetControl } from './fleet-control';
import { HistoryReader } from './history-reader';
import { KeyWarming } from './key-warming';
import { LoginControl } from './login-control';
import { OptimizerControl } from './optimizer-control';
import { TaskControl } from './task-control';
import {
  resolveWarmingClientOptions,
  WARMING_CLIENT_DEFAULTS,
  type WarmingClientOptions,
} from './warming-client-options';
import { clientTracing } from '../tracing/client-tracing';

export type { WarmingClientOptions } from './warming-client-options';
export type { ApplyAction, ApplyReport } from './config-applier';
export type { FleetWarmOptions, OnProgress } from './fleet-control';
export { TaskNotFoundError } from './deployment-context';
export type {
  PatternRewarmReport,
  RewarmOptions,
  RewarmReport,
  TaskWarmReport,
  WarmRunReport,
} from '../cache/key-rewarmer';

/** What a `WarmingClient` is made of; `createWarmingClient` assembles it from options and the environment. */
export interface WarmingClientParts extends Pick<
  WarmingClientOptions,
  'workerTimeoutMs' | 'concurrency' | 'applyConcurrency' | 'logger'
> {
  /** The Temporal client its workflows are started, signalled and queried through. */
  temporal: Client;
  /** Redis, for the applied config, tags and cached values. */
  redis: Redis | Cluster;
  /** The deployment's main task queue. */
  taskQueue: string;
  /** Prefix of everything the system keeps in Redis besides values. */
  prefix: string;
  /** The instance name in front of its workflow ids, or undefined for the contract's own ids. */
  instance?: string | undefined;
  /** The optimiser's workflow id. */
  optimizerWorkflowId: string;
  /** Closes what the client owns (connections it opened itself). */
  onClose: () => Promise<void>;
}

/**
 * The flat method names of the warming client before it was made of parts, each the part's method
 * of that name: `warming.apply(config)` is `warming.config.apply(config)`. They keep working; new
 * code may use either.
 */
const FLAT_METHODS = {
  apply: ['config', 'apply'],
  appliedConfig: ['config', 'applied'],
  listTaskIds: ['tasks', 'listIds'],
  listTasks: ['tasks', 'list'],
  status: ['tasks', 'status'],
  warm: ['tasks', 'warm'],
  pause: ['tasks', 'pause'],
  resume: ['tasks', 'resume'],
  remove: ['tasks', 'remove'],
  warmFleet: ['fleet', 'warm'],
  warmByTag: ['fleet', 'warmByTag'],
  warmCritical: ['fleet', 'warmCritical'],
  pauseByTag: ['fleet', 'pauseByTag'],
  optimize: ['optimizer', 'runCycle'],
  optimizerStatus: ['optimizer', 'status'],
  pauseOptimizer: ['optimizer', 'pause'],
  invalidateTag: ['keyWarming', 'invalidateTag'],
  rewarmKeys: ['keyWarming', 'rewarm'],
  importKeys: ['keyWarming', 'import'],
  ensureSearchAttributes: ['deployment', 'ensureSearchAttributes'],
  teardown: ['deployment', 'teardown'],
  stats: ['history', 'stats'],
  reportData: ['history', 'reportData'],
} as const;

/** The parts a WarmingClient is made of, by the name it exposes each under. */
interface Parts {
  config: ConfigApplier;
  tasks: TaskControl;
  fleet: FleetControl;
  optimizer: OptimizerControl;
  logins: LoginControl;
  keyWarming: KeyWarming;
  deployment: DeploymentControl;
  history: HistoryReader;
}

type FlatMethods = {
  [Name in keyof typeof FLAT_METHODS]: (typeof FLAT_METHODS)[Name] extends readonly [
    infer Part extends keyof Parts,
    infer Method extends string,
  ]
    ? Method extends keyof Parts[Part]
      ? Parts[Part][Method]
      : never
    : never;
};

// The flat names are declared here and defined on the prototype below, from FLAT_METHODS.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface WarmingClient extends FlatMethods {}

/**
 * The Temporal side of cache warming, one deployment's: `config` applies configs, `tasks` reads and
 * warms one task, `fleet` warms or pauses many, `optimizer`, `logins`, `keyWarming` (invalidation,
 * re-warm, import), `deployment` (search attributes, teardown) and `history` (statistics, report
 * data). Build it with `createWarmingClient`.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class WarmingClient implements KeyRewarmer, Parts {
  readonly config: ConfigApplier;
  readonly tasks: TaskControl;
  readonly fleet: FleetControl;
  readonly optimizer: OptimizerControl;
  readonly logins: LoginControl;
  readonly keyWarming: KeyWarming;
  readonly deployment: DeploymentControl;
  readonly history: HistoryReader;

  /** The Temporal client its workflows are started, signalled and queried through. */
  readonly temporal: Client;
  /** Redis, for the applied config, tags and cached values. */
  readonly redis: Redis | Cluster;
  readonly keys: RedisKeys;
  /** The deployment's main task queue. */
  readonly taskQueue: string;
  /** The instance name in front of its workflow ids (`<instance>/warm-task:<taskId>`), or undefined. */
  readonly instance: string | undefined;
  /** The optimiser's workflow id. */
  readonly optimizerWorkflowId: string;
  readonly workerTimeoutMs: number;
  readonly concurrency: number;
  readonly applyConcurrency: number;
  private readonly onClose: () => Promise<void>;

  constructor(parts: WarmingClientParts) {
    const keys = redisKeys(parts.prefix);
    const logger = parts.logger ?? console;
    const warned = new Set<string>();
    const context: DeploymentContext = {
      temporal: parts.temporal,
      redis: parts.redis,
      keys,
      store: new RedisCacheStore(parts.redis, keys),
      taskQueue: parts.taskQueue,
      instance: parts.instance,
      optimizerWorkflowId: parts.optimizerWorkflowId,
      workerTimeoutMs: positiveInteger(
        'workerTimeoutMs',
        parts.workerTimeoutMs ?? WARMING_CLIENT_DEFAULTS.workerTimeoutMs,
      ),
      concurrency: positiveInteger('concurrency', parts.concurrency ?? WARMING_CLIENT_DEFAULTS.concurrency),
      applyConcurrency: positiveInteger(
        'applyConcurrency',
        parts.applyConcurrency ?? WARMING_CLIENT_DEFAULTS.applyConcurrency,
      ),
      warnOnce: (message) => {
        if (warned.has(message)) return;
        warned.add(message);
        logger.warn(message);
      },
    };
    ({
      temporal: this.temporal,
      redis: this.redis,
      keys: this.keys,
      taskQueue: this.taskQueue,
      instance: this.instance,
      optimizerWorkflowId: this.optimizerWorkflowId,
      workerTimeoutMs: this.workerTimeoutMs,
      concurrency: this.concurrency,
      applyConcurrency: this.applyConcurrency,
    } = context);
    this.onClose = parts.onClose;
    this.deployment = new DeploymentControl(context);
    this.tasks = new TaskControl(context);
    this.optimizer = new OptimizerControl(context);
    this.logins = new LoginControl(context);
    this.history = new HistoryReader(context);
    this.fleet = new FleetControl(context, this.tasks, this.deployment);
    this.config = new ConfigApplier(context, this);
    this.keyWarming = new KeyWarming(context, this);
  }

  /** Closes the connections the client opened itself (not a `client` or `redis` it was given). */
  async close(): Promise<void> {
    await this.onClose();
  }
}

for (const [name, [part, method]] of Object.entries(FLAT_METHODS)) {
  Object.defineProperty(WarmingClient.prototype, name, {
    value: function (this: WarmingClient, ...args: unknown[]): unknown {
      const owner = this[part] as unknown as Record<string, (...a: unknown[]) => unknown>;
      return (owner[method] as (...a: unknown[]) => unknown).apply(owner, args);
    },
    writable: true,
    configurable: true,
  });
}

/** Connects to Temporal and Redis (from the environment unless given) and returns a WarmingClient. */
export async function createWarmingClient(options: WarmingClientOptions = {}): Promise<WarmingClient> {
  // Every option is decided and checked before anything connects.
  const resolved = resolveWarmingClientOptions(options);
  let connection: Connection | undefined;
  let temporalClient = resolved.client;
  if (!temporalClient) {
    const { connectionOptions, namespace } = temporalClientConnectOptions(resolved.env);
    const tracing = await clientTracing(resolved.env);
    connection = await Connection.connect(connectionOptions);
    temporalClient = new Client({ connection, namespace, ...tracing });
  }
  const redis = resolved.redis ?? createRedis(readEnvironment(resolved.env).redis);
  const ownsRedis = !resolved.redis;
  return new WarmingClient({
    temporal: temporalClient,
    redis,
    taskQueue: resolved.taskQueue,
    prefix: resolved.prefix,
    instance: resolved.instance,
    optimizerWorkflowId: resolved.optimizerWorkflowId,
    workerTimeoutMs: resolved.workerTimeoutMs,
    concurrency: resolved.concurrency,
    applyConcurrency: resolved.applyConcurrency,
    logger: resolved.logger,
    onClose: async () => {
      if (ownsRedis) redis.disconnect();
      await connection?.close();
    },
  });
}
