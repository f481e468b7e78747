// bounded-memory: N task workflows on a worker whose workflow cache is the shipped default (a
// bounded count, far below N) against the same N on a worker that caches every one of them, each
// phase on a queue and a worker process of its own: the worker's peak memory, the time until every
// task has warmed once, and one forced wave of every task (each an eviction on the bounded
// worker: its history is replayed first). Then what one eviction costs at the longest history a
// task run keeps: replaying it against a cached warm.
import { Worker } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { decodeTaskRun } from '../../client/task-history-decoding';
import { createWarmingClient, type WarmingClient } from '../../client/warming-client';
import { parseTask } from '../../core/config-schema';
import { mapLimit } from '../../core/map-limit';
import { defaultMaxCachedWorkflows, splitWorkflowCache } from '../../worker/create-worker';
import { forceWarmSignal, SHORT_HISTORY_EVENTS, statusQuery, taskWorkflowId, warmTaskWorkflow } from '../../workflows';
import { countBillableActions, type ActionCount } from '../billable-actions';
import { since, type BenchContext } from '../bench-context';
import { makeRow, type BenchRow } from '../bench-report';
import { CpuMeter, RssSampler, type WorkerExtras } from '../bench-stack';
import { KeyWrites } from '../key-writes';
import { round, summarize } from '../stats';

export interface BoundedMemoryOptions {
  tasks: number;
  /** Replays of the longest history timed (after one untimed). */
  replays: number;
  /** Cached warms timed for the replay row's baseline. */
  cachedWarms: number;
}

type Phase = 'cached' | 'bounded';

interface PhaseResult {
  workflowCache: number;
  idleRssMiB: number;
  peakRssMiB: number;
  applySeconds: number;
  firstWarmSeconds: number;
  waveRate: number;
  workerCpuMsPerWarm: number;
}

const KEY_PREFIX = 'bench:bounded:';
const WAVE_TIMEOUT_MS = 15 * 60_000;
const SIGNALS_IN_FLIGHT = 32;
/** Heap for the fully cached baseline: a cached task workflow takes up to 400 KiB. */
const CACHED_HEAP_MIB = 16_384;

