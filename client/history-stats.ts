// Warming statistics read out of Temporal history, the only source of truth: every warmKey
// activity a task workflow ran (in every run of its continue-as-new chain) is one warm record, and
// every closed preloadUserWorkflow run on the queue is one user preload.
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import type { WarmKeyResult } from '../activities/create-activities';
import type { CacheStore } from '../store/cache-store';
import type { TaskSpec } from '../core/config-schema';
import { clipIntervalHistory, intervalHistory, type IntervalEvent, type IntervalPoint } from '../core/interval-history';
import { mapLimit } from '../core/map-limit';
import { redact } from '../core/redact';
import { quote, taskQueuesClause } from './visibility-query';
import { summarizePreloads, type PreloadRun, type PreloadRunStatus, type PreloadStats } from '../core/preload-stats';
import { shedLoads } from '../core/preload-results';
import { decideFates, summarizeByTask, type FateInput, type WarmCounters, type WarmRecord } from '../core/warm-stats';
import {
  applyTaskUpdate,
  setIntervalSignal,
  taskIdFromWorkflowId,
  taskWorkflowId,
  type PreloadUserResult,
  type SetInterval,
  type WarmTaskInput,
} from '../workflows';

/** Options of `stats` and `reportData`: which warms count. */
export interface StatsOptions {
  /**
   * Only warms (and user preloads) that finished at or after this time, in milliseconds since the epoch.
   * @default every warm Temporal still keeps
   */
  sinceMs?: number;
  /**
   * Only this task. User preloads belong to no task, so with a task they are left out (all zero).
   * @default every task
   */
  taskId?: string;
  /**
   * Only tasks carrying this tag (the `WarmTags` search attribute); user preloads are left out, as
   * with a task.
   * @default every task
   */
  tag?: string;
  /**
   * The instance name the deployment's task workflow ids carry (`<instance>/warm-task:<taskId>`);
   * the warming client sets its own.
   * @default none: `warm-task:<taskId>`
   */
  instance?: string;
  /**
   * Where each run's digest (its warms and interval events, read from its history once) is kept
   * between calls; the warming client keeps them in Redis.
   * @default none: every history is read on every call
   */
  digests?: RunDigestStore;
  /**
   * Hears each task run's history read: `done` of `total` runs.
   * @default none
   */
  onProgress?: (done: number, total: number) => void;
}

/**
 * `warmctl stats --json`: warm counters overall and per task, then user preloads (`userPreloads`,
 * `preloadLatency`, `preloadFailures`).
 */
export interface WarmingStats extends WarmCounters, PreloadStats {
  byTask: Record<string, WarmCounters>;
  since: string | null;
  generatedAt: string;
  /** What this call read to answer: its cost (see docs/operations.md, "Fleet operations"). */
  read: HistoryReadCost;
}

/** Task workflow runs in scope, and how each was answered: from its kept digest or by reading its history. */
export interface HistoryReadCost {
  runs: number;
  /** Runs answered from a kept digest (open ones after one describe call). */
  fromDigest: number;
  /** Open runs described to see whether their history grew. */
  described: number;
  /** Histories read in full, and their events. */
  historiesRead: number;
  eventsRead: number;
}

/** One task's interval over time (the effective interval, adaptive re-plans included). */
export interface TaskIntervalHistory {
  taskId: string;
  /** The key in the latest spec seen. */
  cacheKey: string;
  adaptive: boolean;
  /** The tags in the latest spec seen (the report groups tasks by them). */
  tags?: string[];
  /** The interval from each point on; the first is the value at the window's start (or the task's). */
  points: IntervalPoint[];
  /** Where the line ends: now for a running task, else when its last run closed. */
  endMs: number;
}

/** Everything the stats and the report are made of, from one read of history. */
export interface WarmingHistory {
  stats: WarmingStats;
  /** Every warm in the window, oldest first, with its fate. */
  warms: WarmRecord[];
  /** Tasks with a run in the window, by id. */
  intervals: TaskIntervalHistory[];
  /** Closed preload runs in the window, oldest first (empty with a task filter). */
  preloads: PreloadRun[];
}

