// createWarmingClient: the Temporal side for operators and applications. Applies config, forces
// warms, reads status, pauses and removes tasks. `warmctl` is a thin shell over it.
import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateStage,
  type WorkflowHandle,
  type WorkflowUpdateHandle,
} from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { AppliedSpecs } from '../store/applied-specs';
import { withLeaseLock, type HeldLock } from '../store/lease-lock';
import { RedisCacheStore } from '../store/redis-cache-store';
import { readAppliedConfigText } from '../store/applied-config';
import { isWrongType, writeOverWrongType } from '../store/redis-errors';
import { redisKeys, type RedisKeys } from '../store/redis-keys';
import {
  ConfigError,
  describeLoader,
  parseWarmingConfig,
  type TaskSpec,
  type WarmingConfig,
} from '../core/config-schema';
import { keyOwners } from '../core/key-owner';
import { mapLimit } from '../core/map-limit';
import { isCritical } from '../core/priority';
import {
  applyTaskUpdate,
  bulkRewarmWorkflowId,
  forceWarmSignal,
  pauseSignal,
  removeSignal,
  resumeSignal,
  SEARCH_ATTRIBUTES,
  statusQuery,
  taskIdFromWorkflowId,
  taskWorkflowId,
  MAX_REASON_LENGTH,
  taskSearchAttributes,
  taskSummary,
  WARM_CRITICAL,
  WARM_PRIORITY,
  warmNowUpdate,
  warmTaskWorkflow,
  configAppliedSignal,
  criticalTaskQueue,
  taskWorkflowQueue,
  queueKind,
  optimizerStatusQuery,
  optimizerWorkflow,
  preloadSettingsSignal,
  runCycleUpdate,
  type CycleReport,
  type OptimizerStatus,
  type TaskStatus,
  type WarmOutcome,
} from '../workflows';
import { readEnvironment, temporalClientConnectOptions } from '../config/environment';
import { createRedis } from '../config/redis-connection';
import { specHash } from './spec-hash';
import { readWarmingStats, type RunDigestStore, type StatsOptions, type WarmingStats } from './history-stats';
import {
  and,
  batchOutcomeClause,
  criticalClause,
  CRITICAL_CLAUSE,
  runningLoginShardsQuery,
  runningTasksAnywhereQuery,
  runningTasksQuery,
  tagsClause,
} from '../core/visibility-query';
import { signalByQuery } from './batch-signal';
import type {
  KeyRewarmer,
  PatternRewarmReport,
  RewarmOptions,
  RewarmReport,
  TaskWarmReport,
  WarmRunReport,
} from './key-rewarmer';
import { readReportData, type ReportData } from './report-data';
import { startBulkWarms } from './bulk-warm-start';
import { importKeys, type ImportOptions, type ImportReport, type ImportTarget } from './key-import';
import type { ListedKey } from './key-list';
import { teardown, type TeardownOptions, type TeardownReport } from './teardown';
import {
  resolveWarmingClientOptions,
  WARMING_CLIENT_DEFAULTS,
  type WarmingClientOptions,
} from './warming-client-options';
import { clientTracing } from '../tracing/client-tracing';

export type { WarmingClientOptions } from './warming-client-options';

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

/** Reports how far a bulk operation got: `done` of `total` items. */
export type OnProgress = (done: number, total: number) => void;

export type ApplyAction = 'created' | 'updated' | 'unchanged' | 'removed';

/** What `apply` did, task by task, and what else it stored. */
export interface ApplyReport {
  tasks: { taskId: string; action: ApplyAction; fields?: string[] }[];
  created: number;
  updated: number;
  unchanged: number;
  removed: number;
  patterns: number;
  userPreload: boolean;
  /** Wall time of the whole apply. */
  durationMs: number;
}

export type { PatternRewarmReport, RewarmOptions, RewarmReport, TaskWarmReport, WarmRunReport } from './key-rewarmer';

/** Thrown when a task id names no running task. */
export class TaskNotFoundError extends Error {
  override readonly name = 'TaskNotFoundError';
  constructor(readonly taskId: string) {
    super(`no task "${taskId}" is scheduled (apply a config that has it first)`);
  }
}

/**
 * The Temporal side of cache warming: applies configs, forces warms, reads status and statistics,
 * runs the optimiser and re-warms invalidated keys. `warmctl` is a thin shell over it. Build it
 * with `createWarmingClient`.
 */
export class WarmingClient implements KeyRewarmer {
  readonly keys: RedisKeys;
  private readonly store: RedisCacheStore;
  private readonly appliedSpecs: AppliedSpecs;
  readonly workerTimeoutMs: number;
  readonly concurrency: number;
  readonly applyConcurrency: number;
  private readonly logger: { warn(message: string): void };
  private readonly warned = new Set<string>();
  private batchResults: Promise<boolean> | undefined;

  /** The Temporal client its workflows are started, signalled and queried through. */
  readonly temporal: Client;
  /** Redis, for the applied config, tags and cached values. */
  readonly redis: Redis | Cluster;
  /** The deployment's main task queue. */
  readonly taskQueue: string;
  /** The instance name in front of its workflow ids (`<instance>/warm-task:<taskId>`), or undefined. */
  readonly instance: string | undefined;
  /** The optimiser's workflow id. */
  readonly optimizerWorkflowId: string;
  private readonly onClose: () => Promise<void>;

