// The package's main export: what applications, auth services and operators import.
export { createWarmingClient, WarmingClient, TaskNotFoundError } from './client/warming-client';
export type { WarmingClientOptions, ApplyReport, WarmRunReport, TaskWarmReport } from './client/warming-client';
export { loadConfigFile, parseConfigText } from './config/config-file';
export { createWorker, PAYLOAD_CONVERTER_PATH } from './worker/create-worker';
export type { CreateWorkerOptions, WarmingWorker } from './worker/create-worker';
export type { CustomLoader, LoaderContext, LoaderRegistry } from './activities/loaders';
export type { WarmingLimits } from './activities/limits';
export { ConfigError, parseWarmingConfig } from './core/config-schema';
export type { WarmingConfig, WarmingConfigInput, TaskSpec, TaskInput } from './core/config-schema';
export type { TaskStatus, WarmOutcome, ForceWarm } from './workflows/definitions';
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
export { RedisUsageTracker } from './store/usage-tracker';
export type { UsageStore, KeyUsage, UsageTrackerOptions } from './store/usage-tracker';
export { accessFrequencyPerMinute, intervalForFrequency } from './core/interval-policy';
export { notifyUserLoggedIn } from './client/notify-user-logged-in';
export type { NotifyUserLoggedInOptions } from './client/notify-user-logged-in';
export { renderHtmlReport } from './client/html-report';
export type { StatsOptions, WarmingStats, TaskIntervalHistory } from './client/history-stats';
export type { ReportData } from './client/report-data';
export type { WarmCounters, WarmRecord, LatencySummary, EfficiencyRating } from './core/warm-stats';
export type { PreloadStats, PreloadRun, PreloadFailures } from './core/preload-stats';
