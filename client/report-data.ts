// What `warmctl report --html` draws: the statistics and the time series behind them (each warm,
// each task's interval history, each user preload), read from Temporal history in one pass.
import type { Client } from '@temporalio/client';
import type { CacheStore } from '../store/cache-store';
import { readWarmingHistory, type StatsOptions, type WarmingHistory } from './history-stats';

/** The report's input: the history read plus where it was read from. */
export interface ReportData extends WarmingHistory {
  namespace: string;
  taskQueue: string;
  /** The `--task` filter, or null for every task. */
  taskId: string | null;
}

/** Reads this queue's warms, interval histories and user preloads in the window, with their stats. */
export async function readReportData(
  client: Client,
  taskQueue: string,
  store: CacheStore,
  options: StatsOptions = {},
): Promise<ReportData> {
  const history = await readWarmingHistory(client, taskQueue, store, options);
  return { ...history, namespace: client.options.namespace, taskQueue, taskId: options.taskId ?? null };
}
