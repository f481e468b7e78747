// How a running task workflow takes a new spec (the `applyTask` update): checked against the same
// schema as `warmctl apply`, parsed with its defaults, compared field by field. The schema is
// loaded on first use, so only a workflow that receives applyTask builds zod.
import type * as ConfigSchema from '../core/config-schema';
import type { TaskSpec } from '../core/config-schema';
import { cacheKeyProblem } from '../core/cache-key';

/**
 * The config schema, loaded on first use. Temporal evaluates a workflow's modules once per
 * execution, and building zod and the schemas is most of that work: only a workflow that receives
 * applyTask pays for it, not every task, session and preload workflow (bench: scale-tasks, login).
 */
function configSchema(): typeof ConfigSchema {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load, see above
  return require('../core/config-schema') as typeof ConfigSchema;
}

/**
 * The update's validator: throws, naming the field, when `raw` may not replace the running task's
 * `current` spec (invalid, another task's id, or a cache key under the reserved prefix).
 */
export function checkAppliedTask(raw: unknown, current: TaskSpec, reservedPrefix: string | undefined): void {
  // The same schema as `warmctl apply`: a spec sent straight to the workflow is held to it too.
  const { taskSchema, formatZodError } = configSchema();
  const parsed = taskSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`applyTask: ${formatZodError(parsed.error, 'spec')}`);
  const next = parsed.data;
  if (next.taskId !== current.taskId) {
    throw new Error(`applyTask: spec.taskId: ${next.taskId} sent to task ${current.taskId}`);
  }
  const reserved = reservedPrefix === undefined ? undefined : cacheKeyProblem(next.cacheKey, [reservedPrefix]);
  if (reserved) throw new Error(`applyTask: spec.cacheKey: ${reserved}`);
}

/**
 * The spec the validator accepted, parsed again in the handler (validators do not run on replay) so
 * the spec used has its defaults applied.
 */
export function parseAppliedTask(raw: unknown): TaskSpec {
  return configSchema().taskSchema.parse(raw);
}

/** The fields of a task spec that differ between `current` and `next`, sorted. */
export function changedFields(current: TaskSpec, next: TaskSpec): string[] {
  const keys = new Set([...Object.keys(current), ...Object.keys(next)] as (keyof TaskSpec)[]);
  return [...keys].filter((key) => JSON.stringify(current[key]) !== JSON.stringify(next[key])).sort();
}