  constructor(parts: WarmingClientParts) {
    this.temporal = parts.temporal;
    this.redis = parts.redis;
    this.taskQueue = parts.taskQueue;
    this.instance = parts.instance;
    this.optimizerWorkflowId = parts.optimizerWorkflowId;
    this.onClose = parts.onClose;
    this.keys = redisKeys(parts.prefix);
    this.store = new RedisCacheStore(parts.redis, this.keys);
    this.appliedSpecs = new AppliedSpecs(parts.redis, this.keys);
    this.workerTimeoutMs = positiveInteger(
      'workerTimeoutMs',
      parts.workerTimeoutMs ?? WARMING_CLIENT_DEFAULTS.workerTimeoutMs,
    );
    this.concurrency = positiveInteger('concurrency', parts.concurrency ?? WARMING_CLIENT_DEFAULTS.concurrency);
    this.applyConcurrency = positiveInteger(
      'applyConcurrency',
      parts.applyConcurrency ?? WARMING_CLIENT_DEFAULTS.applyConcurrency,
    );
    this.logger = parts.logger ?? console;
  }

  /**
   * Validates the whole config, then starts or updates one workflow per task (idempotent: an
   * unchanged task is left alone) and stores patterns, user-preload and optimiser settings.
   * With `prune`, running tasks missing from the config are removed. `onProgress` hears each
   * task started, updated or found unchanged.
   *
   * Cost at scale: one visibility scan of the running task workflows, one Redis read of the spec
   * hashes last applied, then per task at most one Temporal call, `applyConcurrency` at a time: a
   * start for a new task, an `applyTask` update for a changed one (answered by a worker), nothing
   * for a task whose spec hash is unchanged and whose workflow runs on this deployment's queues.
   *
   * Applies of one deployment (prefix) run one at a time: each holds a lease lock in Redis
   * (`<prefix>lock:{<prefix>applied}:apply`, renewed while it runs, released when it ends) and
   * records a spec hash only while it still holds it, so the hashes always match what the task
   * workflows run. An apply started meanwhile waits for it (up to 5 minutes, then fails saying so).
   */
  async apply(
    input: WarmingConfig | unknown,
    options: { prune?: boolean; onProgress?: OnProgress } = {},
  ): Promise<ApplyReport> {
    const started = Date.now();
    const config = parseWarmingConfig(input);
    config.tasks.forEach((task, i) => {
      if (task.cacheKey.startsWith(this.keys.prefix)) {
        throw new ConfigError(
          `tasks[${i}].cacheKey: "${task.cacheKey}" is under the reserved prefix "${this.keys.prefix}"`,
        );
      }
    });
    // One apply at a time per deployment: from reading the applied hashes to writing them, so two
    // applies racing with different specs cannot leave a hash that is not what the workflow runs.
    return withLeaseLock(this.redis, this.keys.applyLock(), { holder: 'another apply' }, (lock) =>
      this.applyHoldingLock(config, lock, options, started),
    );
  }

  private async applyHoldingLock(
    config: WarmingConfig,
    lock: HeldLock,
    options: { prune?: boolean; onProgress?: OnProgress },
    started: number,
  ): Promise<ApplyReport> {
    // Ownership is checked for every task before anything is written, so a refused config
    // leaves nothing half-applied. A task started since the scan is caught at its start (below).
    const running = await this.runningTaskQueues();
    config.tasks.forEach((task, i) => {
      const queue = running.get(task.taskId);
      if (queue !== undefined && !this.ownsQueue(queue)) throw this.foreignTaskError(task.taskId, i, queue);
    });
    const hashes = config.tasks.map((task) => specHash(task));
    const appliedHashes = await this.appliedSpecs.read(config.tasks.map((task) => task.taskId));
    await this.ensureSearchAttributes();
    await this.redis.set(this.keys.config(), JSON.stringify(config));
    let applied = 0;
    const tasks: ApplyReport['tasks'] = await mapLimit(config.tasks, this.applyConcurrency, async (task, i) => {
      const unchanged = running.has(task.taskId) && appliedHashes[i] === hashes[i];
      const result = unchanged
        ? { taskId: task.taskId, action: 'unchanged' as const }
        : await this.applyTask(task, i, running.has(task.taskId));
      if (!unchanged) await this.appliedSpecs.set(lock, task.taskId, hashes[i] as string);
      options.onProgress?.(++applied, config.tasks.length);
      return result;
    });
    // A created or changed task starts from its configured interval: the optimiser re-plans it.
    const replanned = tasks.filter((task) => task.action !== 'unchanged').map((task) => task.taskId);
    for (let i = 0; i < replanned.length; i += REDIS_CHUNK) {
      const chunk = replanned.slice(i, i + REDIS_CHUNK);
      // Stray data that is not a hash where the plan belongs: the plan is the optimiser's to rebuild.
      await writeOverWrongType(this.redis, this.keys.plannedIntervals(), () =>
        this.redis.hdel(this.keys.plannedIntervals(), ...chunk),
      );
    }
    // The optimiser's self-tuned cycle came from the old config's keys: the new one starts from its own TTLs.
    await this.redis.del(this.keys.optimizerTuning());
    await this.notifyOptimizer();
    if (config.userPreload) await this.notifyLoginShards(config.userPreload.skipIfWarmedWithinMinutes);
    if (options.prune) {
      const wanted = new Set(config.tasks.map((task) => task.taskId));
      const stale = [...running]
        .filter(([taskId, queue]) => this.ownsQueue(queue) && !wanted.has(taskId))
        .map(([taskId]) => taskId)
        .sort();
      await mapLimit(stale, this.concurrency, async (taskId) => {
        try {
          await this.remove(taskId, 'pruned by apply');
        } catch (err) {
          if (!(err instanceof TaskNotFoundError)) throw err; // removed since the scan
        }
      });
      await this.appliedSpecs.delete(lock, stale);
      tasks.push(...stale.map((taskId) => ({ taskId, action: 'removed' as const })));
    }
    const count = (action: ApplyAction) => tasks.filter((task) => task.action === action).length;
    return {
      tasks,
      created: count('created'),
      updated: count('updated'),
      unchanged: count('unchanged'),
      removed: count('removed'),
      patterns: config.patterns.length,
      userPreload: config.userPreload !== undefined,
      durationMs: Date.now() - started,
    };
  }

