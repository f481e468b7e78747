// Warming statistics read out of Temporal history, the only source of truth: every warmKey
// activity a task workflow ran (in every run of its continue-as-new chain) is one warm record, and
// every closed preloadUserWorkflow run on the queue is one user preload.
import { isGrpcServiceError, ServiceError, type Client } from '@temporalio/client';
import { rethrowKnownErrorTypes } from '@temporalio/client/lib/helpers';
import { optionalTsToMs, tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { CacheStore } from '../store/cache-store';
import type { TaskSpec } from '../core/config-schema';
import { clipIntervalHistory, intervalHistory, type IntervalEvent, type IntervalPoint } from '../core/interval-history';
import { mapLimit } from '../core/map-limit';
import { changedTaskRunsQuery, closedPreloadsQuery, taskRunsQuery } from '../core/visibility-query';
import { summarizePreloads, type PreloadRun, type PreloadRunStatus, type PreloadStats } from '../core/preload-stats';
import { shedLoads } from '../core/preload-results';
import { USER_SOURCES } from '../core/user-preload-schema';
import { summarizeByTask, type WarmCounters, type WarmRecord } from '../core/warm-stats';
import { taskIdFromWorkflowId, taskWorkflowId, type PreloadUserResult } from '../workflows';
import {
  CATALOGUE_OVERLAP_MS,
  catalogueToKeep,
  FULL_LISTING_EVERY_MS,
  mergeRuns,
  parseRunCatalogue,
  retainedRuns,
  type ListedRun,
} from './run-catalogue';
import { decodeTaskRun, type RunHistory } from './task-history-decoding';
import { decideRecords } from './warm-fates';

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
   * Where each open run's warm mark is read (the activity id of the latest warm it started, set by
   * the warmKey activity before the warm returns): an open run whose kept digest holds the warm its
   * mark names has recorded no warm since, and needs no describe call. Only for warm counts: the
   * interval events the report also draws change without a warm, so `reportData` goes without.
   * @default none: every open run with a digest is described
   */
  warmMarks?: RunWarmMarkStore;
  /**
   * Where the listing of the queue's task runs is kept between calls (client/run-catalogue.ts): a
   * call over every task (no task or tag filter) then lists only the runs that started or closed
   * since the kept one, and one count call vouches that nothing else changed (else it lists in
   * full). Runs past the namespace's retention are left out of such a call, even while the server
   * has not deleted them yet. The warming client keeps it in Redis.
   * @default none: every call lists every run in scope
   */
  runCatalogue?: RunCatalogueStore;
  /**
   * Most runs a kept run catalogue holds: past it none is kept, and one kept before is deleted, so
   * each call lists in full without first listing the runs changed since a catalogue it cannot keep.
   * @default MAX_CATALOGUE_RUNS (1 000 000: about 90 MB, one Redis string)
   */
  maxCatalogueRuns?: number;
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
  /**
   * Task runs visibility listed: every run in scope, or with a kept run catalogue only those that
   * started or closed since it was kept.
   */
  runsListed: number;
  /** Runs answered from a kept digest (open ones after their warm mark or one describe call said it is current). */
  fromDigest: number;
  /** Open runs answered from a kept digest because their warm mark names the last warm it holds: no describe. */
  fromWarmMark: number;
  /** Open runs described to see whether their history grew. */
  described: number;
  /** Histories read in full, and their events. */
  historiesRead: number;
  eventsRead: number;
  /** Closed user preload runs in scope, and the completed ones whose result was read (the others' is kept as their digest). */
  preloadRuns: number;
  preloadResultsRead: number;
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

/**
 * Keeps run digests between stats calls, keyed by run id. A digest is JSON of what `readRun`
 * took out of one run's history; a closed run's never changes.
 */
export interface RunDigestStore {
  get(runIds: readonly string[]): Promise<(string | null)[]>;
  set(runId: string, digest: string): Promise<void>;
}

