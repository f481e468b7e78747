// A CacheStore whose value writes are spans (`cache write`, client spans to Redis), for workers
// with tracing on; every other call goes straight to the store it wraps.
import { SpanKind } from '@opentelemetry/api';
import type { CacheStore, WriteEntry, WriteOutcome } from '../store/cache-store';
import { withSpan } from './with-span';

/** Attributes of a write span: keys and sizes, never a value. */
function entryAttributes(entries: readonly WriteEntry[]) {
  const bytes = entries.reduce(
    (sum, e) => sum + (typeof e.value === 'string' ? Buffer.byteLength(e.value) : e.value.length),
    0,
  );
  return {
    'db.system': 'redis',
    'db.operation.name': 'writeIfNewer',
    'cache_warmer.keys': entries.length,
    'cache_warmer.bytes': bytes,
    ...(entries.length === 1 ? { 'cache_warmer.key': entries[0]?.key ?? '' } : {}),
  };
}

function outcomeAttributes(outcomes: readonly WriteOutcome[]) {
  return { 'cache_warmer.written': outcomes.filter((o) => o.written).length };
}

/**
 * `store` with a span around each `writeIfNewer` and `writeManyIfNewer` (one span for the pipelined
 * batch). The optional methods stay absent when `store` lacks them, as callers test for them.
 */
export function tracedCacheStore(store: CacheStore): CacheStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'writeIfNewer') {
        return (entry: WriteEntry) =>
          withSpan(
            'cache write',
            entryAttributes([entry]),
            async (span) => {
              const outcome = await target.writeIfNewer(entry);
              span.setAttributes(outcomeAttributes([outcome]));
              return outcome;
            },
            SpanKind.CLIENT,
          );
      }
      if (property === 'writeManyIfNewer') {
        return (entries: readonly WriteEntry[]) =>
          withSpan(
            'cache write',
            entryAttributes(entries),
            async (span) => {
              const outcomes = await target.writeManyIfNewer(entries);
              span.setAttributes(outcomeAttributes(outcomes));
              return outcomes;
            },
            SpanKind.CLIENT,
          );
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
