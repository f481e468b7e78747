// Each warm read from history gets its fate: whether its value was read before it was replaced or
// expired. The warms of a key are ordered by write version; the latest one's fate is the key's now.
import type { CacheStore } from '../store/cache-store';
import { mapLimit } from '../core/map-limit';
import { redact } from '../core/redact';
import { decideFates, type FateInput, type WarmRecord } from '../core/warm-stats';
import type { HistoryWarm } from './task-history-decoding';

/** Metadata reads in flight, one per key: one connection pipelines them, so many cost no more than few. */
const META_READS_IN_FLIGHT = 128;

/**
 * Decides each warm's fate: whether its value was read before it was replaced or expired (from
 * the replacing write's report, or for the latest warm from the key's metadata now).
 */
export async function decideRecords(
  warms: readonly HistoryWarm[],
  store: Pick<CacheStore, 'getMeta'>,
  sinceMs: number | undefined,
  nowMs: number,
): Promise<WarmRecord[]> {
  const byKey = new Map<string, HistoryWarm[]>();
  for (const warm of warms) {
    const group = byKey.get(warm.cacheKey) ?? [];
    group.push(warm);
    byKey.set(warm.cacheKey, group);
  }
  const groups = [...byKey.entries()];
  const metas = await mapLimit(groups, META_READS_IN_FLIGHT, ([cacheKey]) => store.getMeta(cacheKey));
  const records: WarmRecord[] = [];
  groups.forEach(([cacheKey, group], g) => {
    const succeeded = group
      .filter((w) => w.ok && w.write)
      .sort((a, b) => (a.write?.version ?? 0) - (b.write?.version ?? 0));
    const meta = metas[g];
    const fates = decideFates(
      succeeded.map((w) => w.write as FateInput),
      meta,
      nowMs,
    );
    succeeded.forEach((warm, i) =>
      records.push({
        taskId: warm.taskId,
        cacheKey,
        ok: true,
        atMs: warm.atMs,
        durationMs: warm.durationMs,
        fate: fates[i] ?? 'pending',
      }),
    );
    for (const warm of group.filter((w) => !w.ok))
      records.push({
        taskId: warm.taskId,
        cacheKey,
        ok: false,
        atMs: warm.atMs,
        durationMs: warm.durationMs,
        fate: 'pending',
        // Digests kept in Redis by earlier versions hold errors as they were, unredacted.
        ...(warm.error ? { error: redact(warm.error) } : {}),
      });
  });
  return records.filter((record) => sinceMs === undefined || record.atMs >= sinceMs).sort((a, b) => a.atMs - b.atMs);
}
