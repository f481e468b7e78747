// The applied declarative config (`<prefix>config`, JSON written by `apply`), read where the
// worker and the clients need it. Stray data of another type there is no config: nothing is
// applied until the next `apply` writes over it.
import type { Cluster, Redis } from 'ioredis';
import { isWrongType } from './redis-errors';
import type { RedisKeys } from './redis-keys';

/** The applied config's JSON text, or null when none was applied (or stray data of another type stands there). */
export async function readAppliedConfigText(redis: Redis | Cluster, keys: RedisKeys): Promise<string | null> {
  try {
    return await redis.get(keys.config());
  } catch (err) {
    if (isWrongType(err)) return null;
    throw err;
  }
}
