// scale-tasks: N task workflows (warm-task:<id>, one per key) applied through the warming client
// on one dev server and one fresh worker process: the worker's memory, history events per warm,
// and warms per second sustained when every task is told to warm at once (forceWarm), against a
// plain script loading and writing the same N keys under the same per-origin cap. Then the fleet
// rows: apply rate, `warm --tag` over every task against the forced wave, and stats over all of
// them (first call, then again with every run digest kept: its own row). Last the floor: N bare long-running
// workflows of the warm's shape on a worker of their own, so the memory, the first warm of all and
// the wave each have a ratio to what Temporal's SDK costs with no product logic.
import { Redis } from 'ioredis';
import type { HistoryReadCost } from '../../client/history-stats';
import { createWarmingClient } from '../../client/warming-client';
import { mapLimit } from '../../core/map-limit';
import { defaultMaxCachedWorkflows, splitWorkflowCache } from '../../worker/create-worker';
import { forceWarmSignal, taskWorkflowId } from '../../workflows';
import { processPids, since, type BenchContext } from '../bench-context';
import { makeRow, type BenchRow } from '../bench-report';
import { CpuMeter, RssSampler, type ChildHandle } from '../bench-stack';
import { round, summarize } from '../stats';
import { KeyWrites } from '../key-writes';
import { settledHistoryLengths } from './warm-cost';

export interface ScaleTasksOptions {
  tasks: number;
  /** forceWarm waves after the start wave. */
  waves: number;
  /** Task workflows sampled for history length. */
  sample: number;
  /** Warms of each task before stats are read: the start warm, the waves, then `warm --tag` waves (at least one). */
  warmsPerTask: number;
}

const FLEET_TAG = 'fleet';

const KEY_PREFIX = 'bench:scale:';
const FLOOR_KEY_PREFIX = 'bench:scale-floor:';
const WAVE_TIMEOUT_MS = 10 * 60_000;
const FLOOR_BASELINE =
  'floor: as many bare long-running workflows with a local-activity warm (bench/floors), own worker, same cache size';