  /**
   * Running task workflows of this instance's ids in the namespace, whatever their queue: task id ->
   * task queue (one visibility scan). Other instances' ids do not parse as this one's.
   */
  private async runningTaskQueues(): Promise<Map<string, string>> {
    const running = new Map<string, string>();
    const query = runningTasksAnywhereQuery();
    for await (const execution of this.temporal.workflow.list({ query })) {
      const taskId = taskIdFromWorkflowId(execution.workflowId, this.instance);
      if (taskId !== undefined) running.set(taskId, execution.taskQueue);
    }
    return running;
  }

  private foreignTaskError(taskId: string, index: number, queue: string): ConfigError {
    return new ConfigError(
      `tasks[${index}].taskId: "${taskId}" belongs to another deployment (task queue ${queue}, not ${this.taskQueue})`,
    );
  }

  /** The config last applied, or undefined. */
  async appliedConfig(): Promise<WarmingConfig | undefined> {
    const text = await readAppliedConfigText(this.redis, this.keys);
    return text ? parseWarmingConfig(JSON.parse(text)) : undefined;
  }

  /**
   * One Temporal call per task: an update of a running task, else a start that fails if the
   * workflow exists after all (started since the scan), in which case its owner is checked and it
   * is updated instead.
   */
  private async applyTask(spec: TaskSpec, index: number, running: boolean): Promise<ApplyReport['tasks'][number]> {
    const workflowId = taskWorkflowId(spec.taskId, this.instance);
    if (!running) {
      try {
        await this.temporal.workflow.start(warmTaskWorkflow, {
          workflowId,
          // Critical tasks run on the critical queue, where their warms use the reserved slots.
          taskQueue: taskWorkflowQueue(this.taskQueue, isCritical(spec)),
          args: [{ spec, queue: queueKind(spec) }],
          // Two applies racing each other still make one workflow per task: the loser updates it.
          workflowIdConflictPolicy: 'FAIL',
          staticSummary: taskSummary(spec),
          staticDetails: `Loader: ${describeLoader(spec.loader)}, TTL ${spec.ttlSeconds}s`,
          typedSearchAttributes: taskSearchAttributes(spec),
        });
        return { taskId: spec.taskId, action: 'created' };
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        const queue = await this.runningQueue(workflowId);
        if (queue !== undefined && !this.ownsQueue(queue)) throw this.foreignTaskError(spec.taskId, index, queue);
      }
    }
    const handle = this.temporal.workflow.getHandle<typeof warmTaskWorkflow>(workflowId);
    const result = await this.withWorker(
      handle.executeUpdate(applyTaskUpdate, { args: [spec] }),
      `apply ${spec.taskId}`,
    ).catch((err: unknown) => {
      throw updateError(err, `apply ${spec.taskId}`);
    });
    return result.changed
      ? { taskId: spec.taskId, action: 'updated', fields: result.fields }
      : { taskId: spec.taskId, action: 'unchanged' };
  }

  /** Starts the optimiser if it is not running, and tells it to re-read its settings. */
  private async notifyOptimizer(): Promise<WorkflowHandle<typeof optimizerWorkflow>> {
    return this.temporal.workflow.signalWithStart(optimizerWorkflow, {
      workflowId: this.optimizerWorkflowId,
      taskQueue: this.taskQueue,
      // The optimiser signals task workflows by id, so it is told the instance their ids carry.
      args: [this.instance === undefined ? {} : { instance: this.instance }],
      signal: configAppliedSignal,
      signalArgs: [],
      staticSummary: 'Re-plans adaptive intervals, warms hot keys, runs the critical pass',
    });
  }

