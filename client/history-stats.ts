// Warming statistics read out of Temporal history, the only source of truth: every warmKey
// activity a task workflow ran (in every run of its continue-as-new chain) is one warm record.
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import type { WarmKeyResult } from '../activities/create-activities';
import type { CacheStore } from '../activities/cache-store';
import { mapLimit } from '../core/map-limit';
import { decideFates, summarizeByTask, type WarmCounters, type WarmRecord } from '../core/warm-stats';
import { taskIdFromWorkflowId, taskWorkflowId } from '../workflows/ids';

export interface StatsOptions {
  /** Only warms that finished at or after this time. */
  sinceMs?: number;
  /** Only this task. */
  taskId?: string;
}

export interface WarmingStats extends WarmCounters {
  byTask: Record<string, WarmCounters>;
  /** User preloads completed in the window (from per-user workflow histories). */
  userPreloads: number;
  since: string | null;
  generatedAt: string;
}

/** A warm as read from history, before its fate is known. */
interface HistoryWarm {
  taskId: string;
  cacheKey: string;
  ok: boolean;
  atMs: number;
  durationMs: number;
  result?: WarmKeyResult;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Runs of this queue's task workflows that may hold warms in the window. */
async function listTaskRuns(
  client: Client,
  taskQueue: string,
  options: StatsOptions,
): Promise<{ workflowId: string; runId: string }[]> {
  const clauses = [`WorkflowType = 'warmTaskWorkflow'`, `TaskQueue = '${escape(taskQueue)}'`];
  if (options.taskId) clauses.push(`WorkflowId = '${escape(taskWorkflowId(options.taskId))}'`);
  if (options.sinceMs !== undefined)
    clauses.push(`(ExecutionStatus = 'Running' OR CloseTime >= '${new Date(options.sinceMs).toISOString()}')`);
  const runs: { workflowId: string; runId: string }[] = [];
  for await (const execution of client.workflow.list({ query: clauses.join(' AND ') })) {
    runs.push({ workflowId: execution.workflowId, runId: execution.runId });
  }
  return runs;
}

/** Every warmKey activity in one run's history, completed or failed. */
async function warmsInRun(client: Client, workflowId: string, runId: string): Promise<HistoryWarm[]> {
  const taskId = taskIdFromWorkflowId(workflowId);
  if (taskId === undefined) return [];
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const converter = client.options.loadedDataConverter.payloadConverter;
  const scheduled = new Map<string, { atMs: number; cacheKey: string }>();
  const warms: HistoryWarm[] = [];
  for (const event of history.events ?? []) {
    const atMs = tsToMs(event.eventTime);
    const attributes = event.activityTaskScheduledEventAttributes;
    if (attributes && attributes.activityType?.name === 'warmKey') {
      const input = attributes.input?.payloads?.[0];
      const cacheKey = input ? (converter.fromPayload<{ cacheKey: string }>(input).cacheKey ?? '') : '';
      scheduled.set(String(event.eventId), { atMs, cacheKey });
      continue;
    }
    const closed = closedActivity(event);
    if (!closed) continue;
    const start = scheduled.get(String(closed.scheduledEventId));
    if (!start) continue;
    if (closed.ok) {
      const payload = closed.result?.payloads?.[0];
      const result = payload ? converter.fromPayload<WarmKeyResult>(payload) : undefined;
      warms.push({
        taskId,
        cacheKey: start.cacheKey,
        ok: true,
        atMs,
        durationMs: result?.durationMs ?? atMs - start.atMs,
        ...(result ? { result } : {}),
      });
    } else {
      warms.push({ taskId, cacheKey: start.cacheKey, ok: false, atMs, durationMs: atMs - start.atMs });
    }
  }
  return warms;
}

function closedActivity(
  event: HistoryEvent,
): { ok: boolean; scheduledEventId: unknown; result?: temporal.api.common.v1.IPayloads | null } | undefined {
  if (event.activityTaskCompletedEventAttributes) {
    const a = event.activityTaskCompletedEventAttributes;
    return { ok: true, scheduledEventId: a.scheduledEventId, result: a.result };
  }
  const failed =
    event.activityTaskFailedEventAttributes ??
    event.activityTaskTimedOutEventAttributes ??
    event.activityTaskCanceledEventAttributes;
  return failed ? { ok: false, scheduledEventId: failed.scheduledEventId } : undefined;
}

/**
 * Reads every warm of this queue's tasks from history and decides each one's fate: whether its
 * value was read before it was replaced or expired (from the replacing write's report, or for the
 * latest warm from the key's metadata now).
 */
export async function readWarmRecords(
  client: Client,
  taskQueue: string,
  store: CacheStore,
  options: StatsOptions = {},
  nowMs = Date.now(),
): Promise<WarmRecord[]> {
  const runs = await listTaskRuns(client, taskQueue, options);
  const warms = (await mapLimit(runs, 8, (run) => warmsInRun(client, run.workflowId, run.runId))).flat();
  const byKey = new Map<string, HistoryWarm[]>();
  for (const warm of warms) {
    const group = byKey.get(warm.cacheKey) ?? [];
    group.push(warm);
    byKey.set(warm.cacheKey, group);
  }
  const records: WarmRecord[] = [];
  for (const [cacheKey, group] of byKey) {
    const succeeded = group
      .filter((w) => w.ok && w.result)
      .sort((a, b) => (a.result?.version ?? 0) - (b.result?.version ?? 0));
    const meta = await store.getMeta(cacheKey);
    const fates = decideFates(
      succeeded.map((w) => ({
        version: w.result?.version ?? 0,
        written: w.result?.written ?? false,
        ...(w.result?.replaced ? { replaced: w.result.replaced } : {}),
      })),
      meta,
      nowMs,
    );
    succeeded.forEach((warm, i) =>
      records.push({
        taskId: warm.taskId,
        ok: true,
        atMs: warm.atMs,
        durationMs: warm.durationMs,
        fate: fates[i] ?? 'pending',
      }),
    );
    for (const warm of group.filter((w) => !w.ok))
      records.push({ taskId: warm.taskId, ok: false, atMs: warm.atMs, durationMs: warm.durationMs, fate: 'pending' });
  }
  return records.filter((record) => options.sinceMs === undefined || record.atMs >= options.sinceMs);
}

/** Statistics over this queue's warms, per the contract's `warmctl stats --json`. */
export async function readWarmingStats(
  client: Client,
  taskQueue: string,
  store: CacheStore,
  options: StatsOptions = {},
): Promise<WarmingStats> {
  const nowMs = Date.now();
  const records = await readWarmRecords(client, taskQueue, store, options, nowMs);
  return {
    ...summarizeByTask(records),
    userPreloads: 0,
    since: options.sinceMs !== undefined ? new Date(options.sinceMs).toISOString() : null,
    generatedAt: new Date(nowMs).toISOString(),
  };
}

function escape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}
