// Activities check every key they are asked to write before loading anything, and a store's
// refusal of a reserved key is permanent: no retry can make that write acceptable.
import { ApplicationFailure } from '@temporalio/common';
import { cacheKeyProblem } from '../core/cache-key';
import { ReservedKeyError } from '../store/reserved-key-error';
import { FailureTypes } from './loaders';

/**
 * Throws a non-retryable `BadInput` failure naming the rule when `key` may not hold a cached
 * value (core/cache-key.ts: empty, too long, whitespace or control characters, under a reserved prefix).
 */
export function checkCacheKey(key: unknown, reservedPrefixes: readonly (string | undefined)[]): void {
  const prefixes = reservedPrefixes.filter((prefix): prefix is string => typeof prefix === 'string');
  const problem = cacheKeyProblem(key, prefixes);
  if (problem) throw ApplicationFailure.nonRetryable(problem, FailureTypes.badInput);
}

/** `err` as it should fail the activity: a store's ReservedKeyError becomes a non-retryable `BadInput`. */
export function permanentKeyRefusal(err: unknown): unknown {
  return err instanceof ReservedKeyError ? ApplicationFailure.nonRetryable(err.message, FailureTypes.badInput) : err;
}
