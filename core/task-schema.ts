// A warming task as a zod schema (`tasks[]` of the config, and what `applyTask` and a task
// workflow's start input are held to), with its bounds.
import { z } from 'zod';
import { IDENTIFIER, keyTemplate, tags, ttlSeconds } from './config-fields';
import { loaderSchema } from './loader-schema';
import { utf8Bytes } from './temporal-limits';

/**
 * Largest task spec, as JSON: a task workflow carries its spec in every continue-as-new, and
 * Temporal refuses a payload over 2 MB.
 */
export const MAX_TASK_SPEC_BYTES = 64 * 1024;

export const taskSchema = z
  .strictObject({
    taskId: z
      .string()
      .regex(IDENTIFIER, 'taskId must be 1-128 letters, digits, . _ - (starting with a letter or digit)'),
    name: z.string().min(1).max(200).optional(),
    cacheKey: keyTemplate([]),
    loader: loaderSchema([]),
    ttlSeconds,
    tags,
    /** 0..1000; default 10. At CRITICAL_PRIORITY (50) or above a task is critical. */
    priority: z.number().int().min(0).max(1000).default(10),
    critical: z.boolean().default(false),
    /** Default 60. Fractions are allowed down to 0.01 (0.6 s) for tests and demos. */
    intervalMinutes: z
      .number()
      .min(0.01)
      .max(7 * 24 * 60)
      .default(60),
    /** Let the optimiser re-plan the interval from access frequency; default true. */
    adaptive: z.boolean().default(true),
  })
  .superRefine((task, ctx) => {
    const bytes = utf8Bytes(JSON.stringify(task));
    if (bytes > MAX_TASK_SPEC_BYTES) {
      ctx.addIssue({
        code: 'custom',
        message: `a task spec must be at most ${MAX_TASK_SPEC_BYTES} bytes as JSON (got ${bytes}); loader headers and args count`,
      });
    }
  });

/** A parsed warming task, defaults filled in (docs/configuration.md lists every field). */
export type TaskSpec = z.infer<typeof taskSchema>;
/** A warming task as written in the config, before defaults. */
export type TaskInput = z.input<typeof taskSchema>;
