// User-preload statistics from preload runs (read out of Temporal visibility and history): pure
// aggregation, unit-tested on its own, next to the warm statistics it is reported with.
import type { PreloadSourceName } from './preload-results';
import { summarizeLatencies, type LatencySummary } from './warm-stats';

/** How a `preloadUserWorkflow` run ended. */
export type PreloadRunStatus = 'completed' | 'failed' | 'timedOut' | 'terminated' | 'canceled';

/** One closed preload run: metadata only. */
export interface PreloadRun {
  workflowId: string;
  userId: string;
  status: PreloadRunStatus;
  /** When Temporal started the child run (ms since epoch). */
  startedAtMs: number;
  /** When the run closed (ms since epoch). */
  closedAtMs: number;
  /** `closedAtMs - startedAtMs`: what the login waited, queueing included. */
  latencyMs: number;
  /** Sources that failed in a completed run (from its result); empty otherwise. */
  failedSources: PreloadSourceName[];
  /** Loads of a completed run shed at its deadline (`shedAfterSeconds`); 0 otherwise. */
  shedLoads?: number;
}

/** Where user preloads failed. */
export interface PreloadFailures {
  /** Completed preloads in which at least one source failed. */
  preloads: number;
  /** How many completed preloads each source failed in. */
  bySource: Record<PreloadSourceName, number>;
  /** Runs that closed without a result: failed, timed out, terminated or cancelled. */
  unfinished: number;
  /** Completed preloads in which at least one load was shed at the deadline (a part of `preloads`). */
  shed: number;
}

/** User preload statistics: how many, how fast, and where they failed. */
export interface PreloadStats {
  /** Completed preload runs (a run in which a source failed still completed and counts). */
  userPreloads: number;
  /** Start-to-close time of the completed runs. */
  preloadLatency: LatencySummary;
  /** Where the preloads failed. */
  preloadFailures: PreloadFailures;
}

/** Counters, latency and failures over a set of preload runs. */
export function summarizePreloads(runs: readonly PreloadRun[]): PreloadStats {
  const completed = runs.filter((run) => run.status === 'completed');
  const bySource: Record<PreloadSourceName, number> = { session: 0, navigation: 0, forms: 0 };
  for (const run of completed) for (const source of new Set(run.failedSources)) bySource[source]++;
  return {
    userPreloads: completed.length,
    preloadLatency: summarizeLatencies(completed.map((run) => run.latencyMs)),
    preloadFailures: {
      preloads: completed.filter((run) => run.failedSources.length > 0).length,
      bySource,
      unfinished: runs.length - completed.length,
      shed: completed.filter((run) => (run.shedLoads ?? 0) > 0).length,
    },
  };
}
