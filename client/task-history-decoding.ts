// Decodes one warmTaskWorkflow run's raw history into what it records: its warms (warmKey as a
// local activity, the core SDK's `core_local_activity` marker, or as an activity task, as release
// 0.1 ran them), its interval events and its spec. Pure: events and a payload converter in, no I/O;
// test/unit/task-history-decoding.test.ts holds it to every saved release's histories.
import type { PayloadConverter } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import type { WarmKeyResult } from '../activities/create-activities';
import type { TaskSpec } from '../core/config-schema';
import type { IntervalEvent } from '../core/interval-history';
import { redact } from '../core/redact';
import type { FateInput } from '../core/warm-stats';
import { applyTaskUpdate, setIntervalSignal, type SetInterval, type WarmTaskInput } from '../workflows';

export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** A warm as read from history, before its fate is known. */
export interface HistoryWarm {
  taskId: string;
  cacheKey: string;
  ok: boolean;
  atMs: number;
  durationMs: number;
  /** What a successful warm's write reported: all its fate needs. */
  write?: FateInput;
  error?: string;
}

/** What one task run's history records. */
export interface RunHistory {
  taskId: string;
  warms: HistoryWarm[];
  intervalEvents: IntervalEvent[];
  /** From the run's start input and later `applyTask` specs. */
  spec?: TaskSpec;
  /**
   * The activity id of the run's last warm in this history: a run whose warm mark
   * (store/run-warm-marks.ts) names it has recorded no warm since.
   */
  lastWarmActivityId?: string;
}

/** The marker the core SDK records for each local activity. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';
const WARM_ACTIVITY = 'warmKey';

/** Every warmKey activity in one run's history, completed or failed, and its interval events. */
export function decodeTaskRun(
  taskId: string,
  events: readonly HistoryEvent[],
  converter: PayloadConverter,
): RunHistory {
  const scheduled = new Map<string, { atMs: number; cacheKey: string; activityId?: string }>();
  const out: RunHistory = { taskId, warms: [], intervalEvents: [] };
  /** When the current workflow task started: a local warm ran inside it. */
  let taskStartedMs = 0;
  for (const event of events) {
    const atMs = tsToMs(event.eventTime);
    if (event.workflowTaskStartedEventAttributes) taskStartedMs = atMs;
    if (collectIntervalEvent(event, atMs, converter, out)) continue;
    const local = localActivity(event, converter);
    if (local) {
      if (local.activityType !== WARM_ACTIVITY) continue;
      if (local.activityId !== undefined) out.lastWarmActivityId = local.activityId;
      const result = local.ok ? decode<WarmKeyResult>(converter, local.result) : undefined;
      out.warms.push({
        taskId,
        cacheKey: result?.cacheKey ?? out.spec?.cacheKey ?? '',
        atMs,
        ok: local.ok,
        durationMs: result?.durationMs ?? atMs - taskStartedMs,
        ...(result ? { write: fateInput(result) } : {}),
        ...(local.error ? { error: local.error } : {}),
      });
      continue;
    }
    const attributes = event.activityTaskScheduledEventAttributes;
    if (attributes && attributes.activityType?.name === WARM_ACTIVITY) {
      const input = decode<{ cacheKey?: string }>(converter, attributes.input?.payloads?.[0]);
      scheduled.set(String(event.eventId), {
        atMs,
        cacheKey: input?.cacheKey ?? '',
        ...(attributes.activityId ? { activityId: attributes.activityId } : {}),
      });
      continue;
    }
    const closed = closedActivity(event);
    if (!closed) continue;
    const start = scheduled.get(String(closed.scheduledEventId));
    if (!start) continue;
    if (start.activityId !== undefined) out.lastWarmActivityId = start.activityId;
    const base = { taskId, cacheKey: start.cacheKey, atMs };
    if (closed.ok) {
      const result = decode<WarmKeyResult>(converter, closed.result?.payloads?.[0]);
      out.warms.push({
        ...base,
        ok: true,
        durationMs: result?.durationMs ?? atMs - start.atMs,
        ...(result ? { write: fateInput(result) } : {}),
      });
    } else {
      const error = closed.error;
      out.warms.push({ ...base, ok: false, durationMs: atMs - start.atMs, ...(error ? { error } : {}) });
    }
  }
  return out;
}