export async function runBoundedMemory(ctx: BenchContext, options: BoundedMemoryOptions): Promise<BenchRow[]> {
  const n = options.tasks;
  const shippedCache = process.env.WARMING_MAX_CACHED_WORKFLOWS
    ? Number(process.env.WARMING_MAX_CACHED_WORKFLOWS)
    : defaultMaxCachedWorkflows();
  // The whole cache for the main queue's worker, which runs every task here.
  const fullCache = Math.ceil((n * 8) / 7) + 16;
  if (splitWorkflowCache(fullCache).main < n) throw new Error(`a cache of ${fullCache} does not hold ${n} tasks`);
  const writes = await KeyWrites.start(ctx.redis, [`${KEY_PREFIX}cached:`, `${KEY_PREFIX}bounded:`]);
  const results: Partial<Record<Phase, PhaseResult>> = {};
  let replay: { historyEvents: number; replayMs: number[]; cachedWarmMs: number[] } | undefined;
  let cadence: RunCadence | undefined;
  try {
    // The baseline first, so the bounded phase runs on the server holding both phases' workflows.
    results.cached = await runPhase(ctx, 'cached', n, writes, fullCache, {
      env: { WARMING_MAX_CACHED_WORKFLOWS: String(fullCache) },
      nodeArgs: [`--max-old-space-size=${CACHED_HEAP_MIB}`],
    });
    results.bounded = await runPhase(ctx, 'bounded', n, writes, shippedCache, {}, async (warming, taskQueue) => {
      replay = await measureReplay(ctx, warming, options);
      cadence = await measureRunCadence(ctx, taskQueue);
    });
  } finally {
    await writes.stop();
  }
  const cached = results.cached as PhaseResult;
  const bounded = results.bounded as PhaseResult;
  const measured = replay as NonNullable<typeof replay>;
  const run = cadence as RunCadence;
  const params = {
    tasks: n,
    phases: results,
    wavesCutShort: writes.timedOut,
    waveTimeoutSeconds: WAVE_TIMEOUT_MS / 1000,
    cachedBaseline: `WARMING_MAX_CACHED_WORKFLOWS=${fullCache} and --max-old-space-size=${CACHED_HEAP_MIB} (every task cached)`,
    bounded: `the shipped default cache (${shippedCache} per process: ${splitWorkflowCache(shippedCache).main} for the main queue)`,
    originConcurrency: ctx.limits.originConcurrency,
    workerMaxActivities: ctx.limits.maxActivities,
    taskSpec:
      'http loader on the bench origin (0 ms), 512 B values, intervalMinutes 1440, adaptive false, not critical',
    wave: `forceWarm signalled to every task (${SIGNALS_IN_FLIGHT} signals in flight), timed until every key was written (keyspace events)`,
    order: 'the cached phase first, then the bounded one, each on its own queue and worker process, one dev server',
  };
  const workload = `${n} task workflows on one in-memory dev server, a worker process of their own per phase`;
  const common = { temporalPersistence: ctx.persistence, params };
  const baseline = 'the same tasks on a worker caching every one of them';
  return [
    makeRow({
      ...common,
      name: 'bounded-memory-worker-rss',
      unit: 'MiB',
      better: 'lower',
      baseline,
      value: summarize([bounded.peakRssMiB]),
      baselineValue: summarize([cached.peakRssMiB]),
      target: { op: '<=', value: 1024, of: 'value' },
      workload: `${workload}; peak resident memory of the worker (sampled every 250 ms) from apply to the end of the wave`,
    }),
    makeRow({
      ...common,
      name: 'bounded-memory-wave-per-second',
      unit: 'warms/s',
      better: 'higher',
      baseline,
      value: summarize([bounded.waveRate]),
      baselineValue: summarize([cached.waveRate]),
      target: { op: '>=', value: 0.8 },
      workload: `${workload}; one forced wave of every task (on the bounded worker each warm replays its evicted task first)`,
    }),
    makeRow({
      ...common,
      name: 'bounded-memory-first-warm-seconds',
      unit: 's',
      better: 'lower',
      baseline,
      value: summarize([bounded.firstWarmSeconds]),
      baselineValue: summarize([cached.firstWarmSeconds]),
      target: { op: '<=', value: 1.2 },
      workload: `${workload}; from apply until every task has warmed once`,
    }),
    makeRow({
      temporalPersistence: ctx.persistence,
      params: {
        historyEvents: measured.historyEvents,
        replays: measured.replayMs.length,
        cachedWarms: measured.cachedWarmMs.length,
      },
      name: 'evicted-task-replay-ms',
      unit: 'ms',
      better: 'lower',
      baseline: 'a warm of the same task while cached (warmctl warm --wait round trip)',
      value: summarize(measured.replayMs),
      baselineValue: summarize(measured.cachedWarmMs),
      workload: `one task's history at the longest a run keeps (${measured.historyEvents} events, then it continues as new), replayed by the SDK's replayer in the bench process`,
    }),
    makeRow({
      temporalPersistence: ctx.persistence,
      params: { ...run, rules: 'bench/billable-actions.ts (Temporal Cloud, read 2026-12-03)' },
      name: 'warm-actions-per-run',
      unit: 'actions',
      better: 'lower',
      baseline: 'a scheduled warm inside a run: its timer and its workflow task of local activities',
      value: summarize([run.actions.total / run.warms]),
      baselineValue: summarize([2]),
      workload: `Temporal Cloud actions per scheduled warm over one whole task run (${run.events} events, ${run.warms} warms, from its start by continue-as-new to its own continue-as-new)`,
    }),
  ];
}

/** One phase: a worker of its own on a queue of its own, apply, every first warm, one forced wave. */
async function runPhase(
  ctx: BenchContext,
  phase: Phase,
  n: number,
  writes: KeyWrites,
  workflowCache: number,
  extras: WorkerExtras,
  after?: (warming: WarmingClient, taskQueue: string) => Promise<void>,
): Promise<PhaseResult> {
  const { stack, client, redis, limits } = ctx;
  const taskQueue = `${stack.taskQueue}-${phase}`;
  const prefix = `${KEY_PREFIX}${phase}:`;
  const worker = await stack.startWorker(limits, taskQueue, extras);
  const rss = new RssSampler(worker.pid);
  const warming = await createWarmingClient({ client, redis, taskQueue });
  try {
    const ids = Array.from({ length: n }, (_, i) => `${phase}-${i}`);
    let started = performance.now();
    const applied = await warming.apply({
      tasks: ids.map((taskId, i) => ({
        taskId,
        cacheKey: `${prefix}${i}`,
        loader: { type: 'http' as const, url: `${stack.originUrl}/items/${i}?ms=0` },
        ttlSeconds: 3600,
        // Only the start warm and forced warms: no scheduled warm falls inside the measurement.
        intervalMinutes: 24 * 60,
        adaptive: false,
      })),
    });
    const applySeconds = since(started) / 1000;
    if (applied.created !== n) throw new Error(`${phase}: apply created ${applied.created} of ${n} tasks`);
    await writes.until(prefix, n, WAVE_TIMEOUT_MS, ctx.log);
    const firstWarmSeconds = since(started) / 1000;
    ctx.log(
      `bounded-memory: ${phase}: ${n} tasks all warmed once after ${round(firstWarmSeconds)} s (peak RSS ${round(rss.peakMiB)} MiB)`,
    );
    const base = writes.count(prefix);
    const cpu = new CpuMeter({ worker: worker.pid });
    started = performance.now();
    await mapLimit(ids, SIGNALS_IN_FLIGHT, (id) =>
      client.workflow.getHandle(taskWorkflowId(id)).signal(forceWarmSignal, { reason: 'bench wave' }),
    );
    await writes.until(prefix, base + n, WAVE_TIMEOUT_MS, ctx.log);
    const done = writes.count(prefix) - base;
    const waveRate = done / (since(started) / 1000);
    const workerCpuMsPerWarm = ((cpu.used().worker ?? NaN) * 1000) / done;
    ctx.log(`bounded-memory: ${phase}: wave ${round(waveRate)} warms/s (peak RSS ${round(rss.peakMiB)} MiB)`);
    await after?.(warming, taskQueue);
    return {
      workflowCache,
      idleRssMiB: round(rss.idleMiB),
      peakRssMiB: round(rss.peakMiB),
      applySeconds: round(applySeconds),
      firstWarmSeconds: round(firstWarmSeconds),
      waveRate: round(waveRate),
      workerCpuMsPerWarm: round(workerCpuMsPerWarm),
    };
  } finally {
    rss.stop();
    await warming.close();
    await worker.stop();
  }
}

