// The field schemas the config's sections share: cache keys and key templates, TTLs, tags and
// identifiers, each with the same rules (and messages) wherever it appears.
import { z } from 'zod';
import { MAX_CACHE_KEY_LENGTH } from './cache-key';
import { templateProblem } from './key-template';
import { TEMPORAL_LIMITS, utf8Bytes } from './temporal-limits';

const MAX_TTL_SECONDS = 10 * 365 * 24 * 3600;
const TAG = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** A task id: 1-128 letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
export const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

// The same rules the activities and the store apply to every key they write (core/cache-key.ts).
const keyText = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_CACHE_KEY_LENGTH)
  .refine((key) => !/\s/.test(key), 'must not contain whitespace')
  .refine((key) => !/[\p{Cc}\p{Cs}]/u.test(key), 'must not contain control characters or lone surrogates');

/** A cache key, or a key template whose placeholders are among `allowed`. */
export function keyTemplate(allowed: readonly string[]) {
  return keyText.superRefine((key, ctx) => {
    const problem = templateProblem(key, allowed);
    if (problem) ctx.addIssue({ code: 'custom', message: `key ${problem}` });
  });
}

export const ttlSeconds = z.number().int('must be a whole number of seconds').positive().max(MAX_TTL_SECONDS);

export const tags = z
  .array(z.string().regex(TAG, 'tags are letters, digits and . _ : - (max 64)'))
  .max(32)
  .refine(
    (list) => utf8Bytes(JSON.stringify(list)) <= TEMPORAL_LIMITS.searchAttributeValueBytes,
    `tags together must be at most ${TEMPORAL_LIMITS.searchAttributeValueBytes} bytes as JSON (a Temporal search attribute value)`,
  )
  .default([]);
