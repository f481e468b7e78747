// warm-history-events and warm-cpu-ms: what one forced warm costs on Temporal, measured on a few
// hundred task workflows that all fit the worker's cache (scale-tasks measures thousands), against
// the floor shapes of a warm (bench/floors: a long-running workflow loading and writing one key per
// signal, by an activity task or a local activity) with the same loads, in the same run.
import type { Client } from '@temporalio/client';
import { Redis } from 'ioredis';
import { createWarmingClient } from '../../client/warming-client';
import { mapLimit } from '../../core/map-limit';
import { forceWarmSignal, taskWorkflowId } from '../../workflows';
import { since, type BenchContext } from '../bench-context';
import { makeRow, type BenchRow } from '../bench-report';
import { CpuMeter } from '../bench-stack';
import { round, summarize } from '../stats';

/** Bare Temporal chains of a warm (bench/floors/floor-workflows.ts: floorTaskWorkflow). */
export const WARM_FLOOR_SHAPES = ['task-activity', 'task-local'] as const;
export type WarmFloorShape = (typeof WARM_FLOOR_SHAPES)[number];

/** The floor of the shape a product warm takes today: its cost rows compare against it. */
export const PRODUCT_WARM_SHAPE: WarmFloorShape = 'task-local';

export interface WarmCostOptions {
  tasks: number;
  /** Forced waves measured per path. */
  waves: number;
}

const WAVE_TIMEOUT_MS = 5 * 60_000;
const SIGNALS_IN_FLIGHT = 32;

interface WarmPath {
  name: 'system' | `floor-${WarmFloorShape}`;
  workflowIds: string[];
  keyPrefix: string;
  workerPid: number;
  /** Signals one task to warm now. */
  force(workflowId: string, wave: number): Promise<void>;
}

interface PathResult {
  eventsPerWarm: number[];
  cpuMsPerWarm: Record<string, number>[];
  warmsPerSecond: number[];
}

