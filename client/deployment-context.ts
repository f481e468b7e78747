// What every part of the warming client works with: the deployment's Temporal client, Redis, task
// queue and ids, and the rules for reaching its running workflows (its own queues only, a worker
// that must answer within workerTimeoutMs).
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
  type WorkflowUpdateHandle,
} from '@temporalio/client';
import type { Cluster, Redis } from 'ioredis';
import type { RedisCacheStore } from '../store/redis-cache-store';
import type { RedisKeys } from '../store/redis-keys';
import { criticalTaskQueue, taskWorkflowId, type warmTaskWorkflow } from '../workflows';

/** One deployment as the warming client's parts see it. */
export interface DeploymentContext {
  /** The Temporal client its workflows are started, signalled and queried through. */
  readonly temporal: Client;
  /** Redis, for the applied config, tags and cached values. */
  readonly redis: Redis | Cluster;
  readonly keys: RedisKeys;
  readonly store: RedisCacheStore;
  /** The deployment's main task queue. */
  readonly taskQueue: string;
  /** The instance name in front of its workflow ids (`<instance>/warm-task:<taskId>`), or undefined. */
  readonly instance: string | undefined;
  readonly optimizerWorkflowId: string;
  readonly workerTimeoutMs: number;
  readonly concurrency: number;
  readonly applyConcurrency: number;
  /** Logs a warning once per message. */
  warnOnce(message: string): void;
}

/** Thrown when a task id names no running task. */
export class TaskNotFoundError extends Error {
  override readonly name = 'TaskNotFoundError';
  constructor(readonly taskId: string) {
    super(`no task "${taskId}" is scheduled (apply a config that has it first)`);
  }
}

/** Whether a workflow on `queue` is this deployment's (its main or critical queue). */
export function ownsQueue(context: DeploymentContext, queue: string): boolean {
  return queue === context.taskQueue || queue === criticalTaskQueue(context.taskQueue);
}

/** The task queue of the running workflow with this id, or undefined when none runs. */
export async function runningQueue(context: DeploymentContext, workflowId: string): Promise<string | undefined> {
  try {
    const description = await context.temporal.workflow.getHandle(workflowId).describe();
    return description.status.name === 'RUNNING' ? description.taskQueue : undefined;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** The task's running workflow; a task of another deployment (task queue) is refused, never touched. */
export async function runningTaskHandle(
  context: DeploymentContext,
  taskId: string,
): Promise<WorkflowHandle<typeof warmTaskWorkflow>> {
  const workflowId = taskWorkflowId(taskId, context.instance);
  const queue = await runningQueue(context, workflowId);
  if (queue === undefined) throw new TaskNotFoundError(taskId);
  if (!ownsQueue(context, queue)) {
    throw new Error(`task ${taskId} belongs to another deployment (task queue ${queue}, not ${context.taskQueue})`);
  }
  return context.temporal.workflow.getHandle<typeof warmTaskWorkflow>(workflowId);
}

export async function isRunning(handle: WorkflowHandle): Promise<boolean> {
  try {
    return (await handle.describe()).status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** `work`, or an error saying no worker answered on the deployment's queue within workerTimeoutMs. */
export async function withWorker<T>(context: DeploymentContext, work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `${what}: no worker answered on task queue ${context.taskQueue} within ${context.workerTimeoutMs} ms (is a worker running?)`,
          ),
        ),
      context.workerTimeoutMs,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Sends an update, waiting at most workerTimeoutMs for a worker to accept it, then as long as
 * the work takes (a cycle over 10 000 keys is slow, not stuck).
 */
export async function updateWhenAccepted<Ret>(
  context: DeploymentContext,
  started: Promise<WorkflowUpdateHandle<Ret>>,
  what: string,
): Promise<Ret> {
  try {
    const accepted = await withWorker(context, started, what);
    return await accepted.result();
  } catch (err) {
    throw updateError(err, what);
  }
}

/**
 * An update's failure as one line: the workflow's own reason (a validator's rejection, the
 * handler's ApplicationFailure) instead of "Workflow Update failed", with the original as cause.
 */
export function updateError(err: unknown, what: string): unknown {
  if (!(err instanceof WorkflowUpdateFailedError) || !(err.cause instanceof Error)) return err;
  return new Error(`${what}: ${err.cause.message}`, { cause: err });
}

/** `value` when it is a positive integer, else an Error naming the option. */
export function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer (got ${value})`);
  return value;
}
