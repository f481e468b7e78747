// The declarative config (warming.config.json / YAML) as zod schemas: one source of truth for
// validation and types. Parsing is all-or-nothing and every error names the field.
import { z } from 'zod';
import { MAX_CACHE_KEY_LENGTH } from './cache-key';
import { templateFields, templateProblem, templatesCanCollide } from './key-template';
import { TEMPORAL_LIMITS, utf8Bytes } from './temporal-limits';
import { redact } from './redact';
import { oneLine } from './one-line';

const MAX_TTL_SECONDS = 10 * 365 * 24 * 3600;
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const TAG = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const LOADER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/** Checks a URL template: only `allowed` placeholders, and an http(s) URL once they are filled in. */
function urlTemplate(allowed: readonly string[]) {
  return z
    .string()
    .min(1)
    .max(2048)
    .superRefine((url, ctx) => {
      const problem = templateProblem(url, allowed);
      if (problem) return void ctx.addIssue({ code: 'custom', message: `url ${problem}` });
      let parsed: URL;
      try {
        parsed = new URL(url.replace(/\{[A-Za-z_][A-Za-z0-9_]*\}/g, 'x'));
      } catch {
        return void ctx.addIssue({ code: 'custom', message: `"${redact(url)}" is not a valid URL` });
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
        ctx.addIssue({ code: 'custom', message: `url must be http or https, got ${parsed.protocol}` });
      }
      if (parsed.username || parsed.password) {
        ctx.addIssue({ code: 'custom', message: 'url must not embed credentials; use headers' });
      }
      // A value may choose a path or query, never the server. Compared through the URL parser, not
      // by slicing text: `http:///{id}/x` puts the placeholder in the host once parsed.
      if (parsed.host !== new URL(url.replace(/\{[A-Za-z_][A-Za-z0-9_]*\}/g, 'y')).host) {
        ctx.addIssue({
          code: 'custom',
          message: 'url placeholders are allowed in the path and query only, not the host',
        });
      }
    });
}

/**
 * A header value: the value itself (carried in workflow history with the task), or
 * `{ "env": "NAME" }`, read from the worker's environment at each load, so the secret stays out
 * of history.
 */
const headerValue = z.union(
  [
    z.string().max(8192),
    z.strictObject({
      env: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must name an environment variable: letters, digits and _'),
    }),
  ],
  {
    error:
      'must be a string of at most 8192 characters, or { "env": "NAME" } naming an environment variable of the worker',
  },
);

/** A header's value as written in the config: the value, or the worker's environment variable holding it. */
export type HeaderValue = z.infer<typeof headerValue>;

/** A loader: the built-in HTTP GET, or a named function registered in the worker. */
export function loaderSchema(allowedPlaceholders: readonly string[]) {
  return z.discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('http'),
      url: urlTemplate(allowedPlaceholders),
      headers: z
        .record(z.string().regex(/^[A-Za-z0-9-]+$/, 'header names are letters, digits and -'), headerValue)
        .optional(),
      /** Per-request timeout; default 30. */
      timeoutSeconds: z.number().positive().max(600).optional(),
    }),
    z.strictObject({
      type: z.literal('custom'),
      name: z.string().regex(LOADER_NAME, 'loader name must be an identifier such as "loadCatalog"'),
      args: z.record(z.string(), z.unknown()).optional(),
      timeoutSeconds: z.number().positive().max(600).optional(),
    }),
  ]);
}

// The same rules the activities and the store apply to every key they write (core/cache-key.ts).
const keyText = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_CACHE_KEY_LENGTH)
  .refine((key) => !/\s/.test(key), 'must not contain whitespace')
  .refine((key) => !/[\p{Cc}\p{Cs}]/u.test(key), 'must not contain control characters or lone surrogates');

function keyTemplate(allowed: readonly string[]) {
  return keyText.superRefine((key, ctx) => {
    const problem = templateProblem(key, allowed);
    if (problem) ctx.addIssue({ code: 'custom', message: `key ${problem}` });
  });
}

