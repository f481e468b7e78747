// The warming client's apply: validates a config, then starts or updates one task workflow per task
// (an unchanged one is left alone), stores patterns and settings, and tells the optimiser and the
// login shards; one apply per deployment at a time.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { AppliedSpecs } from '../store/applied-specs';
import { readAppliedConfigText } from '../store/applied-config';
import { withLeaseLock, type HeldLock } from '../store/lease-lock';
import { writeOverWrongType } from '../store/redis-errors';
import {
  ConfigError,
  describeLoader,
  parseWarmingConfig,
  type TaskSpec,
  type WarmingConfig,
} from '../core/config-schema';
import { mapLimit } from '../core/map-limit';
import { isCritical } from '../core/priority';
import { runningTasksAnywhereQuery } from '../core/visibility-query';
import {
  applyTaskUpdate,
  queueKind,
  taskIdFromWorkflowId,
  taskSearchAttributes,
  taskSummary,
  taskWorkflowId,
  taskWorkflowQueue,
  warmTaskWorkflow,
} from '../workflows';
import {
  ownsQueue,
  runningQueue,
  TaskNotFoundError,
  updateError,
  withWorker,
  type DeploymentContext,
} from './deployment-context';
import type { DeploymentControl } from './deployment-control';
import type { OnProgress } from './fleet-control';
import type { LoginControl } from './login-control';
import type { OptimizerControl } from './optimizer-control';
import { specHash } from './spec-hash';
import type { TaskControl } from './task-control';

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

/** What `apply` needs besides the deployment: the parts it starts, updates and tells. */
export interface ApplyParts {
  tasks: TaskControl;
  optimizer: OptimizerControl;
  logins: LoginControl;
  deployment: DeploymentControl;
}

/** The deployment's config: applying one, and reading the one last applied. */
export class ConfigApplier {
  private readonly appliedSpecs: AppliedSpecs;

  constructor(
    private readonly context: DeploymentContext,
    private readonly parts: ApplyParts,
  ) {
    this.appliedSpecs = new AppliedSpecs(context.redis, context.keys);
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
    const { keys, redis } = this.context;
    const config = parseWarmingConfig(input);
    config.tasks.forEach((task, i) => {
      if (task.cacheKey.startsWith(keys.prefix)) {
        throw new ConfigError(`tasks[${i}].cacheKey: "${task.cacheKey}" is under the reserved prefix "${keys.prefix}"`);
      }
    });
    // One apply at a time per deployment: from reading the applied hashes to writing them, so two
    // applies racing with different specs cannot leave a hash that is not what the workflow runs.
    return withLeaseLock(redis, keys.applyLock(), { holder: 'another apply' }, (lock) =>
      this.applyHoldingLock(config, lock, options, started),
    );
  }

  /** The config last applied, or undefined. */
  async applied(): Promise<WarmingConfig | undefined> {
    const text = await readAppliedConfigText(this.context.redis, this.context.keys);
    return text ? parseWarmingConfig(JSON.parse(text)) : undefined;
  }

  private async applyHoldingLock(
    config: WarmingConfig,
    lock: HeldLock,
    options: { prune?: boolean; onProgress?: OnProgress },
    started: number,
  ): Promise<ApplyReport> {
    const { redis, keys } = this.context;
    // Ownership is checked for every task before anything is written, so a refused config
    // leaves nothing half-applied. A task started since the scan is caught at its start (below).
    const running = await this.runningTaskQueues();
    config.tasks.forEach((task, i) => {
      const queue = running.get(task.taskId);
      if (queue !== undefined && !ownsQueue(this.context, queue)) throw this.foreignTaskError(task.taskId, i, queue);
    });
    const hashes = config.tasks.map((task) => specHash(task));
    const appliedHashes = await this.appliedSpecs.read(config.tasks.map((task) => task.taskId));
    await this.parts.deployment.ensureSearchAttributes();
    await redis.set(keys.config(), JSON.stringify(config));
    let applied = 0;
    const tasks: ApplyReport['tasks'] = await mapLimit(config.tasks, this.context.applyConcurrency, async (task, i) => {
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
      await writeOverWrongType(redis, keys.plannedIntervals(), () => redis.hdel(keys.plannedIntervals(), ...chunk));
    }
    // The optimiser's self-tuned cycle came from the old config's keys: the new one starts from its own TTLs.
    await redis.del(keys.optimizerTuning());
    await this.parts.optimizer.notify();
    if (config.userPreload) await this.parts.logins.shareSkipWindow(config.userPreload.skipIfWarmedWithinMinutes);
    if (options.prune) {
      const wanted = new Set(config.tasks.map((task) => task.taskId));
      const stale = [...running]
        .filter(([taskId, queue]) => ownsQueue(this.context, queue) && !wanted.has(taskId))
        .map(([taskId]) => taskId)
        .sort();
      await mapLimit(stale, this.context.concurrency, async (taskId) => {
        try {
          await this.parts.tasks.remove(taskId, 'pruned by apply');
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
    for await (const execution of this.context.temporal.workflow.list({ query })) {
      const taskId = taskIdFromWorkflowId(execution.workflowId, this.context.instance);
      if (taskId !== undefined) running.set(taskId, execution.taskQueue);
    }
    return running;
  }

  private foreignTaskError(taskId: string, index: number, queue: string): ConfigError {
    return new ConfigError(
      `tasks[${index}].taskId: "${taskId}" belongs to another deployment (task queue ${queue}, not ${this.context.taskQueue})`,
    );
  }

  /**
   * One Temporal call per task: an update of a running task, else a start that fails if the
   * workflow exists after all (started since the scan), in which case its owner is checked and it
   * is updated instead.
   */
  private async applyTask(spec: TaskSpec, index: number, running: boolean): Promise<ApplyReport['tasks'][number]> {
    const { temporal } = this.context;
    const workflowId = taskWorkflowId(spec.taskId, this.context.instance);
    if (!running) {
      try {
        await temporal.workflow.start(warmTaskWorkflow, {
          workflowId,
          // Critical tasks run on the critical queue, where their warms use the reserved slots.
          taskQueue: taskWorkflowQueue(this.context.taskQueue, isCritical(spec)),
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
        const queue = await runningQueue(this.context, workflowId);
        if (queue !== undefined && !ownsQueue(this.context, queue))
          throw this.foreignTaskError(spec.taskId, index, queue);
      }
    }
    const handle = temporal.workflow.getHandle<typeof warmTaskWorkflow>(workflowId);
    const result = await withWorker(
      this.context,
      handle.executeUpdate(applyTaskUpdate, { args: [spec] }),
      `apply ${spec.taskId}`,
    ).catch((err: unknown) => {
      throw updateError(err, `apply ${spec.taskId}`);
    });
    return result.changed
      ? { taskId: spec.taskId, action: 'updated', fields: result.fields }
      : { taskId: spec.taskId, action: 'unchanged' };
  }
}

/** Keys per Redis command when reading or deleting many hash fields. */
const REDIS_CHUNK = 1000;
