// What makes a task critical; kept free of zod so workflow code can import it cheaply.

/** Priority at or above which a task counts as critical even without `critical: true`. */
export const CRITICAL_PRIORITY = 50;

/** Critical tasks are warmed first, on their own queue: `critical: true` or priority >= 50. */
export function isCritical(task: { critical: boolean; priority: number }): boolean {
  return task.critical || task.priority >= CRITICAL_PRIORITY;
}

/** Suffix of the critical task queue derived from the main one (`workflows/ids.ts` criticalTaskQueue). */
const CRITICAL_QUEUE_SUFFIX = '-critical';

/**
 * Whether activities on `taskQueue` are critical warms: the critical queue is `<main>-critical`.
 * A main queue that itself ends in `-critical` makes its loads critical too (no worse than before:
 * they still go ahead of bulk work).
 */
export function isCriticalTaskQueue(taskQueue: string): boolean {
  return taskQueue.endsWith(CRITICAL_QUEUE_SUFFIX);
}
