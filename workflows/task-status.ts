// What a task workflow reports of itself: its `status` query answer, built from its spec and carried
// state, and the same as Markdown for the Temporal UI's "current details".
import type { TaskSpec } from '../core/config-schema';
import { isCritical } from '../core/priority';
import { boundedText, TEMPORAL_LIMITS } from '../core/temporal-limits';
import type { CarriedTaskState } from './carried-types';
import type { TaskStatus } from './definitions';

/** What the run is doing besides what its carried state says. */
export interface TaskPhase {
  removed: boolean;
  warming: boolean;
}

/** The `status` query's answer. */
export function taskStatus(spec: TaskSpec, state: CarriedTaskState, { removed, warming }: TaskPhase): TaskStatus {
  return {
    taskId: spec.taskId,
    name: spec.name ?? spec.taskId,
    cacheKey: spec.cacheKey,
    intervalMinutes: state.intervalMinutes,
    configuredIntervalMinutes: spec.intervalMinutes,
    adaptive: spec.adaptive,
    critical: isCritical(spec),
    priority: spec.priority,
    tags: [...spec.tags],
    ttlSeconds: spec.ttlSeconds,
    loaderType: spec.loader.type,
    paused: state.paused,
    state: removed ? 'removed' : warming ? 'warming' : state.paused ? 'paused' : 'scheduled',
    lastWarmAt: state.lastWarmAt,
    nextWarmAt: state.paused || removed ? null : new Date(state.nextWarmAtMs).toISOString(),
    warmCount: state.warmCount,
    failureCount: state.failureCount,
    lastResult: state.lastResult,
    lastError: state.lastError,
    since: state.since,
    generation: state.generation,
  };
}

/** Markdown for the Temporal UI's "current details". */
export function taskDetails(s: TaskStatus): string {
  const last = s.lastResult
    ? s.lastResult.ok
      ? `ok in ${s.lastResult.durationMs} ms (${s.lastResult.result?.sizeBytes ?? 0} bytes, ${s.lastResult.trigger})`
      : `failed: ${s.lastResult.error}`
    : 'none yet';
  const text = [
    `**${s.name}** warms \`${s.cacheKey}\` every ${s.intervalMinutes} min${s.adaptive ? ' (adaptive)' : ''}`,
    `- state: ${s.state}${s.critical ? ', critical' : ''}, priority ${s.priority}`,
    `- last warm: ${s.lastWarmAt ?? 'never'}: ${last}`,
    `- next warm: ${s.nextWarmAt ?? '-'}`,
    `- warms: ${s.warmCount}, failures: ${s.failureCount}`,
  ].join('\n');
  return boundedText(text, TEMPORAL_LIMITS.detailsBytes);
}
