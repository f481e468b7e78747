// A key pattern as a zod schema (`patterns[]` of the config): a `match` template the optimiser
// warms hot keys by, and a loader that may use exactly the placeholders it captures.
import { z } from 'zod';
import { keyTemplate, tags, ttlSeconds } from './config-fields';
import { templateFields } from './key-template';
import { loaderSchema } from './loader-schema';

export const patternSchema = z
  .strictObject({
    match: keyTemplate(['id', 'key', 'a', 'b', 'c', 'name', 'userId', 'formId']).refine(
      (match) => templateFields(match).length > 0,
      'match needs at least one placeholder such as {id}',
    ),
    loader: z.unknown(),
    ttlSeconds,
    tags,
    priority: z.number().int().min(0).max(1000).default(0),
  })
  .transform((pattern, ctx) => {
    // The loader may use exactly the placeholders its `match` captures.
    const parsed = loaderSchema(templateFields(pattern.match)).safeParse(pattern.loader);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        ctx.addIssue({ code: 'custom', message: issue.message, path: ['loader', ...issue.path] });
      }
      return z.NEVER;
    }
    return { ...pattern, loader: parsed.data };
  });

export type PatternSpec = z.infer<typeof patternSchema>;