function fateInput(result: WarmKeyResult): FateInput {
  return {
    version: result.version ?? 0,
    written: result.written ?? false,
    ...(result.replaced ? { replaced: result.replaced } : {}),
  };
}

/** Records the run's start input, accepted `applyTask` specs and `setInterval` signals; true if it was one. */
function collectIntervalEvent(
  event: HistoryEvent,
  atMs: number,
  converter: PayloadConverter,
  out: RunHistory,
): boolean {
  const started = event.workflowExecutionStartedEventAttributes;
  if (started) {
    const input = decode<WarmTaskInput>(converter, started.input?.payloads?.[0]);
    if (input?.spec) {
      out.spec = input.spec;
      const carried = input.carried?.intervalMinutes;
      out.intervalEvents.push({
        kind: 'start',
        atMs,
        spec: input.spec,
        ...(typeof carried === 'number' ? { carriedIntervalMinutes: carried } : {}),
      });
    }
    return true;
  }
  const accepted = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
  if (accepted) {
    if (accepted.name === applyTaskUpdate.name) {
      const spec = decode<TaskSpec>(converter, accepted.args?.payloads?.[0]);
      if (spec && typeof spec.intervalMinutes === 'number') {
        out.spec = spec;
        out.intervalEvents.push({ kind: 'apply', atMs, spec });
      }
    }
    return true;
  }
  const signaled = event.workflowExecutionSignaledEventAttributes;
  if (signaled) {
    if (signaled.signalName === setIntervalSignal.name) {
      const payload = decode<Partial<SetInterval>>(converter, signaled.input?.payloads?.[0]);
      if (payload && typeof payload.intervalMinutes === 'number') {
        out.intervalEvents.push({
          kind: 'setInterval',
          atMs,
          intervalMinutes: payload.intervalMinutes,
          ...(typeof payload.reason === 'string' ? { reason: payload.reason } : {}),
        });
      }
    }
    return true;
  }
  return false;
}

/** A local activity's marker: its type, and its result or why it failed. */
function localActivity(
  event: HistoryEvent,
  converter: PayloadConverter,
):
  | {
      activityType: string;
      activityId?: string;
      ok: boolean;
      result?: temporal.api.common.v1.IPayload | null;
      error?: string;
    }
  | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (!marker || marker.markerName !== LOCAL_ACTIVITY_MARKER) return undefined;
  const data = decode<{ activity_type?: string; activity_id?: unknown }>(
    converter,
    marker.details?.data?.payloads?.[0],
  );
  const activityType = data?.activity_type ?? '';
  const activityId = typeof data?.activity_id === 'string' ? { activityId: data.activity_id } : {};
  if (marker.failure)
    return { activityType, ...activityId, ok: false, error: failureMessage(marker.failure) ?? 'failed' };
  return { activityType, ...activityId, ok: true, result: marker.details?.result?.payloads?.[0] };
}

function closedActivity(
  event: HistoryEvent,
):
  | { ok: boolean; scheduledEventId: unknown; result?: temporal.api.common.v1.IPayloads | null; error?: string }
  | undefined {
  const completed = event.activityTaskCompletedEventAttributes;
  if (completed) return { ok: true, scheduledEventId: completed.scheduledEventId, result: completed.result };
  const failed = event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes;
  if (failed) return { ok: false, scheduledEventId: failed.scheduledEventId, error: failureMessage(failed.failure) };
  const canceled = event.activityTaskCanceledEventAttributes;
  return canceled ? { ok: false, scheduledEventId: canceled.scheduledEventId, error: 'canceled' } : undefined;
}

/**
 * The interesting message is at the bottom of the chain: timeout or retry wrapper -> the cause.
 * Redacted: histories written before loaders redacted their errors may hold a URL's token.
 */
function failureMessage(failure: temporal.api.failure.v1.IFailure | null | undefined): string | undefined {
  let current = failure;
  while (current?.cause) current = current.cause;
  if (!current?.message) return undefined;
  const type = current.applicationFailureInfo?.type;
  return redact(type ? `${type}: ${current.message}` : current.message);
}

function decode<T>(
  converter: PayloadConverter,
  payload: temporal.api.common.v1.IPayload | null | undefined,
): T | undefined {
  if (!payload) return undefined;
  try {
    return converter.fromPayload<T>(payload);
  } catch {
    return undefined; // an undecodable payload (a signal from a foreign client) carries nothing we count
  }
}
