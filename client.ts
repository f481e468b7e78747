// `temporal-cache-warmer/client`: the Temporal side outside the worker: the warming client
// (apply, force warm, status, stats, optimise), the auth service's `notifyUserLoggedIn`, config
// parsing and the HTML report. Loads @temporalio/client, never @temporalio/worker.
export { createWarmingClient, WarmingClient, TaskNotFoundError } from './client/warming-client';
export type { WarmingClientOptions, ApplyReport, WarmRunReport, TaskWarmReport } from './client/warming-client';
export { notifyUserLoggedIn } from './client/notify-user-logged-in';
export type { NotifyUserLoggedInOptions } from './client/notify-user-logged-in';
export { userPreloadStatus } from './client/user-preload-status';
export { tracingClientInterceptors } from './tracing/client-tracing';
export type { UserPreloadStatusOptions } from './client/user-preload-status';
export type { UserPreloadStatus, UserLoggedIn } from './workflows/user-definitions';
export { loadConfigFile, parseConfigText } from './config/config-file';
export { ConfigError, parseWarmingConfig } from './core/config-schema';
export type { WarmingConfig, WarmingConfigInput, TaskSpec, TaskInput } from './core/config-schema';
export type { TaskStatus, WarmOutcome, ForceWarm } from './workflows/definitions';
export { renderHtmlReport } from './report/html-report';
export type { StatsOptions, WarmingStats, TaskIntervalHistory } from './client/history-stats';
export type { ReportData } from './client/report-data';
export type { WarmCounters, WarmRecord, LatencySummary, EfficiencyRating } from './core/warm-stats';
export type { PreloadStats, PreloadRun, PreloadFailures } from './core/preload-stats';
