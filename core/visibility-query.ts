// Every Temporal visibility query the clients and the worker send, built here and only here:
// quoting, a deployment's queues, and the listings each command needs. A query that forgot the
// deployment's queues would reach another deployment's workflows in a shared namespace.
import { criticalTaskQueue } from './workflow-ids';

/** Workflow type names the queries select by (test/unit/visibility-query.test.ts checks them against the workflows). */
export const WORKFLOW_TYPES = {
  task: 'warmTaskWorkflow',
  loginShard: 'userLoginsWorkflow',
  preload: 'preloadUserWorkflow',
} as const;

/** Quotes a value for a Temporal visibility query. */
export function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function time(ms: number): string {
  return quote(new Date(ms).toISOString());
}

/** A clause matching a deployment's workflows: on its main or its critical queue. */
export function taskQueuesClause(taskQueue: string): string {
  return `(TaskQueue = ${quote(taskQueue)} OR TaskQueue = ${quote(criticalTaskQueue(taskQueue))})`;
}

/** Task workflows carrying any of `tags` (at least one). */
export function tagsClause(tags: readonly string[]): string {
  if (tags.length === 0) throw new Error('tagsClause needs at least one tag');
  const clauses = tags.map((tag) => `WarmTags = ${quote(tag)}`);
  return clauses.length === 1 ? (clauses[0] as string) : `(${clauses.join(' OR ')})`;
}

/** Critical task workflows. */
export const CRITICAL_CLAUSE = 'WarmCritical = true';

/** Task workflows that are critical, or that are not. */
export function criticalClause(critical: boolean): string {
  return critical ? CRITICAL_CLAUSE : 'WarmCritical = false';
}

/** Task workflows that recorded a fleet warm's outcome (`WarmBatches` holds `<batch>:ok` or `<batch>:failed`). */
export function batchOutcomeClause(batch: string, outcome: 'ok' | 'failed'): string {
  return `WarmBatches = ${quote(`${batch}:${outcome}`)}`;
}

/** Both clauses, or the first alone. */
export function and(query: string, clause?: string): string {
  return clause ? `${query} AND ${clause}` : query;
}

/** A deployment's running task workflows, optionally narrowed by a clause of this module. */
export function runningTasksQuery(taskQueue: string, filter?: string): string {
  return and(
    `WorkflowType = ${quote(WORKFLOW_TYPES.task)} AND ExecutionStatus = 'Running' AND ${taskQueuesClause(taskQueue)}`,
    filter,
  );
}

/** Every task workflow of the namespace, running or closed (the history capture reads them all). */
export function allTasksQuery(): string {
  return `WorkflowType = ${quote(WORKFLOW_TYPES.task)}`;
}

/** Running task workflows of every queue in the namespace (which ids are the caller's, it tells by parsing them). */
export function runningTasksAnywhereQuery(): string {
  return `WorkflowType = ${quote(WORKFLOW_TYPES.task)} AND ExecutionStatus = 'Running'`;
}

/** A deployment's task workflow runs that may hold warms in a window: running, or closed since `sinceMs`. */
export function taskRunsQuery(
  taskQueue: string,
  options: { workflowId?: string; tag?: string; sinceMs?: number } = {},
): string {
  const clauses = [`WorkflowType = ${quote(WORKFLOW_TYPES.task)}`, taskQueuesClause(taskQueue)];
  if (options.workflowId !== undefined) clauses.push(`WorkflowId = ${quote(options.workflowId)}`);
  if (options.tag !== undefined) clauses.push(tagsClause([options.tag]));
  if (options.sinceMs !== undefined)
    clauses.push(`(ExecutionStatus = 'Running' OR CloseTime >= ${time(options.sinceMs)})`);
  return clauses.join(' AND ');
}

/**
 * A deployment's task workflow runs that started or closed at or after `sinceMs`: what changed in
 * visibility since a kept listing (client/run-catalogue.ts). The status is spelled out because SQL
 * visibility matches a running workflow's absent close time as later than any time.
 */
export function changedTaskRunsQuery(taskQueue: string, sinceMs: number): string {
  const since = time(sinceMs);
  return `${taskRunsQuery(taskQueue)} AND (StartTime >= ${since} OR (ExecutionStatus != 'Running' AND CloseTime >= ${since}))`;
}

/** A deployment's running login shards (they run on its main queue). */
export function runningLoginShardsQuery(taskQueue: string): string {
  return `WorkflowType = ${quote(WORKFLOW_TYPES.loginShard)} AND ExecutionStatus = 'Running' AND TaskQueue = ${quote(taskQueue)}`;
}

/** A deployment's closed user preloads, closed since `sinceMs` when given. */
export function closedPreloadsQuery(taskQueue: string, sinceMs?: number): string {
  const clauses = [
    `WorkflowType = ${quote(WORKFLOW_TYPES.preload)}`,
    `TaskQueue = ${quote(taskQueue)}`,
    `ExecutionStatus != 'Running'`,
  ];
  if (sinceMs !== undefined) clauses.push(`CloseTime >= ${time(sinceMs)}`);
  return clauses.join(' AND ');
}

/** Every running workflow of a deployment, of any type, on either of its queues. */
export function runningOnDeploymentQuery(taskQueue: string): string {
  return `ExecutionStatus = 'Running' AND ${taskQueuesClause(taskQueue)}`;
}

/** Every running workflow on one queue. */
export function runningOnQueueQuery(queue: string): string {
  return `ExecutionStatus = 'Running' AND TaskQueue = ${quote(queue)}`;
}