const ttlSeconds = z.number().int('must be a whole number of seconds').positive().max(MAX_TTL_SECONDS);
const tags = z
  .array(z.string().regex(TAG, 'tags are letters, digits and . _ : - (max 64)'))
  .max(32)
  .refine(
    (list) => utf8Bytes(JSON.stringify(list)) <= TEMPORAL_LIMITS.searchAttributeValueBytes,
    `tags together must be at most ${TEMPORAL_LIMITS.searchAttributeValueBytes} bytes as JSON (a Temporal search attribute value)`,
  )
  .default([]);

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

const userSource = z.strictObject({
  loader: loaderSchema(['userId']),
  key: keyTemplate(['userId']),
  ttlSeconds,
});

export const userPreloadSchema = z
  .strictObject({
    session: userSource.optional(),
    navigation: userSource.optional(),
    forms: z
      .strictObject({
        list: loaderSchema(['userId']),
        item: loaderSchema(['userId', 'formId']),
        key: keyTemplate(['userId', 'formId']).refine((key) => key.includes('{formId}'), 'key must contain {formId}'),
        /** How many of the most recent forms to load; default 5. */
        max: z.number().int().min(1).max(100).default(5),
        ttlSeconds,
      })
      .optional(),
    /** A user preloaded this recently is skipped unless `force`; default 5. */
    skipIfWarmedWithinMinutes: z
      .number()
      .min(0)
      .max(24 * 60)
      .default(5),
    /**
     * A preload's loads still waiting for their origin this many seconds after the preload began
     * are shed (counted, never loaded): by then the user has asked already. Default 3.
     */
    shedAfterSeconds: z.number().min(0.1).max(600).default(3),
    /** A per-user workflow with no login for this long completes; default 30. */
    idleMinutes: z
      .number()
      .min(0.05)
      .max(7 * 24 * 60)
      .default(30),
  })
  .superRefine((preload, ctx) => {
    // One user's key must never be another user's (or another source's) key, whatever the ids.
    const keys = USER_SOURCES.flatMap((name) => {
      const key = preload[name]?.key;
      return key === undefined ? [] : [{ name, key }];
    });
    keys.forEach((a, i) => {
      for (const b of keys.slice(i + 1)) {
        if (templatesCanCollide(a.key, b.key)) {
          ctx.addIssue({
            code: 'custom',
            path: [b.name, 'key'],
            message: `"${b.key}" and ${a.name}.key "${a.key}" can name the same key for some ids; give each source its own literal part`,
          });
        }
      }
    });
  });

const USER_SOURCES = ['session', 'navigation', 'forms'] as const;

export const intervalRuleSchema = z.strictObject({
  /** Applies when the access frequency (per minute) is strictly above this. */
  aboveFrequency: z.number().min(0),
  intervalMinutes: z
    .number()
    .min(0.01)
    .max(7 * 24 * 60),
});

export const DEFAULT_INTERVAL_RULES = [
  { aboveFrequency: 1, intervalMinutes: 15 },
  { aboveFrequency: 0.5, intervalMinutes: 30 },
  { aboveFrequency: 0.1, intervalMinutes: 60 },
] as const;
export const DEFAULT_COLD_INTERVAL_MINUTES = 120;

/**
 * The optimiser. Hot-key warming tunes itself (core/warm-selection.ts); `everyMinutes`, `topN`,
 * `minAccessFrequency`, `expiringWithinSeconds` and `maxExtraOriginCallsPercent` are explicit
 * overrides, so they have no defaults here: absent means self-tuned.
 */
