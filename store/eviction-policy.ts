// Whether Redis may evict the system's own state: an `allkeys-*` maxmemory-policy can drop keys
// kept without a TTL (the applied config, the applied spec hashes, the planned intervals) under
// memory pressure. Read once at worker start, reported as one warning line (docs/redis.md).
import type { Cluster, Redis } from 'ioredis';
import { DEFAULT_PREFIX } from './redis-keys';

/** The `maxmemory_policy` field of an `INFO memory` reply, or undefined when it has none. */
export function maxmemoryPolicyOf(info: string): string | undefined {
  const match = /^maxmemory_policy:(\S+)/m.exec(info);
  return match?.[1];
}

/** The warning for `policy` (one line), or undefined when the policy never evicts keys without a TTL. */
export function evictionPolicyWarning(policy: string, prefix: string = DEFAULT_PREFIX): string | undefined {
  if (!policy.startsWith('allkeys-')) return undefined;
  return (
    `Redis maxmemory-policy is ${policy}: under memory pressure it can evict ${prefix}config and the other state ` +
    `kept without a TTL (user preload and the optimiser then stop until the next apply); ` +
    `use noeviction or a volatile-* policy (docs/redis.md#memory-and-eviction)`
  );
}

/**
 * One warning line when Redis (on a cluster, any master) reports an `allkeys-*` maxmemory-policy;
 * undefined when it does not, or when `INFO` cannot be read (the check never stops a worker).
 * Call it once the connection is up, and log what it returns.
 */
export async function checkEvictionPolicy(
  redis: Redis | Cluster,
  prefix: string = DEFAULT_PREFIX,
): Promise<string | undefined> {
  try {
    const nodes: Redis[] = redis.isCluster ? (redis as Cluster).nodes('master') : [redis as Redis];
    const policies = await Promise.all(nodes.map(async (node) => maxmemoryPolicyOf(await node.info('memory'))));
    const evicting = policies.find((policy) => policy !== undefined && policy.startsWith('allkeys-'));
    return evicting === undefined ? undefined : evictionPolicyWarning(evicting, prefix);
  } catch {
    return undefined;
  }
}
