// Every signal, query and update of the task workflows, with payload types. Clients import these
// from here (through workflows/index.ts) and never redefine them.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { TaskSpec } from '../core/config-schema';
import type { WarmKeyResult } from '../activities/create-activities';

/** `forceWarm` payload: optional, and so is its reason. */
export interface ForceWarm {
  reason?: string;
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