export async function runScaleTasks(ctx: BenchContext, options: ScaleTasksOptions): Promise<BenchRow[]> {
  const { stack, client, redis, limits } = ctx;
  const n = options.tasks;
  /** The product worker's cache (WARMING_MAX_CACHED_WORKFLOWS passes through to it), and the floor's. */
  const workflowCache = process.env.WARMING_MAX_CACHED_WORKFLOWS
    ? Number(process.env.WARMING_MAX_CACHED_WORKFLOWS)
    : defaultMaxCachedWorkflows();
  // A queue and worker of its own, so its memory is the tasks' and nothing else's, and its stats
  // read these tasks only (not the user preloads the login workloads left on the main queue).
  const taskQueue = `${stack.taskQueue}-scale`;
  const worker: ChildHandle = await stack.startWorker(limits, taskQueue);
  const rss = new RssSampler(worker.pid);

  const writes = await KeyWrites.start(redis, [KEY_PREFIX, FLOOR_KEY_PREFIX]);
  /** Writes of the product's keys, and of the floor's (the bare workflows measured after the product, same server). */
  const written = () => writes.count(KEY_PREFIX);
  const floorWritten = () => writes.count(FLOOR_KEY_PREFIX);
  /** Waits for `target` writes; after WAVE_TIMEOUT_MS it gives up and the wave is measured as far as it got. */
  const untilWritten = (target: number, floor = false) =>
    writes.until(floor ? FLOOR_KEY_PREFIX : KEY_PREFIX, target, WAVE_TIMEOUT_MS, (message) =>
      ctx.log(`scale: ${message}`),
    );

  const warming = await createWarmingClient({ client, redis, taskQueue });
  const ids = Array.from({ length: n }, (_, i) => `scale-${i}`);
  const sampleIds = ids
    .filter((_, i) => i % Math.max(1, Math.floor(n / options.sample)) === 0)
    .slice(0, options.sample);
  const historyLengths = async () =>
    Promise.all(
      sampleIds.map(async (id) =>
        Number((await client.workflow.getHandle(taskWorkflowId(id)).describe()).historyLength),
      ),
    );
  const waveRates: number[] = [];
  const cpuPerWarm: Record<string, number[]> = {};
  const eventsPerWarm: number[] = [];
  let startWave: { seconds: number; rate: number; eventsAfterFirstWarm: number };
  let applySeconds = NaN;
  let reapplySeconds = NaN;
  const tagRates: number[] = [];
  const statsCalls: Partial<Record<'first' | 'second', { seconds: number; warms: number; read: HistoryReadCost }>> = {};
  /** Stats of the bench's main queue as the earlier workloads left it (their tasks and user preloads). */
  const mainQueueStatsCalls: Partial<
    Record<'first' | 'second', { seconds: number; warms: number; userPreloads: number; read: HistoryReadCost }>
  > = {};
  let scriptRates: number[] = [];
  const floor = { startSeconds: NaN, waveRates: [] as number[], idleRss: NaN, peakRss: NaN };
  /** Peak RSS up to the end of the forced waves, before the fleet operations. */
  let peakRssAfterWaves = NaN;
  try {
    const config = {
      tasks: ids.map((taskId, i) => ({
        taskId,
        cacheKey: `${KEY_PREFIX}${i}`,
        loader: { type: 'http', url: `${stack.originUrl}/items/${i}?ms=0` },
        ttlSeconds: 3600,
        // Only the start warm and forced warms: no scheduled warm falls inside the measurement.
        intervalMinutes: 24 * 60,
        adaptive: false,
        tags: [FLEET_TAG],
      })),
    };
    let started = performance.now();
    const applied = await warming.apply(config);
    applySeconds = since(started) / 1000;
    if (applied.created !== n) throw new Error(`apply created ${applied.created} of ${n} tasks`);
    await untilWritten(n);
    const startSeconds = since(started) / 1000;
    let before = await historyLengths();
    startWave = {
      seconds: round(startSeconds),
      rate: round(written() / startSeconds),
      eventsAfterFirstWarm: round(before.reduce((a, b) => a + b, 0) / before.length),
    };
    ctx.log(
      `scale: ${n} tasks applied in ${round(applySeconds)} s, all warmed once after ${round(startSeconds)} s (worker peak RSS ${round(rss.peakMiB)} MiB)`,
    );
    started = performance.now();
    const reapplied = await warming.apply(config);
    reapplySeconds = since(started) / 1000;
    if (reapplied.unchanged !== n) throw new Error(`re-apply found ${reapplied.unchanged} of ${n} tasks unchanged`);
    ctx.log(`scale: the unchanged file re-applied in ${round(reapplySeconds)} s`);

    for (let wave = 0; wave < options.waves; wave++) {
      const base = written();
      const target = base + n;
      const cpu = new CpuMeter({ ...processPids({ ...ctx, workerPid: worker.pid }) });
      started = performance.now();
      await mapLimit(ids, 32, (id) =>
        client.workflow.getHandle(taskWorkflowId(id)).signal(forceWarmSignal, { reason: `bench wave ${wave}` }),
      );
      await untilWritten(target);
      const seconds = since(started) / 1000;
      const done = written() - base;
      waveRates.push(done / seconds);
      // A workflow task records its warm after the write: count once the sampled ones have.
      const after = await settledHistoryLengths(
        client,
        sampleIds.map((id) => taskWorkflowId(id)),
      );
      for (const [name, used] of Object.entries(cpu.used())) (cpuPerWarm[name] ??= []).push((used * 1000) / done);
      eventsPerWarm.push(after.reduce((sum, len, i) => sum + (len - (before[i] as number)), 0) / after.length);
      before = after;
      peakRssAfterWaves = rss.peakMiB;
      ctx.log(
        `scale: wave ${wave}: ${done} forced warms in ${round(seconds)} s (${round(done / seconds)}/s, worker peak RSS ${round(rss.peakMiB)} MiB)`,
      );
    }

    // warm --tag over every task: batch signals, results counted through visibility.
    const tagWaves = Math.max(1, options.warmsPerTask - 1 - options.waves);
    for (let wave = 0; wave < tagWaves; wave++) {
      const target = written() + n;
      started = performance.now();
      const report = await warming.warmByTag(FLEET_TAG);
      const seconds = since(started) / 1000;
      await untilWritten(target);
      if (report.succeeded !== n) ctx.log(`scale: warm --tag: ${report.succeeded} of ${n} succeeded`);
      tagRates.push(report.succeeded / seconds);
      ctx.log(
        `scale: warm --tag ${wave}: ${report.succeeded} warms in ${round(seconds)} s (${round(report.succeeded / seconds)}/s)`,
      );
    }

    // Stats over every task: the first call reads each run's history, the second its kept digest.
    for (const call of ['first', 'second'] as const) {
      started = performance.now();
      const stats = await warming.stats();
      statsCalls[call] = { seconds: round(since(started) / 1000), warms: stats.totalWarmings, read: stats.read };
      ctx.log(`scale: stats (${call} call) over ${stats.totalWarmings} warms in ${statsCalls[call]?.seconds} s`);
    }
    const mainQueue = await createWarmingClient({ client, redis, taskQueue: stack.taskQueue });
    try {
      for (const call of ['first', 'second'] as const) {
        started = performance.now();
        const stats = await mainQueue.stats();
        const seconds = round(since(started) / 1000);
        mainQueueStatsCalls[call] = {
          seconds,
          warms: stats.totalWarmings,
          userPreloads: stats.userPreloads,
          read: stats.read,
        };
        ctx.log(
          `scale: stats of the main queue (${call} call): ${stats.totalWarmings} warms, ${stats.userPreloads} user preloads in ${seconds} s`,
        );
      }
    } finally {
      await mainQueue.close();
    }

    // The plain script: the same loads and writes, same cap, no Temporal.
    const writer = new Redis(stack.redis.url);
    try {
      for (let repeat = 0; repeat < Math.min(2, options.waves); repeat++) {
        started = performance.now();
        await mapLimit(ids, limits.originConcurrency, async (_id, i) => {
          const response = await fetch(`${stack.originUrl}/items/${i}?ms=0`);
          await writer.set(`bench:scale-script:${i}`, await response.text(), 'EX', 3600);
        });
        scriptRates.push(n / (since(started) / 1000));
      }
    } finally {
      writer.disconnect();
    }

    // The floor: as many bare long-running workflows (bench/floors floorTaskWorkflow: a local
    // activity loading and writing one key per signal) on a worker process of their own with the
    // product's cache size, started and warmed once, then one forced wave; the product's worker idles.
    const floorQueue = `${stack.taskQueue}-scale-floor`;
    const floorWorker = await stack.startFloorWorker(
      floorQueue,
      {},
      {
        // As many as the product's main-queue worker, which runs every task here.
        maxCachedWorkflows: splitWorkflowCache(workflowCache).main,
      },
    );
    const floorRss = new RssSampler(floorWorker.pid);
    floor.idleRss = floorRss.idleMiB;
    try {
      const floorIds = ids.map((id) => `scale-floor:${id}`);
      started = performance.now();
      await mapLimit(floorIds, 32, (workflowId, i) =>
        client.workflow.signalWithStart('floorTaskWorkflow', {
          workflowId,
          taskQueue: floorQueue,
          args: [{ local: true, key: `${FLOOR_KEY_PREFIX}${i}`, url: `${stack.originUrl}/items/${i}?ms=0` }],
          signal: 'floorWarm',
        }),
      );
      await untilWritten(n, true);
      floor.startSeconds = since(started) / 1000;
      for (let wave = 0; wave < options.waves; wave++) {
        const base = floorWritten();
        started = performance.now();
        await mapLimit(floorIds, 32, (workflowId) => client.workflow.getHandle(workflowId).signal('floorWarm'));
        await untilWritten(base + n, true);
        floor.waveRates.push((floorWritten() - base) / (since(started) / 1000));
      }
      ctx.log(
        `scale: floor: ${n} bare workflows all warmed once after ${round(floor.startSeconds)} s, wave ${round(floor.waveRates[0] ?? NaN)}/s, floor worker peak RSS ${round(floorRss.peakMiB)} MiB`,
      );
    } finally {
      floorRss.stop();
      floor.peakRss = floorRss.peakMiB;
      await floorWorker.stop();
    }
  } finally {
    rss.stop();
    await writes.stop();
    await warming.close();
    await worker.stop();
  }
  scriptRates = scriptRates.length > 0 ? scriptRates : [NaN];

  const params = {
    tasks: n,
    waves: options.waves,
    wavesCutShort: writes.timedOut,
    waveTimeoutSeconds: WAVE_TIMEOUT_MS / 1000,
    sampledWorkflows: sampleIds.length,
    startWave,
    idleWorkerRssMiB: round(rss.idleMiB),
    workflowCache,
    floor: {
      shape: 'bench/floors floorTaskWorkflow (local), one worker process, cache as the product',
      startSeconds: round(floor.startSeconds),
      waveRates: floor.waveRates.map((rate) => round(rate)),
      idleRssMiB: round(floor.idleRss),
      peakRssMiB: round(floor.peakRss),
    },
    peakWorkerRssAfterWavesMiB: round(peakRssAfterWaves),
    cpuMsPerWarm: Object.fromEntries(
      Object.entries(cpuPerWarm).map(([name, ms]) => [name, round(summarize(ms).median, 3)]),
    ),
    originConcurrency: limits.originConcurrency,
    workerMaxActivities: limits.maxActivities,
    taskSpec:
      'http loader on the bench origin (0 ms), 512 B values, intervalMinutes 1440, adaptive false, not critical',
    wave: 'forceWarm signalled to every task (32 signals in flight), timed until every key was written (keyspace events)',
  };
  const workload = `${n} task workflows on one in-memory dev server and one worker process`;
  const common = { temporalPersistence: ctx.persistence, params };
  const fleetParams = {
    ...params,
    applySeconds: round(applySeconds),
    reapplyUnchangedSeconds: round(reapplySeconds),
    warmsPerTaskBeforeStats: options.warmsPerTask,
    statsQueue: "the workload's own queue: its tasks only",
    statsCalls,
    mainQueueStatsCalls,
  };
  const fleet = { temporalPersistence: ctx.persistence, params: fleetParams };
  return [
    makeRow({
      ...fleet,
      name: 'apply-tasks-per-second',
      unit: 'tasks/s',
      better: 'higher',
      baseline: 'none (target: at least 200 tasks/s)',
      value: summarize([n / applySeconds]),
      baselineValue: null,
      target: { op: '>=', value: 200, of: 'value' },
      workload: `${workload}; warmctl apply of ${n} new tasks (the unchanged file again: params.reapplyUnchangedSeconds)`,
    }),
    makeRow({
      ...fleet,
      name: 'warm-by-tag-per-second',
      unit: 'warms/s',
      better: 'higher',
      baseline: 'forced wave: forceWarm signalled to every task by the client, 32 in flight',
      value: summarize(tagRates.length > 0 ? tagRates : [NaN]),
      baselineValue: summarize(waveRates.length > 0 ? waveRates : [NaN]),
      target: { op: '>=', value: 0.9 },
      workload: `${workload}; warm --tag over every task (batch signals), until every result is counted`,
    }),
    makeRow({
      ...fleet,
      name: 'stats-seconds-10k-tasks',
      unit: 's',
      better: 'lower',
      baseline: 'the same stats call again, every run digest kept',
      value: summarize([statsCalls.first?.seconds ?? NaN]),
      baselineValue: summarize([statsCalls.second?.seconds ?? NaN]),
      target: { op: '<=', value: 15, of: 'value' },
      workload: `${workload}; warmctl stats over all ${n} tasks after ${options.warmsPerTask} warms each (reads: params.statsCalls)`,
    }),
    makeRow({
      ...fleet,
      name: 'stats-repeat-seconds-10k-tasks',
      unit: 's',
      better: 'lower',
      baseline: 'the first stats call (every history read)',
      value: summarize([statsCalls.second?.seconds ?? NaN]),
      baselineValue: summarize([statsCalls.first?.seconds ?? NaN]),
      target: { op: '<=', value: 3, of: 'value' },
      workload: `${workload}; warmctl stats over all ${n} tasks again, nothing warmed since: every run's digest kept, open runs vouched for by their warm marks (reads: params.statsCalls.second)`,
    }),
    makeRow({
      ...common,
      name: 'scale-tasks-warms-per-second',
      unit: 'warms/s',
      better: 'higher',
      baseline: 'plain script: the same loads + SETs under the same cap, one process',
      value: summarize(waveRates),
      baselineValue: summarize(scriptRates),
      target: { op: '>=', value: 100, of: 'value' },
      workload: `${workload}; forced warms of every task, sustained rate per wave`,
    }),
    makeRow({
      ...common,
      name: 'scale-tasks-warms-per-second-vs-floor',
      unit: 'warms/s',
      better: 'higher',
      baseline: FLOOR_BASELINE,
      value: summarize(waveRates),
      baselineValue: summarize(floor.waveRates.length > 0 ? floor.waveRates : [NaN]),
      workload: `${workload}; forced warms of every task, sustained rate per wave, against the floor's wave`,
    }),
    makeRow({
      ...common,
      name: 'scale-tasks-first-warm-seconds',
      unit: 's',
      better: 'lower',
      baseline: FLOOR_BASELINE,
      value: summarize([startWave.seconds]),
      baselineValue: summarize([floor.startSeconds]),
      target: { op: '<=', value: 120, of: 'value' },
      workload: `${workload}; from apply until every task has warmed once (the floor: from its first start)`,
    }),
    makeRow({
      ...common,
      name: 'scale-tasks-worker-rss',
      unit: 'MiB',
      better: 'lower',
      baseline: 'the same worker process idle, before any task',
      value: summarize([rss.peakMiB]),
      baselineValue: summarize([rss.idleMiB]),
      target: { op: '<=', value: 1024, of: 'value' },
      workload: `${workload}; peak resident memory of the worker (sampled every 250 ms)`,
    }),
    makeRow({
      ...common,
      name: 'scale-tasks-worker-rss-vs-floor',
      unit: 'MiB',
      better: 'lower',
      baseline: FLOOR_BASELINE,
      value: summarize([peakRssAfterWaves]),
      baselineValue: summarize([floor.peakRss]),
      workload: `${workload}; peak resident memory of the worker up to the end of its forced waves against the floor worker's at the same stage (started, warmed once, the same waves)`,
    }),
    makeRow({
      ...common,
      name: 'scale-tasks-history-events-per-warm',
      unit: 'events',
      better: 'lower',
      baseline: 'none (Temporal history events of one forced warm)',
      value: summarize(eventsPerWarm),
      baselineValue: null,
      workload: `${workload}; history events one forced warm adds, averaged over ${sampleIds.length} workflows`,
    }),
  ];
}
