// The `userPreload` section as a zod schema: which of a user's sources (session, navigation,
// recent forms) a login loads, where they go and when a user is skipped or shed.
import { z } from 'zod';
import { keyTemplate, ttlSeconds } from './config-fields';
import { templatesCanCollide } from './key-template';
import { loaderSchema } from './loader-schema';

/** The sources a user preload may load, in the order they are reported. */
export const USER_SOURCES = ['session', 'navigation', 'forms'] as const;

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

export type UserPreloadSpec = z.infer<typeof userPreloadSchema>;
