// A task workflow run's warm mark: the activity id of the latest warm the run started, written by
// the warmKey activity before it returns (so before its marker can be in the run's history). A
// repeated `warmctl stats` reads the marks of the open runs in bulk: a run whose kept digest holds
// the warm its mark names has recorded nothing since, and costs no describe call.
import type { Cluster, Redis } from 'ioredis';
import { isWrongType } from './redis-errors';
import type { RedisKeys } from './redis-keys';

/** Marks outlive the run digests they vouch for (30 days, as `warmctl stats` keeps those), then go. */
export const RUN_WARM_MARK_TTL_SECONDS = 30 * 86_400;

/** The mark of a run whose latest warm's mark could not be written: it matches no digest. */
export const UNSURE_WARM_MARK = '?';

/** Keys read per MGET (on a single server; a cluster gets one GET per key, as its slots demand). */
const MARK_READ_CHUNK = 500;

/** Writes `runId`'s warm mark: `activityId` is the warm's (its local activity's seq within the run). */
export async function writeRunWarmMark(
  redis: Redis | Cluster,
  keys: RedisKeys,
  runId: string,
  activityId: string,
): Promise<void> {
  // SET replaces a value of any type: stray data where a mark belongs is gone after the next warm.
  await redis.set(keys.runWarmMark(runId), activityId, 'EX', RUN_WARM_MARK_TTL_SECONDS);
}

/**
 * Many string keys at once, null where a key is missing or holds another type (stray data is no
 * value): MGETs of `MARK_READ_CHUNK` on one server, one GET per key (sent together) on a cluster.
 */
export async function readStrings(redis: Redis | Cluster, keys: readonly string[]): Promise<(string | null)[]> {
  const out: (string | null)[] = [];
  for (let i = 0; i < keys.length; i += MARK_READ_CHUNK) {
    const chunk = keys.slice(i, i + MARK_READ_CHUNK);
    if (redis.isCluster) {
      out.push(
        ...(await Promise.all(
          chunk.map((key) =>
            redis.get(key).catch((err: unknown) => {
              if (isWrongType(err)) return null;
              throw err;
            }),
          ),
        )),
      );
    } else if (chunk.length > 0) {
      // MGET answers nil for a key of another type: no WRONGTYPE to catch.
      out.push(...(await (redis as Redis).mget(chunk)));
    }
  }
  return out;
}

/** The warm marks of `runIds`, in order; null where a run has none (no warm since marks were written, or expired). */
export function readRunWarmMarks(
  redis: Redis | Cluster,
  keys: RedisKeys,
  runIds: readonly string[],
): Promise<(string | null)[]> {
  return readStrings(
    redis,
    runIds.map((runId) => keys.runWarmMark(runId)),
  );
}
