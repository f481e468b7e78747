// Every signal, query and update of the task workflows, with payload types. Clients import these
// from here (through workflows/index.ts) and never redefine them.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { TaskSpec } from '../core/config-schema';
import type { WarmKeyResult } from '../activities/create-activities';

/** Longest `reason` a `forceWarm`, `warmNow` or `remove` payload may carry, in characters. */
export const MAX_REASON_LENGTH = 500;

/** `forceWarm` payload: optional, and so is its reason. */
export interface ForceWarm {
  reason?: string;
  /**
   * A fleet operation's id (`warmctl warm --tag`): once the warm it asked for is done, the task
   * adds `<batch>:ok` or `<batch>:failed` to its `WarmBatches` search attribute, so the operation
   * counts its results with a visibility query instead of waiting on each task.
   */
  batch?: string;
}

/** What started a warm. */
export type WarmTrigger = 'start' | 'schedule' | 'force' | 'update' | 'retry';

/** One warm as the task workflow records it: metadata only, never the value. */
export interface WarmOutcome {
  ok: boolean;
  trigger: WarmTrigger;
  reason?: string;
  /** Workflow time when the warm was started, ISO-8601. */
  startedAt: string;
  finishedAt: string;
  /** Wall time the workflow waited for the warm, retries included. */
  durationMs: number;
  result?: WarmKeyResult;
  error?: string;
}

export type TaskState = 'scheduled' | 'warming' | 'paused' | 'removed';

/** The `status` query's answer; `warmctl status --json` prints it. */
export interface TaskStatus {
  taskId: string;
  name: string;
  cacheKey: string;
  intervalMinutes: number;
  /** The interval from the config, before any adaptive re-plan. */
  configuredIntervalMinutes: number;
  adaptive: boolean;
  critical: boolean;
  priority: number;
  tags: string[];
  ttlSeconds: number;
  loaderType: string;
  paused: boolean;
  state: TaskState;
  lastWarmAt: string | null;
  nextWarmAt: string | null;
  warmCount: number;
  failureCount: number;
  lastResult: WarmOutcome | null;
  lastError: string | null;
  /** When this task's schedule first started (before any continue-as-new). */
  since: string;
  /** How many times the workflow continued as new. */
  generation: number;
}

/** What `applyTask` changed. */
export interface ApplyTaskResult {
  changed: boolean;
  /** Names of the fields that differ from the running spec. */
  fields: string[];
}

export interface RemoveTask {
  reason?: string;
}

/** Forces a warm now without waiting (`temporal workflow signal --name forceWarm`). */
export const forceWarmSignal = defineSignal<[ForceWarm?]>('forceWarm');
/** Forces a warm now and returns its outcome once done (what `warmctl warm` waits on). */
export const warmNowUpdate = defineUpdate<WarmOutcome, [ForceWarm | undefined]>('warmNow');
/** Replaces the task's spec; interval changes take effect at once. */
export const applyTaskUpdate = defineUpdate<ApplyTaskResult, [TaskSpec]>('applyTask');
/** Stops scheduled warms (forced warms still run) until `resume`. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** Ends the schedule cleanly; the workflow completes with its final status. */
export const removeSignal = defineSignal<[RemoveTask?]>('remove');
export const statusQuery = defineQuery<TaskStatus>('status');

/** `setInterval` payload: the optimiser's re-plan of an adaptive task. */
export interface SetInterval {
  intervalMinutes: number;
  reason?: string;
}

/** Re-plans an adaptive task's interval (ignored for non-adaptive tasks); takes effect at once. */
export const setIntervalSignal = defineSignal<[SetInterval]>('setInterval');

/** What one optimiser cycle did; `warmctl optimize` prints it. */
export interface CycleReport {
  cycle: number;
  trigger: 'schedule' | 'request';
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Adaptive tasks considered. */
  adaptiveTasks: number;
  /** Adaptive tasks whose interval this cycle changed. */
  tasksOptimized: number;
  changes: { taskId: string; cacheKey: string; accessesPerMinute: number; fromMinutes: number; toMinutes: number }[];
  /** Changes for tasks that are not running (removed since the config was applied). */
  skippedTasks: string[];
  hotKeys: number;
  /** Hot or critical task keys that were missing or about to expire: forced through their task. */
  taskWarms: { taskId: string; reason: string }[];
  patternKeys: { warmed: number; superseded: number; failed: number; batches: number };
  /** Hot keys that match no task and no pattern. */
  unmatchedHotKeys: number;
  /** Entries left out of each list past the first 1 000 (the counts above stay whole); absent when none. */
  omitted?: { changes: number; skippedTasks: number; taskWarms: number };
}

export interface OptimizerStatus {
  paused: boolean;
  cycles: number;
  everyMinutes: number;
  nextCycleAt: string | null;
  lastCycle: CycleReport | null;
  /** Why the last cycle failed (its activities out of retries), or null when it succeeded. */
  lastError: string | null;
  since: string;
  generation: number;
}

/** Runs one optimiser cycle now and returns its report. */
export const runCycleUpdate = defineUpdate<CycleReport, []>('runCycle');
/** Tells the optimiser a config was applied, so it re-reads its settings. */
export const configAppliedSignal = defineSignal('configApplied');
export const optimizerStatusQuery = defineQuery<OptimizerStatus>('status');