/**
 * One task warmed until its run is one warm short of continuing as new, then its history replayed
 * (the work an eviction adds to its next warm) against that task's warms while cached.
 */
async function measureReplay(
  ctx: BenchContext,
  warming: WarmingClient,
  options: BoundedMemoryOptions,
): Promise<{ historyEvents: number; replayMs: number[]; cachedWarmMs: number[] }> {
  const taskId = 'bounded-0';
  const handle = ctx.client.workflow.getHandle(taskWorkflowId(taskId));
  const cachedWarmMs: number[] = [];
  // Each warm adds 7-9 events; stop before the one that would reach the limit.
  for (;;) {
    const length = Number((await handle.describe()).historyLength);
    if (length + 10 >= SHORT_HISTORY_EVENTS) break;
    const started = performance.now();
    await warming.tasks.warm(taskId, { wait: true });
    // The first warm after the wave may follow an eviction: time the ones after it.
    if (cachedWarmMs.length < options.cachedWarms) cachedWarmMs.push(since(started));
  }
  cachedWarmMs.shift();
  const history = await handle.fetchHistory();
  const workflowBundle = { code: readFileSync(resolve(__dirname, '../../workflow-bundle.js'), 'utf8') };
  const replayMs: number[] = [];
  async function* histories() {
    for (let i = 0; i <= options.replays; i++) yield { workflowId: `replay-${i}`, history };
  }
  let started = performance.now();
  for await (const result of Worker.runReplayHistories({ workflowBundle, replayName: 'bounded-memory' }, histories())) {
    if (result.error) throw result.error;
    replayMs.push(since(started));
    started = performance.now();
  }
  replayMs.shift(); // the replayer's own start
  return { historyEvents: history.events?.length ?? 0, replayMs, cachedWarmMs };
}

interface RunCadence {
  events: number;
  warms: number;
  actions: ActionCount;
}

/**
 * A task warming on its schedule every 0.6 s until it has continued as new twice: the actions of
 * its second run (started by continue-as-new, ended by one), per warm it holds.
 */
async function measureRunCadence(ctx: BenchContext, taskQueue: string): Promise<RunCadence> {
  const { client, stack } = ctx;
  const taskId = 'bounded-cadence';
  const spec = parseTask({
    taskId,
    cacheKey: `${KEY_PREFIX}cadence`,
    loader: { type: 'http', url: `${stack.originUrl}/items/0?ms=0` },
    ttlSeconds: 3600,
    intervalMinutes: 0.01,
    adaptive: false,
  });
  const handle = await client.workflow.start(warmTaskWorkflow, {
    workflowId: taskWorkflowId(taskId),
    taskQueue,
    args: [{ spec }],
  });
  try {
    const deadline = Date.now() + 5 * 60_000;
    while ((await handle.query(statusQuery)).generation < 2) {
      if (Date.now() > deadline) throw new Error('the cadence task did not continue as new twice within 5 minutes');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const first = await client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).fetchHistory();
    const secondRunId = first.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (!secondRunId) throw new Error("the cadence task's first run did not end by continuing as new");
    const events = (await client.workflow.getHandle(handle.workflowId, secondRunId).fetchHistory()).events ?? [];
    const converter = client.options.loadedDataConverter.payloadConverter;
    return {
      events: events.length,
      warms: decodeTaskRun(taskId, events, converter).warms.length,
      actions: countBillableActions(events),
    };
  } finally {
    await handle.terminate('bench done');
  }
}
