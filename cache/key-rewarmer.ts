// What re-warms keys after an invalidation: the shape the cache client needs, with no Temporal in
// it, so an application that only reads the cache loads no Temporal code. WarmingClient implements it.

/** One task warm of a run (`warmctl warm --tag`, `--critical`, `invalidate --rewarm`). */
export interface TaskWarmReport {
  taskId: string;
  priority: number;
  critical: boolean;
  ok: boolean;
  /** The warm's duration; absent for a fleet operation's successful warms (counted, not fetched one by one). */
  durationMs?: number;
  error?: string;
}

/** A run of task warms: each task's result and the totals. */
export interface WarmRunReport {
  results: TaskWarmReport[];
  succeeded: number;
  failed: number;
  /** With `wait: false` on a fleet operation: how many tasks were signalled (`results` is then empty). */
  requested?: number;
  totalDurationMs: number;
}

/** Deleted keys of one pattern, re-warmed in batches (a bulk warm). */
export interface PatternRewarmReport {
  match: string;
  keys: number;
  warmed: number;
  superseded: number;
  failed: number;
}

/**
 * A re-warm after invalidation: the owning tasks warmed through their workflows (`results`,
 * `succeeded`, `failed` count task warms only), the pattern keys warmed in batches, and the
 * deleted keys nobody owns (left for the application to load on its next read).
 */
export interface RewarmReport extends WarmRunReport {
  patterns: PatternRewarmReport[];
  unowned: string[];
}

/** Options of `rewarmKeys`. */
export interface RewarmOptions {
  /**
   * Tags that were invalidated: tasks carrying them are warmed too, even when their key was already gone.
   * @default []
   */
  tags?: readonly string[];
  /**
   * Wait for the warms to finish; false returns once they are started.
   * @default true
   */
  wait?: boolean;
  /**
   * Called as task warms finish: (done, total).
   * @default none
   */
  onProgress?: (done: number, total: number) => void;
}

/** Re-warms the owners of deleted keys: `WarmingClient` (from `createWarmingClient`). */
export interface KeyRewarmer {
  rewarmKeys(keys: readonly string[], options?: RewarmOptions): Promise<RewarmReport>;
}
