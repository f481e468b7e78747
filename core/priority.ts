// What makes a task critical; kept free of zod so workflow code can import it cheaply.

/** Priority at or above which a task counts as critical even without `critical: true`. */
export const CRITICAL_PRIORITY = 50;

/** Critical tasks are warmed first, on their own queue: `critical: true` or priority >= 50. */
export function isCritical(task: { critical: boolean; priority: number }): boolean {
  return task.critical || task.priority >= CRITICAL_PRIORITY;
}
