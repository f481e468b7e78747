// The warming client's fleet operations: warm or pause every task a visibility query selects, fanned
// out by Temporal's batch jobs where the server runs them, task by task where it does not.
import { randomUUID } from 'node:crypto';
import { mapLimit } from '../core/map-limit';
import {
  and,
  batchOutcomeClause,
  CRITICAL_CLAUSE,
  criticalClause,
  runningTasksQuery,
  tagsClause,
} from '../core/visibility-query';
import {
  forceWarmSignal,
  pauseSignal,
  resumeSignal,
  taskIdFromWorkflowId,
  WARM_CRITICAL,
  WARM_PRIORITY,
  type TaskStatus,
} from '../workflows';
import type { TaskWarmReport, WarmRunReport } from '../cache/key-rewarmer';
import { signalByQuery } from './batch-signal';
import { positiveInteger, type DeploymentContext } from './deployment-context';
import type { DeploymentControl } from './deployment-control';
import type { TaskControl } from './task-control';

/** Reports how far a bulk operation got: `done` of `total` items. */
export type OnProgress = (done: number, total: number) => void;

/** Options of a fleet warm. */
export interface FleetWarmOptions {
  /** Client-side fan-out where the server runs no batch job. @default the client's concurrency */
  parallel?: number;
  /** False: return once every task is signalled. @default true */
  wait?: boolean;
  onProgress?: OnProgress;
}

/** Every task of the deployment at once, or every task with a tag. */
export class FleetControl {
  constructor(
    private readonly context: DeploymentContext,
    private readonly tasks: TaskControl,
    private readonly deployment: DeploymentControl,
  ) {}

  /**
   * Warms every task carrying `tag`: a fleet operation (see `warm`), critical tasks signalled
   * first. `parallel` bounds the client's own fan-out where the server runs no batch job.
   */
  warmByTag(tag: string, options: FleetWarmOptions = {}): Promise<WarmRunReport> {
    return this.warm(tagsClause([tag]), `tag ${tag}`, options);
  }

  /** Warms every critical task, highest priority first where the client fans out (see `warm`). */
  warmCritical(options: FleetWarmOptions = {}): Promise<WarmRunReport> {
    return this.warm(CRITICAL_CLAUSE, 'critical pass', options);
  }

  /** Pauses (or resumes) every task carrying `tag` with one batch signal; resolves once all are signalled. */
  async pauseByTag(
    tag: string,
    paused: boolean,
    options: { onProgress?: OnProgress } = {},
  ): Promise<{ signalled: number; mode: 'batch' | 'client' }> {
    const result = await signalByQuery(this.context.temporal, {
      query: runningTasksQuery(this.context.taskQueue, tagsClause([tag])),
      signal: (paused ? pauseSignal : resumeSignal).name,
      reason: `warmctl ${paused ? 'pause' : 'resume'} --tag ${tag}`,
      parallel: this.context.concurrency,
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
  async warm(filter: string, reason: string, options: FleetWarmOptions = {}): Promise<WarmRunReport> {
    const { temporal, workerTimeoutMs } = this.context;
    const parallel = positiveInteger('parallel', options.parallel ?? this.context.concurrency);
    if (!(await this.deployment.recordsBatchResults())) {
      return this.warmEach(await this.tasks.list(filter), reason, { ...options, parallel: options.parallel ?? 1 });
    }
    const started = Date.now();
    const scope = runningTasksQuery(this.context.taskQueue, filter);
    const batch = `b-${randomUUID()}`;
    const parts = [and(scope, criticalClause(true)), and(scope, criticalClause(false))];
    let signalled = 0;
    for (const query of parts) {
      if ((await temporal.workflow.count(query)).count === 0) continue;
      const base = signalled;
      const result = await signalByQuery(temporal, {
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
    while (done < signalled && Date.now() - progressAtMs < 2 * workerTimeoutMs) {
      const [ok, failed] = await Promise.all([
        temporal.workflow.count(resultQuery('ok')),
        temporal.workflow.count(resultQuery('failed')),
      ]);
      if (ok.count + failed.count > done) progressAtMs = Date.now();
      done = ok.count + failed.count;
      options.onProgress?.(done, signalled);
      if (done < signalled) await new Promise((resolve) => setTimeout(resolve, FLEET_POLL_MS));
    }
    const results = [
      ...(await this.listedResults(resultQuery('ok'), true)),
      ...(await this.listedResults(resultQuery('failed'), false)),
    ];
    if (results.length < signalled) {
      const seen = new Set(results.map((r) => r.taskId));
      for (const task of await this.listedResults(scope, false)) {
        if (!seen.has(task.taskId))
          results.push({ ...task, error: `no result within ${(2 * workerTimeoutMs) / 1000} s without progress` });
      }
    }
    results.sort((a, b) => b.priority - a.priority || a.taskId.localeCompare(b.taskId));
    const succeeded = results.filter((r) => r.ok).length;
    return { results, succeeded, failed: results.length - succeeded, totalDurationMs: Date.now() - started };
  }

  /** Warms `tasks` one `warmNow` update each, `parallel` at a time; a failure is reported, never thrown. */
  async warmEach(
    tasks: TaskStatus[],
    reason: string,
    options: { parallel?: number; wait?: boolean; onProgress?: OnProgress },
  ): Promise<WarmRunReport> {
    const parallel = positiveInteger('parallel', options.parallel ?? 1);
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

  /** The tasks a visibility query lists, as warm reports; failed ones carry their last error. */
  private async listedResults(query: string, ok: boolean): Promise<TaskWarmReport[]> {
    const reports: TaskWarmReport[] = [];
    for await (const execution of this.context.temporal.workflow.list({ query })) {
      const taskId = taskIdFromWorkflowId(execution.workflowId, this.context.instance);
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
    await mapLimit(reports.slice(0, MAX_FAILURE_DETAILS), this.context.concurrency, async (report) => {
      try {
        const status = await this.tasks.status(report.taskId);
        if (status.lastError) report.error = status.lastError;
        if (status.lastResult && !status.lastResult.ok) report.durationMs = status.lastResult.durationMs;
      } catch {
        // removed meanwhile: the report says failed without a reason
      }
    });
    return reports;
  }

  /** One task's warm in a bulk run: a failure is reported in the result, never thrown. */
  private async warmOne(task: TaskStatus, reason: string, wait: boolean | undefined): Promise<TaskWarmReport> {
    const base = { taskId: task.taskId, priority: task.priority, critical: task.critical };
    const taskStarted = Date.now();
    try {
      const outcome = await this.tasks.warm(task.taskId, { reason, wait });
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
}

/** How often a fleet warm counts its results. */
const FLEET_POLL_MS = 500;
/** Failed tasks of a fleet warm whose error is looked up (a status query each). */
const MAX_FAILURE_DETAILS = 100;