export async function runWarmCost(ctx: BenchContext, options: WarmCostOptions): Promise<BenchRow[]> {
  const { stack, client, redis } = ctx;
  const n = options.tasks;
  await redis.config('SET', 'notify-keyspace-events', 'E$');
  const subscriber = new Redis(stack.redis.url);
  const written = new Map<string, number>();
  const waiters: { prefix: string; target: number; resolve: () => void }[] = [];
  subscriber.on('message', (_channel: string, key: string) => {
    const prefix = key.slice(0, key.lastIndexOf(':') + 1);
    const count = (written.get(prefix) ?? 0) + 1;
    written.set(prefix, count);
    for (const waiter of waiters) if (waiter.prefix === prefix && count >= waiter.target) waiter.resolve();
  });
  await subscriber.subscribe('__keyevent@0__:set');
  const untilWritten = (prefix: string, target: number) =>
    new Promise<void>((resolve, reject) => {
      if ((written.get(prefix) ?? 0) >= target) return resolve();
      const timer = setTimeout(
        () => reject(new Error(`warm-cost: ${written.get(prefix) ?? 0} of ${target} ${prefix} writes in time`)),
        WAVE_TIMEOUT_MS,
      );
      waiters.push({
        prefix,
        target,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });

  const floorQueue = `${stack.taskQueue}-warm-floor`;
  const floorWorker = await stack.startFloorWorker(floorQueue, {});
  const warming = await createWarmingClient({ client, redis, taskQueue: stack.taskQueue });
  const url = (i: number) => `${stack.originUrl}/items/${i}?ms=0`;
  const ids = Array.from({ length: n }, (_, i) => `cost-${i}`);
  const paths: WarmPath[] = [];
  try {
    const productPrefix = 'bench:cost:system:';
    await warming.apply({
      tasks: ids.map((taskId, i) => ({
        taskId,
        cacheKey: `${productPrefix}${i}`,
        loader: { type: 'http', url: url(i) },
        ttlSeconds: 3600,
        intervalMinutes: 24 * 60,
        adaptive: false,
      })),
    });
    await untilWritten(productPrefix, n);
    paths.push({
      name: 'system',
      workflowIds: ids.map((id) => taskWorkflowId(id)),
      keyPrefix: productPrefix,
      workerPid: ctx.workerPid,
      force: async (workflowId, wave) => {
        await client.workflow.getHandle(workflowId).signal(forceWarmSignal, { reason: `bench wave ${wave}` });
      },
    });
    for (const shape of WARM_FLOOR_SHAPES) {
      const prefix = `bench:cost:${shape}:`;
      const workflowIds = ids.map((id) => `floor-${shape}:${id}`);
      await mapLimit(workflowIds, SIGNALS_IN_FLIGHT, (workflowId, i) =>
        startFloorTask(client, floorQueue, workflowId, {
          local: shape === 'task-local',
          key: `${prefix}${i}`,
          url: url(i),
        }),
      );
      paths.push({
        name: `floor-${shape}`,
        workflowIds,
        keyPrefix: prefix,
        workerPid: floorWorker.pid,
        force: async (workflowId) => {
          await client.workflow.getHandle(workflowId).signal('floorWarm');
        },
      });
    }
    // Untimed: every floor task warms once, as every product task did on start.
    for (const path of paths.slice(1)) await wave(path, -1);

    const results = new Map<WarmPath['name'], PathResult>(
      paths.map((path) => [path.name, { eventsPerWarm: [], cpuMsPerWarm: [], warmsPerSecond: [] }]),
    );
    for (let w = 0; w < options.waves; w++) {
      const order = w % 2 === 0 ? paths : [...paths].reverse();
      for (const path of order) {
        const measured = await wave(path, w);
        const result = results.get(path.name) as PathResult;
        result.eventsPerWarm.push(measured.eventsPerWarm);
        result.cpuMsPerWarm.push(measured.cpuMsPerWarm);
        result.warmsPerSecond.push(measured.warmsPerSecond);
      }
    }
    return rows(ctx, options, results);
  } finally {
    await subscriber.quit().catch(() => undefined);
    await redis.config('SET', 'notify-keyspace-events', '');
    for (const path of paths.slice(1))
      await mapLimit(path.workflowIds, SIGNALS_IN_FLIGHT, (id) =>
        client.workflow
          .getHandle(id)
          .terminate('bench done')
          .catch(() => undefined),
      );
    await mapLimit(ids, SIGNALS_IN_FLIGHT, (taskId) =>
      client.workflow
        .getHandle(taskWorkflowId(taskId))
        .terminate('bench done')
        .catch(() => undefined),
    );
    await warming.close();
    await floorWorker.stop();
  }

  /** Forces every task of a path once and measures until each key is written again. */
  async function wave(path: WarmPath, w: number) {
    const before = await historyLengths(client, path.workflowIds);
    const target = (written.get(path.keyPrefix) ?? 0) + n;
    const cpu = new CpuMeter({ worker: path.workerPid, temporal: stack.temporal.pid });
    const started = performance.now();
    await mapLimit(path.workflowIds, SIGNALS_IN_FLIGHT, (id) => path.force(id, w));
    await untilWritten(path.keyPrefix, target);
    const seconds = since(started) / 1000;
    // A workflow task records the warm after its write: count CPU and events once all have.
    const after = await settledHistoryLengths(client, path.workflowIds);
    const used = cpu.used();
    const events = after.reduce((sum, length, i) => sum + length - (before[i] as number), 0);
    return {
      eventsPerWarm: events / n,
      cpuMsPerWarm: Object.fromEntries(Object.entries(used).map(([name, s]) => [name, (s * 1000) / n])),
      warmsPerSecond: n / seconds,
    };
  }
}

function startFloorTask(
  client: Client,
  taskQueue: string,
  workflowId: string,
  input: { local: boolean; key: string; url: string },
): Promise<unknown> {
  return client.workflow.start('floorTaskWorkflow', { workflowId, taskQueue, args: [input] });
}

/** History lengths once they stop growing (two reads 500 ms apart agree), at most a minute. */
export async function settledHistoryLengths(client: Client, workflowIds: readonly string[]): Promise<number[]> {
  const deadline = Date.now() + 60_000;
  let last = await historyLengths(client, workflowIds);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = await historyLengths(client, workflowIds);
    if (now.every((length, i) => length === last[i]) || Date.now() > deadline) return now;
    last = now;
  }
}

async function historyLengths(client: Client, workflowIds: readonly string[]): Promise<number[]> {
  return mapLimit(workflowIds, SIGNALS_IN_FLIGHT, async (id) =>
    Number((await client.workflow.getHandle(id).describe()).historyLength),
  );
}

function rows(ctx: BenchContext, options: WarmCostOptions, results: Map<string, PathResult>): BenchRow[] {
  const get = (name: string) => results.get(name) as PathResult;
  const system = get('system');
  const floor = get(`floor-${PRODUCT_WARM_SHAPE}`);
  const temporalCpu = (cpu: Record<string, number>) => (cpu.worker ?? 0) + (cpu.temporal ?? 0);
  const floors = Object.fromEntries(
    WARM_FLOOR_SHAPES.map((shape) => {
      const r = get(`floor-${shape}`);
      return [
        shape,
        {
          eventsPerWarm: r.eventsPerWarm.map((e) => round(e, 3)),
          cpuMsPerWarm: r.cpuMsPerWarm.map((c) => mapValues(c, (ms) => round(ms, 3))),
          warmsPerSecond: r.warmsPerSecond.map((rate) => round(rate, 3)),
        },
      ];
    }),
  );
  const params = {
    tasks: options.tasks,
    waves: options.waves,
    productShape: PRODUCT_WARM_SHAPE,
    eventsPerWarm: system.eventsPerWarm.map((e) => round(e, 3)),
    cpuMsPerWarm: system.cpuMsPerWarm.map((c) => mapValues(c, (ms) => round(ms, 3))),
    warmsPerSecond: system.warmsPerSecond.map((rate) => round(rate, 3)),
    floors,
    wave: `forceWarm signalled to every task (${SIGNALS_IN_FLIGHT} in flight), until every key was written again; CPU of the worker and the Temporal server over the wave`,
    taskSpec: 'http loader on the bench origin (0 ms), 512 B values, intervalMinutes 1440, not adaptive, not critical',
  };
  const workload = `${options.tasks} task workflows (all in the worker's cache), ${options.waves} forced waves`;
  const baseline = `floor: the bare ${PRODUCT_WARM_SHAPE} chain with the same load and write (bench/floors)`;
  const common = { temporalPersistence: ctx.persistence, params, baseline };
  return [
    makeRow({
      ...common,
      name: 'warm-history-events',
      unit: 'events',
      better: 'lower',
      value: summarize(system.eventsPerWarm),
      baselineValue: summarize(floor.eventsPerWarm),
      workload: `${workload}; Temporal history events one forced warm adds`,
      target: { op: '<=', value: 8, of: 'value' },
    }),
    makeRow({
      ...common,
      name: 'warm-cpu-ms',
      unit: 'ms',
      better: 'lower',
      value: summarize(system.cpuMsPerWarm.map(temporalCpu)),
      baselineValue: summarize(floor.cpuMsPerWarm.map(temporalCpu)),
      workload: `${workload}; CPU of the worker and the Temporal server per forced warm (params.cpuMsPerWarm splits it)`,
    }),
  ];
}

function mapValues(record: Record<string, number>, f: (value: number) => number): Record<string, number> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, f(value)]));
}
