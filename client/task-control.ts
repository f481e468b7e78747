// The warming client's tasks: list them, read one's status, warm it now, pause, resume, remove.
import { WorkflowUpdateStage } from '@temporalio/client';
import { mapLimit } from '../core/map-limit';
import { runningTasksQuery } from '../core/visibility-query';
import {
  forceWarmSignal,
  MAX_REASON_LENGTH,
  pauseSignal,
  removeSignal,
  resumeSignal,
  statusQuery,
  taskIdFromWorkflowId,
  warmNowUpdate,
  type TaskStatus,
  type WarmOutcome,
} from '../workflows';
import {
  runningTaskHandle,
  TaskNotFoundError,
  updateWhenAccepted,
  withWorker,
  type DeploymentContext,
} from './deployment-context';

/** One deployment's task workflows, each reached through its own id. */
export class TaskControl {
  constructor(private readonly context: DeploymentContext) {}

  /** Ids of this task queue's running task workflows, optionally filtered by a visibility query clause. */
  async listIds(filter?: string): Promise<string[]> {
    // Only this deployment's tasks: others may share the namespace on their own task queue.
    const ids: string[] = [];
    const query = runningTasksQuery(this.context.taskQueue, filter);
    for await (const execution of this.context.temporal.workflow.list({ query })) {
      const taskId = taskIdFromWorkflowId(execution.workflowId, this.context.instance);
      if (taskId !== undefined) ids.push(taskId);
    }
    return ids.sort();
  }

  /** Status of every running task, sorted by priority (highest first), then id. */
  async list(filter?: string): Promise<TaskStatus[]> {
    const ids = await this.listIds(filter);
    const statuses = await mapLimit(ids, this.context.concurrency, async (taskId) => {
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
    const handle = await runningTaskHandle(this.context, taskId);
    return withWorker(this.context, handle.query(statusQuery), `status of ${taskId}`);
  }

  /** Forces a warm now. With `wait` (default) resolves with its outcome; else returns at once. */
  async warm(taskId: string, options: { reason?: string; wait?: boolean } = {}): Promise<WarmOutcome | undefined> {
    const handle = await runningTaskHandle(this.context, taskId);
    const payload = options.reason ? { reason: options.reason.slice(0, MAX_REASON_LENGTH) } : {};
    if (options.wait === false) {
      await handle.signal(forceWarmSignal, payload);
      return undefined;
    }
    return updateWhenAccepted(
      this.context,
      handle.startUpdate(warmNowUpdate, { args: [payload], waitForStage: WorkflowUpdateStage.ACCEPTED }),
      `warm ${taskId}`,
    );
  }

  /** Pauses a task's schedule: no warms until `resume` (a forced warm still runs). */
  async pause(taskId: string): Promise<void> {
    await (await runningTaskHandle(this.context, taskId)).signal(pauseSignal);
  }

  /** Resumes a paused task's schedule. */
  async resume(taskId: string): Promise<void> {
    await (await runningTaskHandle(this.context, taskId)).signal(resumeSignal);
  }

  /** Stops a task's schedule; resolves with its final status once the workflow has completed. */
  async remove(taskId: string, reason?: string): Promise<TaskStatus> {
    const handle = await runningTaskHandle(this.context, taskId);
    await handle.signal(removeSignal, reason ? { reason: reason.slice(0, MAX_REASON_LENGTH) } : {});
    return withWorker(this.context, handle.result(), `remove ${taskId}`);
  }
}
