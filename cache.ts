// `temporal-cache-warmer/cache`: what applications read the cache through. Loads ioredis and
// nothing of Temporal, so a web process that only reads pays for no workflow client or worker.
export { createCacheClient, CacheClient } from './client/cache-client';
export type {
  CacheClientOptions,
  GetOrComputeOptions,
  Computed,
  WarmOptions,
  WarmResult,
  InvalidateOptions,
  InvalidateReport,
} from './client/cache-client';
export type { KeyRewarmer, RewarmOptions, RewarmReport, PatternRewarmReport } from './client/key-rewarmer';
export type { RedisOptions, RedisSentinelOptions } from './config/redis-connection';
export { RedisUsageTracker } from './store/usage-tracker';
export type { UsageStore, KeyUsage, UsageTrackerOptions } from './store/usage-tracker';
export { accessFrequencyPerMinute, intervalForFrequency } from './core/interval-policy';