  /**
   * Tells this queue's running login shards the skip window, so a re-applied config takes effect
   * at their next login (each preload reads the rest of the settings itself).
   */
  private async notifyLoginShards(skipIfWarmedWithinMinutes: number): Promise<void> {
    const query = runningLoginShardsQuery(this.taskQueue);
    const ids: string[] = [];
    for await (const execution of this.temporal.workflow.list({ query })) ids.push(execution.workflowId);
    await mapLimit(ids, this.concurrency, async (workflowId) => {
      try {
        await this.temporal.workflow.getHandle(workflowId).signal(preloadSettingsSignal, { skipIfWarmedWithinMinutes });
      } catch (err) {
        // A shard that continued as new or closed meanwhile learns the window from its next preload.
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    });
  }

  /** Runs one optimiser cycle now (starting the optimiser if needed) and returns its report. */
  async optimize(): Promise<CycleReport> {
    const handle = await this.notifyOptimizer();
    return this.updateWhenAccepted(
      handle.startUpdate(runCycleUpdate, { waitForStage: WorkflowUpdateStage.ACCEPTED }),
      'optimize',
    );
  }

  /** The optimiser's status: paused, cycles, next cycle, last report. */
  async optimizerStatus(): Promise<OptimizerStatus> {
    const handle = this.temporal.workflow.getHandle<typeof optimizerWorkflow>(this.optimizerWorkflowId);
    if (!(await this.isRunning(handle)))
      throw new Error(`the optimiser (${this.optimizerWorkflowId}) is not running: apply a config first`);
    return this.withWorker(handle.query(optimizerStatusQuery), 'optimizer status');
  }

  /** Stops (true) or restarts (false) the optimiser's background cycles; `optimize` still works. */
  async pauseOptimizer(paused: boolean): Promise<void> {
    const handle = await this.notifyOptimizer();
    await handle.signal(paused ? pauseSignal : resumeSignal);
  }

  /**
   * Registers the custom search attributes when the namespace lacks them (idempotent). Where the
   * credentials may not (Temporal Cloud: attributes are created with tcld or the UI, not by
   * clients): if they already exist nothing is asked; if they cannot even be listed, warns once
   * and goes on; if some are missing, throws one line naming each with its type.
   */
  async ensureSearchAttributes(): Promise<void> {
    const namespace = this.temporal.options.namespace;
    const operator = this.temporal.connection.operatorService;
    const named = (attributes: readonly { name: string; cliType: string }[]) =>
      attributes.map((attribute) => `${attribute.name}=${attribute.cliType}`).join(', ');
    let customAttributes: Record<string, unknown> | null | undefined;
    try {
      ({ customAttributes } = await operator.listSearchAttributes({ namespace }));
    } catch (err) {
      if (!isNotAllowed(err)) throw err;
      this.warnOnce(
        `cannot list the search attributes of namespace ${namespace} (${grpcReason(err)}); assuming ${named(SEARCH_ATTRIBUTES)} exist`,
      );
      return;
    }
    const types = temporal.api.enums.v1.IndexedValueType;
    const byCliType = {
      Keyword: types.INDEXED_VALUE_TYPE_KEYWORD,
      Bool: types.INDEXED_VALUE_TYPE_BOOL,
      Int: types.INDEXED_VALUE_TYPE_INT,
      KeywordList: types.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    } as const;
    const missing = SEARCH_ATTRIBUTES.filter((attribute) => !customAttributes?.[attribute.name]);
    if (missing.length === 0) return;
    try {
      await operator.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(
          missing.map((attribute) => [attribute.name, byCliType[attribute.cliType]]),
        ),
      });
    } catch (err) {
      if (!isNotAllowed(err)) throw err;
      throw new Error(
        `namespace ${namespace} lacks the search attributes ${named(missing)} and these credentials may not create them ` +
          `(${grpcReason(err)}): create them first (see docs/temporal-cloud.md), then apply again`,
      );
    }
  }

  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.logger.warn(message);
  }

  /** Ids of this task queue's running task workflows, optionally filtered by a visibility query clause. */
  async listTaskIds(filter?: string): Promise<string[]> {
    // Only this deployment's tasks: others may share the namespace on their own task queue.
    const ids: string[] = [];
    for await (const execution of this.temporal.workflow.list({ query: runningTasksQuery(this.taskQueue, filter) })) {
      const taskId = taskIdFromWorkflowId(execution.workflowId, this.instance);
      if (taskId !== undefined) ids.push(taskId);
    }
    return ids.sort();
  }

  /** Status of every running task, sorted by priority (highest first), then id. */
  async listTasks(filter?: string): Promise<TaskStatus[]> {
    const ids = await this.listTaskIds(filter);
    const statuses = await mapLimit(ids, this.concurrency, async (taskId) => {
      try {
        return await this.status(taskId);
      } catch (err) {
        if (err instanceof TaskNotFoundError) return undefined; // removed while listing
        throw err;
      }
    });
    return statuses
      .filter((s): s is TaskStatus => s !== undefined)
      .sort((a, b) => b.priority - a.priority || a.taskId.localeCompare(b.taskId));
  }

  /** One task's status (the workflow's `status` query). */
  async status(taskId: string): Promise<TaskStatus> {
    const handle = await this.runningHandle(taskId);
    return this.withWorker(handle.query(statusQuery), `status of ${taskId}`);
  }

  /** Forces a warm now. With `wait` (default) resolves with its outcome; else returns at once. */
  async warm(taskId: string, options: { reason?: string; wait?: boolean } = {}): Promise<WarmOutcome | undefined> {
    const handle = await this.runningHandle(taskId);
    const payload = options.reason ? { reason: options.reason.slice(0, MAX_REASON_LENGTH) } : {};
    if (options.wait === false) {
      await handle.signal(forceWarmSignal, payload);
      return undefined;
    }
    return this.updateWhenAccepted(
      handle.startUpdate(warmNowUpdate, { args: [payload], waitForStage: WorkflowUpdateStage.ACCEPTED }),
      `warm ${taskId}`,
    );
  }

  /**
   * Warms every task carrying `tag`: a fleet operation (see `warmFleet`), critical tasks signalled
   * first. `parallel` bounds the client's own fan-out where the server runs no batch job.
   */
  async warmByTag(
    tag: string,
    options: { parallel?: number; wait?: boolean; onProgress?: OnProgress } = {},
  ): Promise<WarmRunReport> {
    return this.warmFleet(tagsClause([tag]), `tag ${tag}`, options);
  }

  /** Warms every critical task, highest priority first where the client fans out (see `warmFleet`). */
  async warmCritical(
    options: { parallel?: number; wait?: boolean; onProgress?: OnProgress } = {},
  ): Promise<WarmRunReport> {
    return this.warmFleet(CRITICAL_CLAUSE, 'critical pass', options);
  }

  /** Pauses (or resumes) every task carrying `tag` with one batch signal; resolves once all are signalled. */
  async pauseByTag(
    tag: string,
    paused: boolean,
    options: { onProgress?: OnProgress } = {},
  ): Promise<{ signalled: number; mode: 'batch' | 'client' }> {
    const result = await signalByQuery(this.temporal, {
      query: runningTasksQuery(this.taskQueue, tagsClause([tag])),
      signal: (paused ? pauseSignal : resumeSignal).name,
      reason: `warmctl ${paused ? 'pause' : 'resume'} --tag ${tag}`,
      parallel: this.concurrency,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    return { signalled: result.signalled, mode: result.mode };
  }

  /**
   * Forces a warm of every running task the visibility `filter` matches, fanned out by Temporal:
   * one batch signal job for the critical tasks, then one for the rest, each `forceWarm` carrying
   * this operation's id. Each task records its result in its `WarmBatches` search attribute, so
   * waiting is two visibility counts a poll, not a call per task; `onProgress` hears warms done
   * (or, with `wait: false`, signals sent). A task with no result after twice `workerTimeoutMs`
   * without progress is reported as failed. Where `WarmBatches` cannot be registered, each task
   * is warmed by its `warmNow` update instead, `parallel` at a time.
   */
  async warmFleet(
    filter: string,
    reason: string,
    options: { parallel?: number; wait?: boolean; onProgress?: OnProgress } = {},
  ): Promise<WarmRunReport> {
    const parallel = positiveInteger('parallel', options.parallel ?? this.concurrency);
    if (!(await this.recordsBatchResults())) {
      return this.warmMany(await this.listTasks(filter), reason, { ...options, parallel: options.parallel ?? 1 });
    }
    const started = Date.now();
    const scope = runningTasksQuery(this.taskQueue, filter);
    const batch = `b-${randomUUID()}`;
    const parts = [and(scope, criticalClause(true)), and(scope, criticalClause(false))];
    let signalled = 0;
    for (const query of parts) {
      if ((await this.temporal.workflow.count(query)).count === 0) continue;
      const base = signalled;
      const result = await signalByQuery(this.temporal, {
        query,
        signal: forceWarmSignal.name,
        payload: { reason, batch },
        reason: `warmctl: ${reason}`,
        parallel,
        ...(options.wait === false && options.onProgress
          ? { onProgress: (done: number) => options.onProgress?.(base + done, base + done) }
          : {}),
      });
      signalled += result.signalled;
    }
    if (options.wait === false) {
      return { results: [], succeeded: 0, failed: 0, requested: signalled, totalDurationMs: Date.now() - started };
    }
    const resultQuery = (result: 'ok' | 'failed') => and(scope, batchOutcomeClause(batch, result));
    let done = 0;
    let progressAtMs = Date.now();
    while (done < signalled && Date.now() - progressAtMs < 2 * this.workerTimeoutMs) {
      const [ok, failed] = await Promise.all([
        this.temporal.workflow.count(resultQuery('ok')),
        this.temporal.workflow.count(resultQuery('failed')),
      ]);
      if (ok.count + failed.count > done) progressAtMs = Date.now();
      done = ok.count + failed.count;
      options.onProgress?.(done, signalled);
      if (done < signalled) await new Promise((resolve) => setTimeout(resolve, FLEET_POLL_MS));
    }
    const results = [
      ...(await this.fleetResults(resultQuery('ok'), true)),
      ...(await this.fleetResults(resultQuery('failed'), false)),
    ];
    if (results.length < signalled) {
      const seen = new Set(results.map((r) => r.taskId));
      for (const task of await this.fleetResults(scope, false)) {
        if (!seen.has(task.taskId))
          results.push({ ...task, error: `no result within ${(2 * this.workerTimeoutMs) / 1000} s without progress` });
      }
    }
    results.sort((a, b) => b.priority - a.priority || a.taskId.localeCompare(b.taskId));
    const succeeded = results.filter((r) => r.ok).length;
    return { results, succeeded, failed: results.length - succeeded, totalDurationMs: Date.now() - started };
  }

  /** The tasks a visibility query lists, as warm reports; failed ones carry their last error. */
  private async fleetResults(query: string, ok: boolean): Promise<TaskWarmReport[]> {
    const reports: TaskWarmReport[] = [];
    for await (const execution of this.temporal.workflow.list({ query })) {
      const taskId = taskIdFromWorkflowId(execution.workflowId, this.instance);
      if (taskId === undefined) continue;
      const attributes = execution.typedSearchAttributes;
      reports.push({
        taskId,
        priority: attributes.get(WARM_PRIORITY) ?? 0,
        critical: attributes.get(WARM_CRITICAL) ?? false,
        ok,
      });
    }
    if (ok) return reports;
    // Why each failed, from its status (few, one query each; a fleet-wide outage shows the first ones).
    await mapLimit(reports.slice(0, MAX_FAILURE_DETAILS), this.concurrency, async (report) => {
      try {
        const status = await this.status(report.taskId);
        if (status.lastError) report.error = status.lastError;
        if (status.lastResult && !status.lastResult.ok) report.durationMs = status.lastResult.durationMs;
      } catch {
        // removed meanwhile: the report says failed without a reason
      }
    });
    return reports;
  }

  /** Whether tasks can record fleet results: `WarmBatches` exists (registered here when missing). */
  private async recordsBatchResults(): Promise<boolean> {
    this.batchResults ??= this.ensureSearchAttributes().then(
      () => true,
      (err: unknown) => {
        this.warnOnce(`warming task by task: ${(err as Error).message}`);
        return false;
      },
    );
    return this.batchResults;
  }

  private async warmMany(
    tasks: TaskStatus[],
    reason: string,
    options: { parallel?: number; wait?: boolean; onProgress?: OnProgress },
  ): Promise<WarmRunReport> {
    const parallel = options.parallel ?? 1;
    if (!Number.isInteger(parallel) || parallel < 1)
      throw new Error(`parallel must be a positive integer (got ${parallel})`);
    const started = Date.now();
    let finished = 0;
    const results = await mapLimit(tasks, parallel, async (task): Promise<TaskWarmReport> => {
      const report = await this.warmOne(task, reason, options.wait);
      options.onProgress?.(++finished, tasks.length);
      return report;
    });
    const succeeded = results.filter((r) => r.ok).length;
    return { results, succeeded, failed: results.length - succeeded, totalDurationMs: Date.now() - started };
  }

  /** One task's warm in a bulk run: a failure is reported in the result, never thrown. */
  private async warmOne(task: TaskStatus, reason: string, wait: boolean | undefined): Promise<TaskWarmReport> {
    const base = { taskId: task.taskId, priority: task.priority, critical: task.critical };
    const taskStarted = Date.now();
    try {
      const outcome = await this.warm(task.taskId, { reason, wait });
      if (!outcome) return { ...base, ok: true, durationMs: Date.now() - taskStarted };
      return {
        ...base,
        ok: outcome.ok,
        durationMs: outcome.durationMs,
        ...(outcome.error ? { error: outcome.error } : {}),
      };
    } catch (err) {
      return {
        ...base,
        ok: false,
        durationMs: Date.now() - taskStarted,
        error: err instanceof Error ? err.message : String(err),
      };
    }
  }

  /** Pauses a task's schedule: no warms until `resume` (a forced warm still runs). */
  async pause(taskId: string): Promise<void> {
    await (await this.runningHandle(taskId)).signal(pauseSignal);
  }

  /** Resumes a paused task's schedule. */
  async resume(taskId: string): Promise<void> {
    await (await this.runningHandle(taskId)).signal(resumeSignal);
  }

  /** Stops a task's schedule; resolves with its final status once the workflow has completed. */
  async remove(taskId: string, reason?: string): Promise<TaskStatus> {
    const handle = await this.runningHandle(taskId);
    await handle.signal(removeSignal, reason ? { reason: reason.slice(0, MAX_REASON_LENGTH) } : {});
    return this.withWorker(handle.result(), `remove ${taskId}`);
  }

  /**
   * Deletes every key tagged `tag`; with `rewarm`, warms the owners of the deleted keys again
   * (and the tasks carrying the tag): see `rewarmKeys`.
   */
  async invalidateTag(
    tag: string,
    options: { rewarm?: boolean; onProgress?: OnProgress } = {},
  ): Promise<{ keys: string[]; rewarm?: RewarmReport }> {
    const keys = await this.store.invalidateTag(tag);
    if (!options.rewarm) return { keys };
    return {
      keys,
      rewarm: await this.rewarmKeys(keys, {
        tags: [tag],
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      }),
    };
  }

  /**
   * Warms the owners of `keys` again, as the applied config says: a task's key through its task
   * workflow (so the warm counts toward the task), pattern keys in batches (one bulk warm per
   * pattern, as the optimiser warms them); tasks carrying any of `options.tags` are warmed too.
   * Keys no task or pattern owns are reported as `unowned`. What `invalidateByTags(tags, { rewarm: true })`
   * of a cache client created with `rewarmer: warmingClient` calls.
   */
  async rewarmKeys(keys: readonly string[], options: RewarmOptions = {}): Promise<RewarmReport> {
    const started = Date.now();
    const config = await this.appliedConfig();
    const ownerOf = keyOwners(config ?? { tasks: [], patterns: [] });
    const ownerTasks = new Set<string>();
    const byPattern = new Map<number, Record<string, string>[]>();
    const unowned: string[] = [];
    for (const key of new Set(keys)) {
      const owner = ownerOf(key);
      if (!owner) unowned.push(key);
      else if (owner.kind === 'task') ownerTasks.add(owner.task.taskId);
      else {
        const vars = byPattern.get(owner.index) ?? [];
        vars.push(owner.vars);
        byPattern.set(owner.index, vars);
      }
    }

    // Tasks by tag in one fleet operation, then owners not carrying a tag (looked up one by one).
    const tags = [...new Set(options.tags ?? [])];
    const progress = options.onProgress ? { onProgress: options.onProgress } : {};
    const wait = options.wait !== undefined ? { wait: options.wait } : {};
    const byTag =
      tags.length > 0
        ? await this.warmFleet(tagsClause(tags), 'invalidate --rewarm', {
            ...progress,
            ...wait,
          })
        : undefined;
    const covered = new Set([
      ...(byTag?.results ?? []).map((r) => r.taskId),
      ...(config?.tasks ?? []).filter((task) => task.tags.some((tag) => tags.includes(tag))).map((task) => task.taskId),
    ]);
    const tasks: TaskStatus[] = [];
    const missing: TaskWarmReport[] = [];
    await mapLimit(
      [...ownerTasks].filter((taskId) => !covered.has(taskId)),
      this.concurrency,
      async (taskId) => {
        try {
          tasks.push(await this.status(taskId));
        } catch (err) {
          if (!(err instanceof TaskNotFoundError)) throw err;
          missing.push({ taskId, priority: 0, critical: false, ok: false, durationMs: 0, error: err.message });
        }
      },
    );
    const unique = [...new Map(tasks.map((t) => [t.taskId, t])).values()].sort(
      (a, b) => b.priority - a.priority || a.taskId.localeCompare(b.taskId),
    );
    const run = await this.warmMany(unique, 'invalidate --rewarm', {
      parallel: this.concurrency,
      ...wait,
      ...progress,
    });

    const patterns = await Promise.all(
      [...byPattern].map(async ([index, vars]): Promise<PatternRewarmReport> => {
        const pattern = (config as WarmingConfig).patterns[index] as WarmingConfig['patterns'][number];
        const started = await startBulkWarms(
          this.temporal,
          this.taskQueue,
          { key: pattern.match, loader: pattern.loader, ttlSeconds: pattern.ttlSeconds, tags: [...pattern.tags] },
          vars,
          {
            workflowId: (nonce) => bulkRewarmWorkflowId(pattern.match, nonce, this.instance),
            summary: (keys) => `Re-warms ${keys} invalidated ${pattern.match} keys`,
          },
        );
        const report = { match: pattern.match, keys: vars.length, warmed: 0, superseded: 0, failed: 0 };
        if (options.wait === false) return report;
        for (const { handle } of started) {
          const result = await handle.result();
          report.warmed += result.warmed;
          report.superseded += result.superseded;
          report.failed += result.failed;
        }
        return report;
      }),
    );
    const results = [...(byTag?.results ?? []), ...run.results, ...missing];
    const succeeded = results.filter((r) => r.ok).length;
    const requested = byTag?.requested;
    return {
      results,
      succeeded,
      ...(requested !== undefined ? { requested: requested + run.results.length } : {}),
      failed: results.length - succeeded,
      totalDurationMs: Date.now() - started,
      patterns,
      unowned,
    };
  }

  /**
   * Warms `keys` once (`warmctl import`): each through the applied config's pattern it matches
   * (`target.pattern` to name one) or through a named loader, as bulk warms on the main queue,
   * cut into inputs within Temporal's payload limit. See `importKeys` in key-import.ts.
   */
  importKeys(keys: readonly ListedKey[], target: ImportTarget, options: ImportOptions = {}): Promise<ImportReport> {
    return importKeys(this, keys, target, options);
  }

  /**
   * Stops every workflow on this deployment's task queues and removes every key under its prefix
   * (`warmctl teardown`); `dryRun` only counts, `values` also removes the values its metadata names.
   */
  teardown(options: TeardownOptions = {}): Promise<TeardownReport> {
    return teardown(
      {
        temporal: this.temporal,
        redis: this.redis,
        keys: this.keys,
        taskQueue: this.taskQueue,
        concurrency: this.concurrency,
      },
      options,
    );
  }

  /**
   * Warming statistics derived from Temporal history (every warm of this queue's tasks, across
   * continue-as-new runs and removed tasks), with each warm's efficiency from Redis metadata, and
   * the queue's user preloads (count, latency, failed sources; left out with a task filter).
   * The seed's `get_warming_stats` (overall) and `get_warming_performance` (per task: `byTask`).
   */
  stats(options: StatsOptions = {}): Promise<WarmingStats> {
    return readWarmingStats(this.temporal, this.taskQueue, this.store, this.statsOptions(options));
  }

  /**
   * What `warmctl report --html` draws: the same statistics plus each warm, each task's interval
   * history and each user preload in the window (render it with `renderHtmlReport`).
   */
  reportData(options: StatsOptions = {}): Promise<ReportData> {
    return readReportData(this.temporal, this.taskQueue, this.store, this.statsOptions(options));
  }

  /** The caller's options with this deployment's run digests and instance. */
  private statsOptions(options: StatsOptions): StatsOptions {
    return {
      digests: this.runDigests,
      ...options,
      ...(this.instance !== undefined ? { instance: this.instance } : {}),
    };
  }

  /** Closes the connections the client opened itself (not a `client` or `redis` it was given). */
  async close(): Promise<void> {
    await this.onClose();
  }

  /** Run digests in Redis, one key per run, expiring after RUN_DIGEST_TTL_SECONDS (rebuilt from history when gone). */
  private readonly runDigests: RunDigestStore = {
    // Stray data of another type where a digest belongs is no digest: the history is read again
    // and the digest written over it.
    get: (runIds) =>
      Promise.all(
        runIds.map((runId) =>
          this.redis.get(this.keys.runDigest(runId)).catch((err: unknown) => {
            if (isWrongType(err)) return null;
            throw err;
          }),
        ),
      ),
    set: async (runId, digest) => {
      await this.redis.set(this.keys.runDigest(runId), digest, 'EX', RUN_DIGEST_TTL_SECONDS);
    },
  };

  /** The task's running workflow; a task of another deployment (task queue) is refused, never touched. */
  private async runningHandle(taskId: string): Promise<WorkflowHandle<typeof warmTaskWorkflow>> {
    const workflowId = taskWorkflowId(taskId, this.instance);
    const queue = await this.runningQueue(workflowId);
    if (queue === undefined) throw new TaskNotFoundError(taskId);
    if (!this.ownsQueue(queue)) {
      throw new Error(`task ${taskId} belongs to another deployment (task queue ${queue}, not ${this.taskQueue})`);
    }
    return this.temporal.workflow.getHandle<typeof warmTaskWorkflow>(workflowId);
  }

  /** Whether a workflow on `queue` is this deployment's (its main or critical queue). */
  private ownsQueue(queue: string): boolean {
    return queue === this.taskQueue || queue === criticalTaskQueue(this.taskQueue);
  }

  /** The task queue of the running workflow with this id, or undefined when none runs. */
  private async runningQueue(workflowId: string): Promise<string | undefined> {
    try {
      const description = await this.temporal.workflow.getHandle(workflowId).describe();
      return description.status.name === 'RUNNING' ? description.taskQueue : undefined;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  private async isRunning(handle: WorkflowHandle): Promise<boolean> {
    try {
      return (await handle.describe()).status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /**
   * Sends an update, waiting at most workerTimeoutMs for a worker to accept it, then as long as
   * the work takes (a cycle over 10 000 keys is slow, not stuck).
   */
  private async updateWhenAccepted<Ret>(started: Promise<WorkflowUpdateHandle<Ret>>, what: string): Promise<Ret> {
    try {
      const accepted = await this.withWorker(started, what);
      return await accepted.result();
    } catch (err) {
      throw updateError(err, what);
    }
  }

  private async withWorker<T>(work: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `${what}: no worker answered on task queue ${this.taskQueue} within ${this.workerTimeoutMs} ms (is a worker running?)`,
            ),
          ),
        this.workerTimeoutMs,
      );
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * An update's failure as one line: the workflow's own reason (a validator's rejection, the
 * handler's ApplicationFailure) instead of "Workflow Update failed", with the original as cause.
 */
function updateError(err: unknown, what: string): unknown {
  if (!(err instanceof WorkflowUpdateFailedError) || !(err.cause instanceof Error)) return err;
  return new Error(`${what}: ${err.cause.message}`, { cause: err });
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

/** Keys per Redis command when reading or deleting many hash fields. */
const REDIS_CHUNK = 1000;
/** Run digests outlive any namespace retention they describe, then go (30 days). */
const RUN_DIGEST_TTL_SECONDS = 30 * 86_400;
/** How often a fleet warm counts its results. */
const FLEET_POLL_MS = 500;
/** Failed tasks of a fleet warm whose error is looked up (a status query each). */
const MAX_FAILURE_DETAILS = 100;

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer (got ${value})`);
  return value;
}

/** Refusals that mean "not with these credentials": PERMISSION_DENIED, or UNIMPLEMENTED where a service offers no operator API. */
function isNotAllowed(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 7 || code === 12;
}

function grpcReason(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const details = (err as { details?: unknown }).details;
  const name = code === 7 ? 'PERMISSION_DENIED' : code === 12 ? 'UNIMPLEMENTED' : `code ${String(code)}`;
  return typeof details === 'string' && details ? `${name}: ${details.split('\n')[0]}` : name;
}