/** Keeps one queue's run catalogue (client/run-catalogue.ts) between stats calls, as text. */
export interface RunCatalogueStore {
  get(): Promise<string | null>;
  set(catalogue: string): Promise<void>;
  delete(): Promise<void>;
}

/** Reads open runs' warm marks (store/run-warm-marks.ts) in bulk: null where a run has none. */
export interface RunWarmMarkStore {
  get(runIds: readonly string[]): Promise<(string | null)[]>;
}

/** A call's read cost before it has read anything. */
export function noReadCost(): HistoryReadCost {
  return {
    runs: 0,
    runsListed: 0,
    fromDigest: 0,
    fromWarmMark: 0,
    described: 0,
    historiesRead: 0,
    eventsRead: 0,
    preloadRuns: 0,
    preloadResultsRead: 0,
  };
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

/** A listed run of one of this deployment's tasks. */
interface TaskRun extends ListedRun {
  taskId: string;
}

/**
 * Parallel history reads (and describes). A stats call should not crowd out the workers' own
 * Temporal traffic; 32 read 2 000 histories 8-30% faster than 16 on a 2-core dev server, 64 no
 * faster again (bench/profile-stats.ts).
 */
const HISTORY_READS_IN_FLIGHT = 32;
/** Run digests fetched from their store per request. */
const DIGEST_READ_CHUNK = 500;
/** Runs per visibility page (the server's default maximum). */
const LIST_PAGE_SIZE = 1000;

const STATUS = temporal.api.enums.v1.WorkflowExecutionStatus;
const RUNNING = STATUS.WORKFLOW_EXECUTION_STATUS_RUNNING;

/**
 * Raw visibility pages of `query`: the few fields needed are read as they come, with none of the
 * memo and search attributes the client's own `list` decodes for each run (30 ms of client CPU per
 * 2 000 runs against 140 ms, bench/profile-stats.ts); errors as that `list` throws them.
 */
async function* executionPages(
  client: Client,
  query: string,
): AsyncGenerator<temporal.api.workflow.v1.IWorkflowExecutionInfo[]> {
  let nextPageToken: Uint8Array | undefined;
  do {
    let page: temporal.api.workflowservice.v1.ListWorkflowExecutionsResponse;
    try {
      page = await client.workflowService.listWorkflowExecutions({
        namespace: client.options.namespace,
        query,
        pageSize: LIST_PAGE_SIZE,
        ...(nextPageToken ? { nextPageToken } : {}),
      });
    } catch (err) {
      if (!isGrpcServiceError(err)) throw err;
      rethrowKnownErrorTypes(err);
      throw new ServiceError('Failed to list workflows', { cause: err });
    }
    yield page.executions;
    nextPageToken = page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
  } while (nextPageToken);
}

/** The task runs `query` selects, a visibility page at a time (every instance's). */
async function* listedRunPages(client: Client, query: string): AsyncGenerator<ListedRun[]> {
  for await (const executions of executionPages(client, query)) {
    const runs: ListedRun[] = [];
    for (const execution of executions) {
      const workflowId = execution.execution?.workflowId;
      const runId = execution.execution?.runId;
      if (!workflowId || !runId) continue;
      runs.push({
        workflowId,
        runId,
        historyLength: Number(execution.historyLength ?? 0),
        startMs: tsToMs(execution.startTime),
        closeMs: execution.status === RUNNING ? null : (optionalTsToMs(execution.closeTime) ?? null),
      });
    }
    yield runs;
  }
}

/** Every run `query` selects. */
async function listRuns(client: Client, query: string): Promise<ListedRun[]> {
  const runs: ListedRun[] = [];
  for await (const page of listedRunPages(client, query)) runs.push(...page);
  return runs;
}

/** The runs of this deployment's tasks among `runs` (another instance's task may share the queue). */
function taskRunsOf(runs: readonly ListedRun[], instance: string | undefined): TaskRun[] {
  const out: TaskRun[] = [];
  for (const run of runs) {
    const taskId = taskIdFromWorkflowId(run.workflowId, instance);
    if (taskId !== undefined) out.push({ ...run, taskId });
  }
  return out;
}

/** The query of this queue's task runs that may hold warms in the window. */
function scopedTaskRunsQuery(taskQueue: string, options: StatsOptions): string {
  return taskRunsQuery(taskQueue, {
    ...(options.taskId !== undefined ? { workflowId: taskWorkflowId(options.taskId, options.instance) } : {}),
    ...(options.tag !== undefined ? { tag: options.tag } : {}),
    ...(options.sinceMs !== undefined ? { sinceMs: options.sinceMs } : {}),
  });
}

/** How many runs `query` selects, by one count call. */
async function countRuns(client: Client, query: string): Promise<number> {
  try {
    const { count } = await client.workflowService.countWorkflowExecutions({
      namespace: client.options.namespace,
      query,
    });
    return Number(count ?? 0);
  } catch (err) {
    if (!isGrpcServiceError(err)) throw err;
    rethrowKnownErrorTypes(err);
    throw new ServiceError('Failed to count workflows', { cause: err });
  }
}

/** The namespace's retention of closed runs, or undefined when it cannot be read (or keeps them for ever). */
async function namespaceRetentionMs(client: Client): Promise<number | undefined> {
  try {
    const { config } = await client.workflowService.describeNamespace({ namespace: client.options.namespace });
    const retention = optionalTsToMs(config?.workflowExecutionRetentionTtl);
    return retention !== undefined && retention > 0 ? retention : undefined;
  } catch {
    return undefined; // no cutoff: the count then also covers runs past retention (a full listing when one goes)
  }
}

/**
 * Every run of this queue's tasks inside the namespace's retention (each instance's: the count
 * cannot tell them apart), from the kept catalogue and the runs that started or closed since it,
 * when the count of such runs says that is all of them; else (and at least every
 * FULL_LISTING_EVERY_MS) from a full listing. Keeps the result as the next call's catalogue.
 * Undefined, having listed nothing, when a windowed call finds no catalogue (its own listing is
 * smaller than a full one).
 */
async function catalogueRuns(
  client: Client,
  taskQueue: string,
  store: RunCatalogueStore,
  options: StatsOptions,
  nowMs: number,
  cost: HistoryReadCost,
): Promise<ListedRun[] | undefined> {
  const [text, retentionMs] = await Promise.all([store.get(), namespaceRetentionMs(client)]);
  const cutoffMs = retentionMs !== undefined ? nowMs - retentionMs : undefined;
  const parsed = parseRunCatalogue(text, taskQueue);
  const kept = parsed && nowMs - parsed.fullListingMs < FULL_LISTING_EVERY_MS ? parsed : undefined;
  let runs: ListedRun[] | undefined;
  let fullListingMs = kept?.fullListingMs ?? nowMs;
  if (kept) {
    const [changed, count] = await Promise.all([
      listRuns(client, changedTaskRunsQuery(taskQueue, kept.asOfMs - CATALOGUE_OVERLAP_MS)),
      countRuns(client, taskRunsQuery(taskQueue, cutoffMs !== undefined ? { sinceMs: cutoffMs } : {})),
    ]);
    cost.runsListed += changed.length;
    const merged = retainedRuns(mergeRuns(kept.runs, changed), cutoffMs);
    // A run deleted, or one visibility showed late, makes the counts differ: list them all.
    if (merged.length === count) runs = merged;
  }
  if (!runs) {
    if (!parsed && options.sinceMs !== undefined) return undefined;
    const listed = await listRuns(client, taskRunsQuery(taskQueue));
    cost.runsListed += listed.length;
    runs = retainedRuns(listed, cutoffMs);
    fullListingMs = nowMs;
  }
  const next = catalogueToKeep({ taskQueue, asOfMs: nowMs, fullListingMs, runs }, options.maxCatalogueRuns);
  if (next !== null) await store.set(next);
  else if (text !== null) await store.delete();
  return runs;
}

/** A run in scope with what was kept of it: its digest, and an open run's warm mark. */
interface KeptRun {
  run: TaskRun;
  digest: RunDigest | undefined;
  mark: string | null;
}

/** The kept digest texts of these runs, in their order, DIGEST_READ_CHUNK a request (null where none is kept). */
async function readDigestTexts(
  runIds: readonly string[],
  digests: RunDigestStore | undefined,
): Promise<(string | null)[]> {
  if (!digests) return runIds.map(() => null);
  const texts: (string | null)[] = [];
  for (let i = 0; i < runIds.length; i += DIGEST_READ_CHUNK)
    texts.push(...(await digests.get(runIds.slice(i, i + DIGEST_READ_CHUNK))));
  return texts;
}

/**
 * Every item of every page, each page's `read` going out while the next page is listed, so a
 * repeated call costs about its listing.
 */
async function readPagesAsListed<P, T>(pages: AsyncIterable<P>, read: (page: P) => Promise<T[]>): Promise<T[]> {
  const reads: Promise<T[]>[] = [];
  try {
    for await (const page of pages) reads.push(read(page));
  } finally {
    // A failed listing must not leave a page's reads rejecting unheard.
    await Promise.allSettled(reads);
  }
  return (await Promise.all(reads)).flat();
}

/** The kept digests of `runs` and, for the open ones with a digest, their warm marks. */
async function keptRuns(runs: readonly TaskRun[], options: StatsOptions): Promise<KeptRun[]> {
  const texts = await readDigestTexts(
    runs.map((run) => run.runId),
    options.digests,
  );
  const kept: KeptRun[] = runs.map((run, i) => ({ run, digest: parseDigest(texts[i] ?? null), mark: null }));
  // Marks only for open runs with a digest: a closed run's digest needs none, a run without one is read.
  const marked = kept.filter((entry) => entry.run.closeMs === null && entry.digest);
  if (options.warmMarks && marked.length > 0) {
    const marks = await options.warmMarks.get(marked.map((entry) => entry.run.runId));
    marked.forEach((entry, j) => (entry.mark = marks[j] ?? null));
  }
  return kept;
}

/** Every run in scope with its digest and mark, oldest first. */
async function listKeptRuns(
  client: Client,
  taskQueue: string,
  options: StatsOptions,
  nowMs: number,
  cost: HistoryReadCost,
): Promise<KeptRun[]> {
  const { runCatalogue, taskId, tag, sinceMs, instance } = options;
  // A tag can be added to a running task, which no start or close time shows: tag calls list.
  const catalogued =
    runCatalogue && taskId === undefined && tag === undefined
      ? await catalogueRuns(client, taskQueue, runCatalogue, options, nowMs, cost)
      : undefined;
  let kept: KeptRun[];
  if (catalogued) {
    const inWindow = catalogued.filter(
      (run) => sinceMs === undefined || run.closeMs === null || run.closeMs >= sinceMs,
    );
    kept = await keptRuns(taskRunsOf(inWindow, instance), options);
  } else {
    kept = await readPagesAsListed(listedRunPages(client, scopedTaskRunsQuery(taskQueue, options)), (runs) => {
      cost.runsListed += runs.length;
      return keptRuns(taskRunsOf(runs, instance), options);
    });
  }
  return kept.sort((a, b) => a.run.startMs - b.run.startMs);
}

/** One run's history, read and decoded. */
async function readRun(client: Client, run: TaskRun): Promise<(RunHistory & { historyLength: number }) | undefined> {
  const taskId = run.taskId;
  const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
  const events = history.events ?? [];
  const converter = client.options.loadedDataConverter.payloadConverter;
  return { ...decodeTaskRun(taskId, events, converter), historyLength: events.length };
}

/**
 * One run's history digest: kept from an earlier call when still current (a closed run's always
 * is; an open run's while its warm mark names the digest's last warm, or else while its history has
 * not grown, one describe call to tell), else read from its history and kept.
 */
async function readRunDigest(
  client: Client,
  run: TaskRun,
  digest: RunDigest | undefined,
  mark: string | null,
  digests: RunDigestStore | undefined,
  cost: HistoryReadCost,
): Promise<RunHistory | undefined> {
  const closed = run.closeMs !== null;
  if (digest && (digest.closed || (closed && digest.historyLength === run.historyLength))) {
    cost.fromDigest++;
    return digest;
  }
  // The mark is set before its warm can reach history: naming the digest's last warm, it says no
  // warm has been recorded since (one in flight when the history was read has a newer id).
  if (digest && !closed && mark !== null && digest.lastWarmActivityId === mark) {
    cost.fromDigest++;
    cost.fromWarmMark++;
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

/** A closed preload run as visibility lists it. */
interface ClosedPreload {
  workflowId: string;
  runId: string;
  status: PreloadRunStatus;
  startedAtMs: number;
  closedAtMs: number;
}

/** What a completed preload run's result says, kept as its digest (a closed run's result never changes). */
interface PreloadDigest {
  v: typeof DIGEST_VERSION;
  kind: 'preload';
  userId: string;
  failed: PreloadRun['failedSources'];
  shed: number;
}

/** This queue's closed preload runs in the window, a raw visibility page at a time. */
async function* closedPreloadPages(
  client: Client,
  taskQueue: string,
  sinceMs?: number,
): AsyncGenerator<ClosedPreload[]> {
  for await (const executions of executionPages(client, closedPreloadsQuery(taskQueue, sinceMs))) {
    const runs: ClosedPreload[] = [];
    for (const execution of executions) {
      const workflowId = execution.execution?.workflowId;
      const runId = execution.execution?.runId;
      const status = preloadStatus(execution.status);
      const closedAtMs = optionalTsToMs(execution.closeTime);
      if (!workflowId || !runId || status === undefined || closedAtMs === undefined) continue;
      runs.push({ workflowId, runId, status, startedAtMs: tsToMs(execution.startTime), closedAtMs });
    }
    yield runs;
  }
}

/** A closed preload run with the digest kept of it (only a completed run has one). */
interface KeptPreload {
  run: ClosedPreload;
  digest: PreloadDigest | undefined;
}

/** `runs` with the kept digests of the completed ones. */
async function keptPreloads(
  runs: readonly ClosedPreload[],
  digests: RunDigestStore | undefined,
): Promise<KeptPreload[]> {
  const completed = runs.filter((run) => run.status === 'completed');
  const texts = await readDigestTexts(
    completed.map((run) => run.runId),
    digests,
  );
  const byRun = new Map(completed.map((run, i) => [run.runId, parsePreloadDigest(texts[i] ?? null)]));
  return runs.map((run) => ({ run, digest: byRun.get(run.runId) }));
}

/** A completed preload run's digest, from its result (its close event only), kept for the next call. */
async function readPreloadDigest(
  client: Client,
  run: ClosedPreload,
  digests: RunDigestStore | undefined,
): Promise<PreloadDigest> {
  const result = await client.workflow
    .getHandle<() => Promise<PreloadUserResult>>(run.workflowId, run.runId, { followRuns: false })
    .result();
  const digest: PreloadDigest = {
    v: DIGEST_VERSION,
    kind: 'preload',
    userId: result.userId,
    failed: result.failed,
    shed: shedLoads(result.sources ?? []),
  };
  await digests?.set(run.runId, JSON.stringify(digest));
  return digest;
}

/**
 * Closed preload runs of this queue in the window. Latency is the run's start-to-close time from
 * visibility (what a login waits once its preload starts, queueing for a worker included, and
 * known without reading each history); failed sources come from each completed run's result,
 * read once and then kept as the run's digest (so a repeated call costs about its listing).
 */
export async function readPreloadRuns(
  client: Client,
  taskQueue: string,
  options: StatsOptions = {},
  cost?: Pick<HistoryReadCost, 'preloadRuns' | 'preloadResultsRead'>,
): Promise<PreloadRun[]> {
  if (options.taskId !== undefined || options.tag !== undefined) return [];
  const closed = await readPagesAsListed(closedPreloadPages(client, taskQueue, options.sinceMs), (runs) =>
    keptPreloads(runs, options.digests),
  );
  if (cost) cost.preloadRuns += closed.length;
  const runs = await mapLimit(closed, HISTORY_READS_IN_FLIGHT, async ({ run, digest }): Promise<PreloadRun> => {
    let kept = digest;
    if (run.status === 'completed' && !kept) {
      kept = await readPreloadDigest(client, run, options.digests);
      if (cost) cost.preloadResultsRead++;
    }
    const shed = kept?.shed ?? 0;
    return {
      workflowId: run.workflowId,
      userId: kept?.userId ?? userIdFromPreloadWorkflowId(run.workflowId),
      status: run.status,
      startedAtMs: run.startedAtMs,
      closedAtMs: run.closedAtMs,
      latencyMs: Math.max(0, run.closedAtMs - run.startedAtMs),
      failedSources: kept?.failed ?? [],
      ...(shed > 0 ? { shedLoads: shed } : {}),
    };
  });
  return runs.sort((a, b) => a.closedAtMs - b.closedAtMs);
}

/** The sources a kept preload digest may name as failed. */
const PRELOAD_SOURCE_NAMES: ReadonlySet<string> = new Set(USER_SOURCES);

function parsePreloadDigest(text: string | null): PreloadDigest | undefined {
  if (!text) return undefined;
  try {
    const digest = JSON.parse(text) as Partial<PreloadDigest>;
    return digest.v === DIGEST_VERSION &&
      digest.kind === 'preload' &&
      typeof digest.userId === 'string' &&
      Array.isArray(digest.failed) &&
      digest.failed.every((source) => PRELOAD_SOURCE_NAMES.has(source)) &&
      typeof digest.shed === 'number'
      ? (digest as PreloadDigest)
      : undefined;
  } catch {
    return undefined; // unreadable: read the result again
  }
}

function preloadStatus(
  status: temporal.api.enums.v1.WorkflowExecutionStatus | null | undefined,
): PreloadRunStatus | undefined {
  switch (status) {
    case STATUS.WORKFLOW_EXECUTION_STATUS_COMPLETED:
      return 'completed';
    case STATUS.WORKFLOW_EXECUTION_STATUS_FAILED:
      return 'failed';
    case STATUS.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
      return 'timedOut';
    case STATUS.WORKFLOW_EXECUTION_STATUS_TERMINATED:
      return 'terminated';
    case STATUS.WORKFLOW_EXECUTION_STATUS_CANCELED:
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
  const cost = noReadCost();
  const [kept, preloads] = await Promise.all([
    listKeptRuns(client, taskQueue, options, nowMs, cost),
    readPreloadRuns(client, taskQueue, options, cost),
  ]);
  const runs = kept.map((entry) => entry.run);
  cost.runs = runs.length;
  let read = 0;
  const histories = await mapLimit(kept, HISTORY_READS_IN_FLIGHT, async ({ run, digest, mark }) => {
    const history = await readRunDigest(client, run, digest, mark, options.digests, cost);
    options.onProgress?.(++read, runs.length);
    return history;
  });
  const warms = await decideRecords(
    histories.flatMap((history) => history?.warms ?? []),
    store,
    options.sinceMs,
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
