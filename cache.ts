// `temporal-cache-warmer/cache`: what applications read the cache through. Loads ioredis and
// nothing of Temporal, so a web process that only reads pays for no workflow client or worker.
export { createCacheClient, CacheClient } from './cache/cache-client';
export type {
  CacheClientOptions,
  GetOrComputeOptions,
  Computed,
  WarmOptions,
  WarmResult,
  InvalidateOptions,
  InvalidateReport,
} from './cache/cache-client';
export type { KeyRewarmer, RewarmOptions, RewarmReport, PatternRewarmReport } from './cache/key-rewarmer';
export type { RedisOptions, RedisSentinelOptions } from './config/redis-connection';
export { RedisUsageTracker } from './store/usage-tracker';
export type { UsageStore, KeyUsage, UsageTrackerOptions } from './store/usage-tracker';
export { accessFrequencyPerMinute, intervalForFrequency } from './core/interval-policy';
