// The declarative config (warming.config.json / YAML) as one zod schema, built from its sections'
// schemas (each in its own module, re-exported here): one source of truth for validation and
// types. Parsing is all-or-nothing and every error names the field.
import { z } from 'zod';
import { ConfigError, formatPath, formatZodError } from './config-error';
import { illFormedTextPath } from './well-formed-text';
import { templatesCanCollide } from './key-template';
import { optimizerSchema } from './optimizer-schema';
import { patternSchema } from './pattern-schema';
import { taskSchema, type TaskSpec } from './task-schema';
import { USER_SOURCES, userPreloadSchema } from './user-preload-schema';

export { ConfigError, formatPath, formatZodError } from './config-error';
export { describeLoader, loaderSchema, type HeaderValue, type LoaderSpec } from './loader-schema';
export { MAX_TASK_SPEC_BYTES, taskSchema, type TaskInput, type TaskSpec } from './task-schema';
export { patternSchema, type PatternSpec } from './pattern-schema';
export { userPreloadSchema, type UserPreloadSpec } from './user-preload-schema';
export {
  DEFAULT_COLD_INTERVAL_MINUTES,
  DEFAULT_INTERVAL_RULES,
  intervalRuleSchema,
  optimizerSchema,
  type IntervalRule,
  type OptimizerSpec,
} from './optimizer-schema';

export const warmingConfigSchema = z
  .strictObject({
    tasks: z.array(taskSchema).max(100_000).default([]),
    patterns: z.array(patternSchema).max(1_000).default([]),
    userPreload: userPreloadSchema.optional(),
    optimizer: optimizerSchema.default(() => optimizerSchema.parse({})),
  })
  .superRefine((config, ctx) => {
    const firstById = new Map<string, number>();
    const firstByKey = new Map<string, number>();
    config.tasks.forEach((task, i) => {
      const sameId = firstById.get(task.taskId);
      if (sameId !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['tasks', i, 'taskId'],
          message: `"${task.taskId}" is a duplicate of tasks[${sameId}]`,
        });
      } else firstById.set(task.taskId, i);
      const sameKey = firstByKey.get(task.cacheKey);
      if (sameKey !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['tasks', i, 'cacheKey'],
          message: `"${task.cacheKey}" is already owned by tasks[${sameKey}]`,
        });
      } else firstByKey.set(task.cacheKey, i);
      // A user's preload would overwrite the task's value (and the task the user's).
      for (const name of USER_SOURCES) {
        const template = config.userPreload?.[name]?.key;
        if (template !== undefined && templatesCanCollide(task.cacheKey, template)) {
          ctx.addIssue({
            code: 'custom',
            path: ['tasks', i, 'cacheKey'],
            message: `"${task.cacheKey}" is a key userPreload.${name}.key "${template}" can write for some user`,
          });
        }
      }
    });
  });

/** A parsed, validated config (`parseWarmingConfig`), defaults filled in. */
export type WarmingConfig = z.infer<typeof warmingConfigSchema>;
/** A config as written in `warming.config.json` (or YAML), before defaults. */
export type WarmingConfigInput = z.input<typeof warmingConfigSchema>;

/** Validates a whole config; throws ConfigError naming the first bad field. */
export function parseWarmingConfig(raw: unknown): WarmingConfig {
  refuseIllFormedText(raw);
  const parsed = warmingConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(formatZodError(parsed.error));
  return parsed.data;
}

/** Validates one task; throws ConfigError naming the bad field. */
export function parseTask(raw: unknown): TaskSpec {
  refuseIllFormedText(raw);
  const parsed = taskSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(formatZodError(parsed.error));
  return parsed.data;
}

/** Text with no UTF-8 form (a lone surrogate) becomes ids, keys and payloads: refused first, naming where. */
function refuseIllFormedText(raw: unknown): void {
  const path = illFormedTextPath(raw);
  if (path) {
    const at = path.length > 0 ? formatPath(path) : 'the config';
    throw new ConfigError(`${at}: must be well-formed Unicode (it has a lone surrogate)`);
  }
}
