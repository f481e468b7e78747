// How warmctl prints what the warming client reports: one warm's outcome, a fleet run, the
// user-preload line of `stats` and the task table rows.
import { formatDurationMs } from '../core/durations';
import type { TaskStatus, WarmOutcome } from '../workflows/definitions';
import type { WarmingStats } from '../client/history-stats';
import type { WarmRunReport } from '../client/warming-client';
import { formatTable, formatTime } from './format-table';

/** Above this many tasks, `apply` prints its summary without a line per task. */
export const MAX_LISTED_TASKS = 100;

export function describeOutcome(taskId: string, outcome: WarmOutcome): string {
  if (!outcome.ok)
    return `warm of ${taskId} failed after ${formatDurationMs(outcome.durationMs)}: ${outcome.error ?? 'unknown error'}`;
  const result = outcome.result;
  const kept = result && !result.written ? ' (a newer value was already stored; kept it)' : '';
  return `warmed ${taskId} in ${formatDurationMs(outcome.durationMs)}: ${result?.sizeBytes ?? 0} bytes at ${result?.cacheKey ?? '?'}${kept}`;
}

export function printRun(report: WarmRunReport, what: string): void {
  if (report.requested !== undefined) {
    console.log(`requested a warm of ${report.requested} tasks (${what})`);
    return;
  }
  if (report.results.length === 0) {
    console.log(`no tasks matched ${what}`);
    return;
  }
  // A fleet's run lists its failures only: one line per task would bury them.
  const rows = report.results.length <= MAX_LISTED_TASKS ? report.results : report.results.filter((r) => !r.ok);
  if (rows.length > 0) {
    console.log(
      formatTable(
        ['TASK', 'PRIORITY', 'CRITICAL', 'RESULT', 'DURATION'],
        rows.map((r) => [
          r.taskId,
          String(r.priority),
          r.critical ? 'yes' : 'no',
          r.ok ? 'ok' : `failed: ${r.error ?? ''}`,
          r.durationMs === undefined ? '-' : formatDurationMs(r.durationMs),
        ]),
      ),
    );
  }
  const seconds = report.totalDurationMs / 1000;
  console.log(
    `${report.succeeded} warmed, ${report.failed} failed, total ${formatDurationMs(report.totalDurationMs)}` +
      `${seconds > 0 && report.results.length > 1 ? ` (${Math.round((10 * report.results.length) / seconds) / 10} warms/s)` : ''}`,
  );
}

/** The user-preload line under `warmctl stats`' table: count, latency and failures. */
export function preloadLine(stats: WarmingStats, taskId: string | undefined): string {
  if (taskId) return 'user preloads: left out (they belong to no task)';
  if (stats.userPreloads === 0)
    return `user preloads: 0${stats.preloadFailures.unfinished ? ` (${stats.preloadFailures.unfinished} unfinished)` : ''}`;
  const l = stats.preloadLatency;
  const f = stats.preloadFailures;
  const ms = (n: number) => formatDurationMs(n);
  const failed = Object.entries(f.bySource)
    .filter(([, n]) => n > 0)
    .map(([source, n]) => `${source} ${n}`);
  return (
    `user preloads: ${stats.userPreloads}; latency avg ${ms(l.avgMs)}, p50 ${ms(l.p50Ms)}, p95 ${ms(l.p95Ms)}, ` +
    `p99 ${ms(l.p99Ms)}, slowest ${ms(l.slowestMs)}` +
    (failed.length ? `; failed sources: ${failed.join(', ')}` : '') +
    (f.shed ? `; ${f.shed} shed at the deadline` : '') +
    (f.unfinished ? `; ${f.unfinished} unfinished` : '')
  );
}

export function statusRows(tasks: TaskStatus[]): string[][] {
  return tasks.map((t) => [
    t.taskId,
    t.cacheKey,
    `${t.intervalMinutes}m`,
    t.critical ? 'yes' : 'no',
    formatTime(t.lastWarmAt),
    formatTime(t.nextWarmAt),
    t.state,
    `${t.warmCount}/${t.failureCount}`,
  ]);
}
