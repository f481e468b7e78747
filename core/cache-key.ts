// The rules a cached value's key follows wherever it is written (config, activities, the store):
// pure, so the config schema, activities and the store share one definition.

/** Longest cache key or key template, in UTF-16 code units (as `string.length` counts). */
export const MAX_CACHE_KEY_LENGTH = 1024;

const WHITESPACE = /\s/;
/** C0 and C1 control characters (Unicode category Cc). */
const CONTROL = /\p{Cc}/u;
/** A lone surrogate: ioredis would write U+FFFD instead, so two such keys would meet at one Redis key. */
const LONE_SURROGATE = /\p{Cs}/u;

/** `key` for a one-line message: JSON-quoted (control characters escaped), long keys shortened. */
export function quoteKey(key: string): string {
  return JSON.stringify(key.length > 80 ? `${key.slice(0, 80)}...` : key);
}

/**
 * What is wrong with `key` as the key of a cached value, as one line naming the rule, or undefined
 * when nothing is. The rules: a non-empty string of at most MAX_CACHE_KEY_LENGTH characters, no
 * whitespace, control characters or lone surrogates, and not under any of `reservedPrefixes` (the
 * deployment's `WARMING_PREFIX`, where the system keeps its own state; empty prefixes are ignored).
 */
export function cacheKeyProblem(key: unknown, reservedPrefixes: readonly string[] = []): string | undefined {
  if (typeof key !== 'string') return `key must be a string (got ${key === null ? 'null' : typeof key})`;
  if (key === '') return 'key must not be empty';
  if (key.length > MAX_CACHE_KEY_LENGTH)
    return `key ${quoteKey(key)} is ${key.length} characters long, over the limit of ${MAX_CACHE_KEY_LENGTH}`;
  if (WHITESPACE.test(key)) return `key ${quoteKey(key)} must not contain whitespace`;
  if (CONTROL.test(key)) return `key ${quoteKey(key)} must not contain control characters`;
  if (LONE_SURROGATE.test(key)) return `key ${quoteKey(key)} must not contain a lone surrogate (not valid Unicode)`;
  const reserved = reservedPrefixes.find((prefix) => prefix !== '' && key.startsWith(prefix));
  if (reserved !== undefined) return reservedKeyMessage(key, reserved);
  return undefined;
}

/** The one line a write of a value under the reserved prefix is refused with. */
export function reservedKeyMessage(key: string, prefix: string): string {
  return `key ${quoteKey(key)} is under the reserved prefix "${prefix}": cached values are never written there`;
}