export const optimizerSchema = z.strictObject({
  /** Cycle period; absent: a tenth of the shortest TTL among the hot keys warmed, 1-15 minutes. */
  everyMinutes: z
    .number()
    .min(0.01)
    .max(24 * 60)
    .optional(),
  windowMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(60),
  patternWarming: z.boolean().default(true),
  criticalWarming: z.boolean().default(true),
  /** Fixed number of most read keys considered; absent: as many as the origin budget allows. */
  topN: z.number().int().min(0).max(100_000).optional(),
  /** Fixed floor in reads per minute; absent: a refresh must have a 20 % chance of being read. */
  minAccessFrequency: z.number().min(0).optional(),
  /** Fixed "about to expire" in seconds; absent: per key, from its reads, its TTL and the cycle. */
  expiringWithinSeconds: z.number().int().min(0).optional(),
  /** Extra origin calls hot-key warming may add, as a percentage of cache-aside's; default 20. */
  maxExtraOriginCallsPercent: z.number().min(0).max(1000).optional(),
  rules: z
    .array(intervalRuleSchema)
    .min(1)
    .default(DEFAULT_INTERVAL_RULES.map((rule) => ({ ...rule })))
    .refine(
      (rules) =>
        rules.every((rule, i) => i === 0 || (rules[i - 1] as typeof rule).aboveFrequency > rule.aboveFrequency),
      'rules must be ordered by aboveFrequency, highest first',
    ),
  coldIntervalMinutes: z
    .number()
    .min(0.01)
    .max(7 * 24 * 60)
    .default(DEFAULT_COLD_INTERVAL_MINUTES),
});

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

/** A parsed `loader`: `{ type: 'http', url, ... }` or `{ type: 'custom', name, args? }`. */
export type LoaderSpec = z.infer<ReturnType<typeof loaderSchema>>;

/**
 * A loader in one line, as a task's workflow shows it in the Temporal UI: the URL for HTTP (secret
 * query values redacted), `custom <name>` for a registered function. Next to the schema so a new
 * loader type is described where it is declared (the switch fails to compile until it is).
 */
export function describeLoader(spec: LoaderSpec): string {
  switch (spec.type) {
    case 'http':
      return redact(spec.url);
    case 'custom':
      return `custom ${spec.name}`;
  }
}
/** A parsed warming task, defaults filled in (docs/configuration.md lists every field). */
export type TaskSpec = z.infer<typeof taskSchema>;
/** A warming task as written in the config, before defaults. */
export type TaskInput = z.input<typeof taskSchema>;
export type PatternSpec = z.infer<typeof patternSchema>;
export type UserPreloadSpec = z.infer<typeof userPreloadSchema>;
export type OptimizerSpec = z.infer<typeof optimizerSchema>;
export type IntervalRule = z.infer<typeof intervalRuleSchema>;
/** A parsed, validated config (`parseWarmingConfig`), defaults filled in. */
export type WarmingConfig = z.infer<typeof warmingConfigSchema>;
/** A config as written in `warming.config.json` (or YAML), before defaults. */
export type WarmingConfigInput = z.input<typeof warmingConfigSchema>;

/** Thrown for invalid outside input; the message is one line naming the field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** `tasks[0].loader.url` from a zod issue path; a key that is not an identifier is quoted: `headers["X Y"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_$][\w$]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(clip(String(part), 64))}]`;
  }
  return out;
}

/** One line for a zod error: the first issue with its field, and how many more there are. */
export function formatZodError(error: z.ZodError, root?: string): string {
  const [first, ...rest] = error.issues;
  if (!first) return 'invalid input';
  let issuePath: PropertyKey[] = [...(root ? [root] : []), ...first.path];
  let message = first.message;
  if (first.code === 'unrecognized_keys' && first.keys.length > 0) {
    // Point at the unknown field itself: a typo never silently does nothing.
    const [key, ...others] = first.keys;
    issuePath = [...issuePath, key as string];
    message = `unknown field${others.length > 0 ? ` (and ${others.length} more unknown)` : ''}`;
  }
  const path = formatPath(issuePath);
  const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length === 1 ? '' : 's'})` : '';
  return oneLine(`${path ? `${path}: ` : ''}${clip(message, 300)}${more}`);
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Validates a whole config; throws ConfigError naming the first bad field. */
export function parseWarmingConfig(raw: unknown): WarmingConfig {
  const parsed = warmingConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(formatZodError(parsed.error));
  return parsed.data;
}

/** Validates one task; throws ConfigError naming the bad field. */
export function parseTask(raw: unknown): TaskSpec {
  const parsed = taskSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(formatZodError(parsed.error));
  return parsed.data;
}
