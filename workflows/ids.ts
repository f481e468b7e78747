// Workflow ids and task queue names: built here and only here, never by concatenation at call sites.

const TASK_PREFIX = 'warm-task:';

/** The long-running optimiser workflow's id. */
export const OPTIMIZER_WORKFLOW_ID = 'warm-optimizer';

/** `warm-task:<taskId>`: the one workflow that owns a task's schedule. */
export function taskWorkflowId(taskId: string): string {
  return `${TASK_PREFIX}${taskId}`;
}

/** The task id inside a `warm-task:` workflow id, or undefined for other ids. */
export function taskIdFromWorkflowId(workflowId: string): string | undefined {
  return workflowId.startsWith(TASK_PREFIX) ? workflowId.slice(TASK_PREFIX.length) : undefined;
}

/** `user-session:<userId>`: the per-user workflow that receives `userLoggedIn`. */
export function userSessionWorkflowId(userId: string): string {
  return `user-session:${userId}`;
}

/** Critical warms run on their own queue, derived from the main one, with reserved worker slots. */
export function criticalTaskQueue(mainTaskQueue: string): string {
  return `${mainTaskQueue}-critical`;
}

/** `rewarm:<match>:<nonce>`: a bulk warm re-warming invalidated keys of one pattern (the caller makes `nonce` unique). */
export function bulkRewarmWorkflowId(match: string, nonce: string): string {
  return `rewarm:${match}:${nonce}`;
}
