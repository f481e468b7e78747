// The preloadUser activity's input and its check: every field named when it is wrong, the
// settings held to the same schema as `warmctl apply`'s userPreload section.
import { formatZodError, userPreloadSchema, type UserPreloadSpec } from '../core/config-schema';
import type { LoadRetryPolicy } from '../core/load-retry';
import { userIdProblem } from '../core/user-login';

export interface PreloadUserInput {
  userId: string;
  /**
   * The applied `userPreload` section: which sources, loaders, keys and TTLs. When absent the
   * activity reads the applied config itself, so a re-applied config takes effect at the next login.
   */
  settings?: UserPreloadSpec;
  /** A key that expands under this prefix is refused (a failure of that key); default the worker's prefix. */
  reservedPrefix?: string;
  /** Load the recent forms too. */
  preloadForms: boolean;
  /** Forms loading at once (the per-origin limiter still applies); a positive integer. */
  formsConcurrency: number;
  retry: LoadRetryPolicy;
}

/**
 * The input, parsed once: the input with its settings as the schema reads them (every default
 * applied, so settings sent without `shedAfterSeconds` get the config's default deadline), or why
 * it is not a valid preloadUser input, naming the field.
 */
export function parsePreloadUserInput(
  input: PreloadUserInput,
): { input: PreloadUserInput; problem?: undefined } | { input?: undefined; problem: string } {
  const problem = checkFields(input);
  if (problem) return { problem };
  if (input.settings === undefined) return { input };
  const settings = userPreloadSchema.safeParse(input.settings);
  if (!settings.success) return { problem: formatZodError(settings.error, 'settings') };
  return { input: { ...input, settings: settings.data } };
}

/** Why `input` is not a valid preloadUser input, naming the field; undefined when it is. */
export function preloadUserInputProblem(input: PreloadUserInput): string | undefined {
  return parsePreloadUserInput(input).problem;
}

/** The fields besides the settings, checked in order; the first problem, naming its field. */
function checkFields(input: PreloadUserInput): string | undefined {
  const problem = userIdProblem(input.userId);
  if (problem) return problem;
  if (input.reservedPrefix !== undefined && typeof input.reservedPrefix !== 'string')
    return 'reservedPrefix must be a string';
  if (typeof input.preloadForms !== 'boolean') return 'preloadForms must be true or false';
  if (!Number.isInteger(input.formsConcurrency) || input.formsConcurrency < 1)
    return `formsConcurrency must be a positive integer (got ${input.formsConcurrency})`;
  const retry = input.retry as Partial<LoadRetryPolicy> | undefined;
  if (!retry || !Number.isInteger(retry.maximumAttempts) || (retry.maximumAttempts as number) < 1)
    return `retry.maximumAttempts must be a positive integer (got ${retry?.maximumAttempts})`;
  for (const field of ['initialIntervalMs', 'maximumIntervalMs'] as const) {
    const value = retry[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      return `retry.${field} must be a number of ms, at least 0 (got ${value})`;
  }
  if (typeof retry.backoffCoefficient !== 'number' || !(retry.backoffCoefficient >= 1))
    return `retry.backoffCoefficient must be at least 1 (got ${retry.backoffCoefficient})`;
  return undefined;
}
