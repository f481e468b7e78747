// What the optimiser's activities are built from: Redis (the applied config, the plan, the
// tuning), the key builders, the cache store, the usage counters and the loaders.
import type { Cluster, Redis } from 'ioredis';
import type { CacheStore } from '../store/cache-store';
import type { RedisKeys } from '../store/redis-keys';
import type { UsageStore } from '../store/usage-tracker';
import type { Loaders } from './loaders';

export interface OptimizerActivityDeps {
  redis: Redis | Cluster;
  keys: RedisKeys;
  store: CacheStore;
  usage: UsageStore;
  loaders: Loaders;
}
