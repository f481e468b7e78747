// The `optimizer` section as a zod schema: the interval rules adaptive tasks are re-planned by
// (with the contract's default table) and the hot-key warming overrides.
import { z } from 'zod';

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

export type OptimizerSpec = z.infer<typeof optimizerSchema>;
export type IntervalRule = z.infer<typeof intervalRuleSchema>;
