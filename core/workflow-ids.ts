// Workflow ids and task queue names: built here and only here, never by concatenation at call sites.
// Each is within Temporal's id limit whatever the outside input it holds (core/temporal-limits.ts).
import { boundedId, TEMPORAL_LIMITS, utf8Bytes } from './temporal-limits';

const TASK_PREFIX = 'warm-task:';

/** The long-running optimiser workflow's id (of the deployment with no instance name). */
export const OPTIMIZER_WORKFLOW_ID = 'warm-optimizer';

/**
 * Longest instance name, in UTF-8 bytes: `<instance>/warm-task:<taskId>` with a 128-byte task id,
 * and the bulk ids' heads, stay well within Temporal's 255-byte id limit.
 */
export const MAX_INSTANCE_BYTES = 64;

/**
 * Why `name` cannot be an instance name (WARMING_INSTANCE), or undefined. No `/` or `:`, so the
 * instance and the id after it never run into each other.
 */
export function instanceProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
    return `must be letters, digits, . _ - starting with a letter or digit (got "${name}")`;
  const bytes = utf8Bytes(name);
  if (bytes > MAX_INSTANCE_BYTES) return `must be at most ${MAX_INSTANCE_BYTES} bytes (got ${bytes})`;
  return undefined;
}

/** `<instance>/` in front of every workflow id an instance creates; nothing for the default deployment. */
function instanceHead(instance: string | undefined): string {
  return instance === undefined ? '' : `${instance}/`;
}

/**
 * `warm-task:<taskId>`, or `<instance>/warm-task:<taskId>` for a named instance: the one workflow
 * that owns a task's schedule.
 */
export function taskWorkflowId(taskId: string, instance?: string): string {
  return `${instanceHead(instance)}${TASK_PREFIX}${taskId}`;
}

/** The task id inside a task workflow id of `instance` (none: the default deployment's), or undefined for other ids. */
export function taskIdFromWorkflowId(workflowId: string, instance?: string): string | undefined {
  const head = `${instanceHead(instance)}${TASK_PREFIX}`;
  return workflowId.startsWith(head) ? workflowId.slice(head.length) : undefined;
}

/**
 * The optimiser's id unless WARMING_OPTIMIZER_ID overrides it: `warm-optimizer`, or
 * `<instance>/warm-optimizer` for a named instance.
 */
export function defaultOptimizerWorkflowId(instance?: string): string {
  return `${instanceHead(instance)}${OPTIMIZER_WORKFLOW_ID}`;
}

/** `user-session:<userId>`: the per-user workflow that receives `userLoggedIn`. */
export function userSessionWorkflowId(userId: string): string {
  return `user-session:${userId}`;
}

/**
 * `user-logins:<taskQueue>:<shard>`: the long-running receiver of the logins of one shard of users.
 * The task queue is in the id so deployments sharing a namespace never share a shard.
 */
export function userLoginsWorkflowId(taskQueue: string, shard: number): string {
  return `user-logins:${taskQueue}:${shard}`;
}

/**
 * Longest main task queue name, in UTF-8 bytes: room for `-critical` and `user-logins:<queue>:<shard>`
 * within Temporal's 255-byte id limit.
 */
export const MAX_TASK_QUEUE_BYTES = 200;

/** Why `name` cannot be a deployment's main task queue, or undefined. */
export function taskQueueProblem(name: string): string | undefined {
  if (name.trim() === '' || /[\s\p{Cc}]/u.test(name))
    return 'must be non-empty, without whitespace or control characters';
  const bytes = utf8Bytes(name);
  if (bytes > MAX_TASK_QUEUE_BYTES) return `must be at most ${MAX_TASK_QUEUE_BYTES} bytes (got ${bytes})`;
  return undefined;
}

const CRITICAL_SUFFIX = '-critical';

/** Critical warms run on their own queue, derived from the main one, with reserved worker slots. */
export function criticalTaskQueue(mainTaskQueue: string): string {
  return `${mainTaskQueue}${CRITICAL_SUFFIX}`;
}

/**
 * Whether activities on `taskQueue` are critical warms: the critical queue is `<main>-critical`.
 * A main queue that itself ends in `-critical` makes its loads critical too (no worse than before:
 * they still go ahead of bulk work).
 */
export function isCriticalTaskQueue(taskQueue: string): boolean {
  return taskQueue.endsWith(CRITICAL_SUFFIX);
}

/** The main queue of a deployment, from either of its queues. */
export function mainTaskQueue(taskQueue: string): string {
  return taskQueue.endsWith(CRITICAL_SUFFIX) ? taskQueue.slice(0, -CRITICAL_SUFFIX.length) : taskQueue;
}

/** Where a task's workflow belongs: critical tasks on the critical queue (their warms then use its reserved slots). */
export function taskWorkflowQueue(mainQueue: string, critical: boolean): string {
  return critical ? criticalTaskQueue(mainQueue) : mainQueue;
}

/**
 * `[<instance>/]rewarm:<match>:<nonce>`: a bulk warm re-warming invalidated keys of one pattern
 * (the caller makes `nonce` unique).
 */
export function bulkRewarmWorkflowId(match: string, nonce: string, instance?: string): string {
  return boundedId(`${instanceHead(instance)}rewarm:`, match, `:${nonce}`, TEMPORAL_LIMITS.idBytes);
}

/**
 * `[<instance>/]import:<template>:<nonce>`: a bulk warm of keys `warmctl import` read (the caller
 * makes `nonce` unique).
 */
export function bulkImportWorkflowId(template: string, nonce: string, instance?: string): string {
  return boundedId(`${instanceHead(instance)}import:`, template, `:${nonce}`, TEMPORAL_LIMITS.idBytes);
}
