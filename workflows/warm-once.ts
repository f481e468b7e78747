// One warm of a task: its warmKey activity run, the outcome as status and a waiting `warmNow`
// caller see it, and what it moves in the carried state (counters, last error, the next warm).
import { isCancellation, log } from '@temporalio/workflow';
import type { Activities } from '../activities/create-activities';
import type { TaskSpec } from '../core/config-schema';
import { boundedText } from '../core/temporal-limits';
import type { CarriedTaskState } from './carried-types';
import type { WarmOutcome, WarmTrigger } from './definitions';
import { describeFailure } from './describe-failure';

/** After a failed warm the next try comes after the interval or this, whichever is sooner. */
const FAILURE_RETRY_MS = 5 * 60_000;
/** An error kept in status and carried state: whole messages, but never a payload's worth. */
const MAX_ERROR_BYTES = 2_000;

/**
 * Warms the task's key once through the activity `warmKeyActivity()` gives and records the result
 * in `state`. A failed warm is an outcome, not an error; only cancellation is thrown.
 */
export async function warmOnce(
  warmKeyActivity: () => Activities['warmKey'],
  spec: TaskSpec,
  state: CarriedTaskState,
  trigger: WarmTrigger,
  reason: string | undefined,
): Promise<WarmOutcome> {
  const startedMs = Date.now();
  let outcome: WarmOutcome;
  try {
    const result = await warmKeyActivity()({
      cacheKey: spec.cacheKey,
      loader: spec.loader,
      ttlSeconds: spec.ttlSeconds,
      tags: spec.tags,
      source: `task:${spec.taskId}`,
    });
    const finishedMs = Date.now();
    outcome = {
      ok: true,
      trigger,
      ...(reason ? { reason } : {}),
      startedAt: iso(startedMs),
      finishedAt: iso(finishedMs),
      durationMs: finishedMs - startedMs,
      result,
    };
    state.warmCount++;
    state.lastWarmAt = iso(finishedMs);
    state.lastError = null;
    state.nextWarmAtMs = finishedMs + state.intervalMinutes * 60_000;
  } catch (err) {
    if (isCancellation(err)) throw err;
    const finishedMs = Date.now();
    const error = boundedText(describeFailure(err), MAX_ERROR_BYTES);
    outcome = {
      ok: false,
      trigger,
      ...(reason ? { reason } : {}),
      startedAt: iso(startedMs),
      finishedAt: iso(finishedMs),
      durationMs: finishedMs - startedMs,
      error,
    };
    state.failureCount++;
    state.lastError = error;
    state.nextWarmAtMs = finishedMs + Math.min(state.intervalMinutes * 60_000, FAILURE_RETRY_MS);
    log.warn('warm failed', { taskId: spec.taskId, error });
  }
  return outcome;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