/** A warm as read from history, before its fate is known. */
interface HistoryWarm {
  taskId: string;
  cacheKey: string;
  ok: boolean;
  atMs: number;
  durationMs: number;
  /** What a successful warm's write reported: all its fate needs. */
  write?: FateInput;
  error?: string;
}

/**
 * Keeps run digests between stats calls, keyed by run id. A digest is JSON of what `readRun`
 * took out of one run's history; a closed run's never changes.
 */
export interface RunDigestStore {
  get(runIds: readonly string[]): Promise<(string | null)[]>;
  set(runId: string, digest: string): Promise<void>;
}

/** A run's digest as stored: its history read, and how long that history was. */
interface RunDigest extends RunHistory {
  v: typeof DIGEST_VERSION;
  /** Events read; an open run whose history is longer now is read again. */
  historyLength: number;
  closed: boolean;
}

/** Bumped when the digest's shape changes: older digests are read again from history. */
const DIGEST_VERSION = 1;

interface TaskRun {
  taskId: string;
  workflowId: string;
  runId: string;
  /** History length visibility knows: exact for a closed run, stale for an open one. */
  historyLength: number;
  startMs: number;
  /** Null while the run is open. */
  closeMs: number | null;
}

interface RunHistory {
  taskId: string;
  warms: HistoryWarm[];
  intervalEvents: IntervalEvent[];
  /** From the run's start input and later `applyTask` specs. */
  spec?: TaskSpec;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type PayloadConverter = Client['options']['loadedDataConverter']['payloadConverter'];

/** Parallel history reads; a stats call should not crowd out the workers' own Temporal traffic. */
const HISTORY_READS_IN_FLIGHT = 16;
const PRELOAD_WORKFLOW_TYPE = 'preloadUserWorkflow';
/** Run digests fetched from their store per request. */
const DIGEST_READ_CHUNK = 500;

/** Runs of this queue's task workflows that may hold warms in the window. */
async function listTaskRuns(client: Client, taskQueue: string, options: StatsOptions): Promise<TaskRun[]> {
  const clauses = [`WorkflowType = 'warmTaskWorkflow'`, taskQueuesClause(taskQueue)];
  if (options.taskId) clauses.push(`WorkflowId = ${quote(taskWorkflowId(options.taskId, options.instance))}`);
  if (options.tag) clauses.push(`WarmTags = ${quote(options.tag)}`);
  if (options.sinceMs !== undefined)
    clauses.push(`(ExecutionStatus = 'Running' OR CloseTime >= '${new Date(options.sinceMs).toISOString()}')`);
  const runs: TaskRun[] = [];
  for await (const execution of client.workflow.list({ query: clauses.join(' AND ') })) {
    const taskId = taskIdFromWorkflowId(execution.workflowId, options.instance);
    if (taskId === undefined) continue; // another instance's task on this queue
    runs.push({
      taskId,
      workflowId: execution.workflowId,
      runId: execution.runId,
      historyLength: execution.historyLength,
      startMs: execution.startTime.getTime(),
      closeMs: execution.status.name === 'RUNNING' ? null : (execution.closeTime?.getTime() ?? null),
    });
  }
  return runs.sort((a, b) => a.startMs - b.startMs);
}

/** Every warmKey activity in one run's history, completed or failed, and its interval events. */
async function readRun(client: Client, run: TaskRun): Promise<(RunHistory & { historyLength: number }) | undefined> {
  const taskId = run.taskId;
  const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
  const events = history.events ?? [];
  const converter = client.options.loadedDataConverter.payloadConverter;
  const scheduled = new Map<string, { atMs: number; cacheKey: string }>();
  const out: RunHistory = { taskId, warms: [], intervalEvents: [] };
  /** When the current workflow task started: a local warm ran inside it. */
  let taskStartedMs = 0;
  for (const event of events) {
    const atMs = tsToMs(event.eventTime);
    if (event.workflowTaskStartedEventAttributes) taskStartedMs = atMs;
    if (collectIntervalEvent(event, atMs, converter, out)) continue;
    const local = localActivity(event, converter);
    if (local) {
      if (local.activityType !== 'warmKey') continue;
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
    if (attributes && attributes.activityType?.name === 'warmKey') {
      const input = decode<{ cacheKey?: string }>(converter, attributes.input?.payloads?.[0]);
      scheduled.set(String(event.eventId), { atMs, cacheKey: input?.cacheKey ?? '' });
      continue;
    }
    const closed = closedActivity(event);
    if (!closed) continue;
    const start = scheduled.get(String(closed.scheduledEventId));
    if (!start) continue;
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
  return { ...out, historyLength: events.length };
}

function fateInput(result: WarmKeyResult): FateInput {
  return {
    version: result.version ?? 0,
    written: result.written ?? false,
    ...(result.replaced ? { replaced: result.replaced } : {}),
  };
}

/**
 * One run's history digest: kept from an earlier call when still current (a closed run's always
 * is; an open run's while its history has not grown, one describe call to tell), else read from
 * its history and kept.
 */
async function readRunDigest(
  client: Client,
  run: TaskRun,
  kept: string | null,
  digests: RunDigestStore | undefined,
  cost: HistoryReadCost,
): Promise<RunHistory | undefined> {
  const digest = parseDigest(kept);
  const closed = run.closeMs !== null;
  if (digest && (digest.closed || (closed && digest.historyLength === run.historyLength))) {
    cost.fromDigest++;
    return digest;
  }
  if (digest && !closed) {
    cost.described++;
    const { workflowExecutionInfo } = await client.workflowService.describeWorkflowExecution({
      namespace: client.options.namespace,
      execution: { workflowId: run.workflowId, runId: run.runId },
    });
    if (Number(workflowExecutionInfo?.historyLength ?? -1) === digest.historyLength) {
      cost.fromDigest++;
      return digest;
    }
  }
  const history = await readRun(client, run);
  cost.historiesRead++;
  cost.eventsRead += history?.historyLength ?? 0;
  if (history && digests) {
    const fresh: RunDigest = { v: DIGEST_VERSION, ...history, closed };
    await digests.set(run.runId, JSON.stringify(fresh));
  }
  return history;
}

function parseDigest(text: string | null): RunDigest | undefined {
  if (!text) return undefined;
  try {
    const digest = JSON.parse(text) as Partial<RunDigest>;
    return digest.v === DIGEST_VERSION && Array.isArray(digest.warms) ? (digest as RunDigest) : undefined;
  } catch {
    return undefined; // unreadable: read the history again
  }
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
): { activityType: string; ok: boolean; result?: temporal.api.common.v1.IPayload | null; error?: string } | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (!marker || marker.markerName !== 'core_local_activity') return undefined;
  const data = decode<{ activity_type?: string }>(converter, marker.details?.data?.payloads?.[0]);
  const activityType = data?.activity_type ?? '';
  if (marker.failure) return { activityType, ok: false, error: failureMessage(marker.failure) ?? 'failed' };
  return { activityType, ok: true, result: marker.details?.result?.payloads?.[0] };
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

/**
 * Decides each warm's fate: whether its value was read before it was replaced or expired (from
 * the replacing write's report, or for the latest warm from the key's metadata now).
 */
async function decideRecords(
  warms: readonly HistoryWarm[],
  store: CacheStore,
  options: StatsOptions,
  nowMs: number,
): Promise<WarmRecord[]> {
  const byKey = new Map<string, HistoryWarm[]>();
  for (const warm of warms) {
    const group = byKey.get(warm.cacheKey) ?? [];
    group.push(warm);
    byKey.set(warm.cacheKey, group);
  }
  const groups = [...byKey.entries()];
  const metas = await mapLimit(groups, HISTORY_READS_IN_FLIGHT, ([cacheKey]) => store.getMeta(cacheKey));
  const records: WarmRecord[] = [];
  groups.forEach(([cacheKey, group], g) => {
    const succeeded = group
      .filter((w) => w.ok && w.write)
      .sort((a, b) => (a.write?.version ?? 0) - (b.write?.version ?? 0));
    const meta = metas[g];
    const fates = decideFates(
      succeeded.map((w) => w.write as FateInput),
      meta,
      nowMs,
    );
    succeeded.forEach((warm, i) =>
      records.push({
        taskId: warm.taskId,
        cacheKey,
        ok: true,
        atMs: warm.atMs,
        durationMs: warm.durationMs,
        fate: fates[i] ?? 'pending',
      }),
    );
    for (const warm of group.filter((w) => !w.ok))
      records.push({
        taskId: warm.taskId,
        cacheKey,
        ok: false,
        atMs: warm.atMs,
        durationMs: warm.durationMs,
        fate: 'pending',
        // Digests kept in Redis by earlier versions hold errors as they were, unredacted.
        ...(warm.error ? { error: redact(warm.error) } : {}),
      });
  });
  return records
    .filter((record) => options.sinceMs === undefined || record.atMs >= options.sinceMs)
    .sort((a, b) => a.atMs - b.atMs);
}

/** Each task's effective interval over the window, from the events of its runs in order. */
function taskIntervals(
  runs: readonly TaskRun[],
  histories: readonly (RunHistory | undefined)[],
  options: StatsOptions,
  nowMs: number,
): TaskIntervalHistory[] {
  const byTask = new Map<string, { events: IntervalEvent[]; spec?: TaskSpec; endMs: number; open: boolean }>();
  runs.forEach((run, i) => {
    const history = histories[i];
    if (!history) return;
    const entry = byTask.get(history.taskId) ?? { events: [], endMs: 0, open: false };
    entry.events.push(...history.intervalEvents);
    if (history.spec) entry.spec = history.spec;
    if (run.closeMs === null) entry.open = true;
    else entry.endMs = Math.max(entry.endMs, run.closeMs);
    byTask.set(history.taskId, entry);
  });
  return [...byTask.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([taskId, entry]) => ({
      taskId,
      cacheKey: entry.spec?.cacheKey ?? '',
      adaptive: entry.spec?.adaptive ?? false,
      tags: [...(entry.spec?.tags ?? [])],
      points: clipIntervalHistory(intervalHistory([...entry.events].sort((a, b) => a.atMs - b.atMs)), options.sinceMs),
      endMs: entry.open ? nowMs : entry.endMs,
    }))
    .filter((task) => task.points.length > 0);
}

/**
 * Closed preload runs of this queue in the window. Latency is the run's start-to-close time from
 * visibility (what a login waits once its preload starts, queueing for a worker included, and
 * known without reading each history); failed sources come from each completed run's result.
 */
export async function readPreloadRuns(
  client: Client,
  taskQueue: string,
  options: StatsOptions = {},
): Promise<PreloadRun[]> {
  if (options.taskId !== undefined || options.tag !== undefined) return [];
  const clauses = [
    `WorkflowType = ${quote(PRELOAD_WORKFLOW_TYPE)}`,
    `TaskQueue = ${quote(taskQueue)}`,
    `ExecutionStatus != 'Running'`,
  ];
  if (options.sinceMs !== undefined) clauses.push(`CloseTime >= '${new Date(options.sinceMs).toISOString()}'`);
  const closed: WorkflowExecutionInfo[] = [];
  for await (const execution of client.workflow.list({ query: clauses.join(' AND ') })) {
    if (execution.closeTime && preloadStatus(execution) !== undefined) closed.push(execution);
  }
  const runs = await mapLimit(closed, HISTORY_READS_IN_FLIGHT, async (execution): Promise<PreloadRun> => {
    const status = preloadStatus(execution) as PreloadRunStatus;
    const startedAtMs = execution.startTime.getTime();
    const closedAtMs = (execution.closeTime as Date).getTime();
    let userId = userIdFromPreloadWorkflowId(execution.workflowId);
    let failedSources: PreloadRun['failedSources'] = [];
    let shed = 0;
    if (status === 'completed') {
      const result = await client.workflow
        .getHandle<() => Promise<PreloadUserResult>>(execution.workflowId, execution.runId, { followRuns: false })
        .result();
      userId = result.userId;
      failedSources = result.failed;
      shed = shedLoads(result.sources ?? []);
    }
    return {
      workflowId: execution.workflowId,
      userId,
      status,
      startedAtMs,
      closedAtMs,
      latencyMs: Math.max(0, closedAtMs - startedAtMs),
      failedSources,
      ...(shed > 0 ? { shedLoads: shed } : {}),
    };
  });
  return runs.sort((a, b) => a.closedAtMs - b.closedAtMs);
}

function preloadStatus(execution: WorkflowExecutionInfo): PreloadRunStatus | undefined {
  switch (execution.status.name) {
    case 'COMPLETED':
      return 'completed';
    case 'FAILED':
      return 'failed';
    case 'TIMED_OUT':
      return 'timedOut';
    case 'TERMINATED':
      return 'terminated';
    case 'CANCELLED':
      return 'canceled';
    default:
      return undefined; // running (or a status a preload never has)
  }
}

/** The user in `preload-user:<userId>:<startedAtMs>` (see preloadUserWorkflowId). */
function userIdFromPreloadWorkflowId(workflowId: string): string {
  return /^preload-user:(.*):\d+$/.exec(workflowId)?.[1] ?? workflowId;
}

/**
 * Reads every warm of this queue's tasks from history with its fate, each task's interval history,
 * and the closed user preloads, and derives the statistics from them. One pass over history.
 */
export async function readWarmingHistory(
  client: Client,
  taskQueue: string,
  store: CacheStore,
  options: StatsOptions = {},
  nowMs = Date.now(),
): Promise<WarmingHistory> {
  const [runs, preloads] = await Promise.all([
    listTaskRuns(client, taskQueue, options),
    readPreloadRuns(client, taskQueue, options),
  ]);
  const kept: (string | null)[] = [];
  for (let i = 0; i < runs.length; i += DIGEST_READ_CHUNK) {
    const chunk = runs.slice(i, i + DIGEST_READ_CHUNK).map((run) => run.runId);
    kept.push(...(options.digests ? await options.digests.get(chunk) : chunk.map(() => null)));
  }
  let read = 0;
  const cost: HistoryReadCost = { runs: runs.length, fromDigest: 0, described: 0, historiesRead: 0, eventsRead: 0 };
  const histories = await mapLimit(runs, HISTORY_READS_IN_FLIGHT, async (run, i) => {
    const history = await readRunDigest(client, run, kept[i] ?? null, options.digests, cost);
    options.onProgress?.(++read, runs.length);
    return history;
  });
  const warms = await decideRecords(
    histories.flatMap((history) => history?.warms ?? []),
    store,
    options,
    nowMs,
  );
  return {
    stats: {
      ...summarizeByTask(warms),
      ...summarizePreloads(preloads),
      since: options.sinceMs !== undefined ? new Date(options.sinceMs).toISOString() : null,
      generatedAt: new Date(nowMs).toISOString(),
      read: cost,
    },
    warms,
    intervals: taskIntervals(runs, histories, options, nowMs),
    preloads,
  };
}

/** Statistics over this queue's warms and user preloads, per the contract's `warmctl stats --json`. */
export async function readWarmingStats(
  client: Client,
  taskQueue: string,
  store: CacheStore,
  options: StatsOptions = {},
): Promise<WarmingStats> {
  return (await readWarmingHistory(client, taskQueue, store, options)).stats;
}

/** Quotes a value for a Temporal visibility query. */
