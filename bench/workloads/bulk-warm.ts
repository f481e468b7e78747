// bulk-warm-10k and bulk-write-floor: 10 000 keys loaded from the bench origin and written to
// Redis through bulkWarmWorkflow (batched warmBatch activities), against the script a team would
// write instead (the same loads under the same per-origin cap, pipelined SETs), and against one
// pipelined SET loop with no loads at all (the floor).
import { Redis } from 'ioredis';
import { mapLimit } from '../../core/map-limit';
import { bulkWarmWorkflow } from '../../workflows';
import { itemValue } from '../bench-values';
import { alternate, since, type BenchContext } from '../bench-context';
import { makeRow, type BenchRow } from '../bench-report';
import { summarize } from '../stats';

export interface BulkWarmOptions {
  keys: number;
  /** Origin latency per load, in ms. */
  loaderDelayMs: number;
  repeats: number;
  /** Keys per warmBatch activity, and per pipeline in the baselines. */
  batchSize: number;
  parallelBatches: number;
  /** Whether to add the bulk-write-floor row (done once, on the instant-origin variant). */
  withFloor: boolean;
  /** One untimed run of each path first (connections, JIT, the worker's first activations). */
  warmUp: boolean;
  name: string;
}

const TTL_SECONDS = 3600;
const KEY_PREFIX = 'bench:item:';

export async function runBulkWarm(ctx: BenchContext, options: BulkWarmOptions): Promise<BenchRow[]> {
  const { stack, client, redis, limits } = ctx;
  const ids = Array.from({ length: options.keys }, (_, i) => i);
  const url = (id: string | number) => `${stack.originUrl}/items/${id}?ms=${options.loaderDelayMs}`;
  const writer = new Redis(stack.redis.url);
  const system: number[] = [];
  const script: number[] = [];
  const floor: number[] = [];

  const checkAllWritten = async (what: string) => {
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.exists(`${KEY_PREFIX}${id}`);
    const found = ((await pipeline.exec()) ?? []).filter(([, n]) => n === 1).length;
    if (found !== options.keys) throw new Error(`${what} wrote ${found} of ${options.keys} keys`);
  };

  const runSystem = async (repeat: number) => {
    await redis.flushdb();
    const started = performance.now();
    const result = await client.workflow.execute(bulkWarmWorkflow, {
      taskQueue: stack.taskQueue,
      workflowId: `bench-${options.name}-${repeat}-${Date.now()}`,
      args: [
        {
          template: {
            key: `${KEY_PREFIX}{id}`,
            loader: { type: 'http', url: `${stack.originUrl}/items/{id}?ms=${options.loaderDelayMs}` },
            ttlSeconds: TTL_SECONDS,
          },
          idRange: { from: 0, to: options.keys },
          batchSize: options.batchSize,
          parallelBatches: options.parallelBatches,
        },
      ],
    });
    system.push(since(started));
    if (result.warmed !== options.keys) throw new Error(`bulkWarmWorkflow warmed ${result.warmed} of ${options.keys}`);
    await checkAllWritten('bulkWarmWorkflow');
  };

  const runScript = async () => {
    await redis.flushdb();
    const started = performance.now();
    let buffer: [string, string][] = [];
    const writes: Promise<unknown>[] = [];
    const flush = () => {
      if (buffer.length === 0) return;
      const pipeline = writer.pipeline();
      for (const [key, value] of buffer) pipeline.set(key, value, 'EX', TTL_SECONDS);
      buffer = [];
      writes.push(pipeline.exec());
    };
    await mapLimit(ids, limits.originConcurrency, async (id) => {
      const response = await fetch(url(id));
      if (!response.ok) throw new Error(`GET ${url(id)} answered ${response.status}`);
      buffer.push([`${KEY_PREFIX}${id}`, await response.text()]);
      if (buffer.length >= options.batchSize) flush();
    });
    flush();
    await Promise.all(writes);
    script.push(since(started));
    await checkAllWritten('the plain script');
  };

  const runFloor = async () => {
    await redis.flushdb();
    const values = ids.map((id) => itemValue(id));
    const started = performance.now();
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < ids.length; i += options.batchSize) {
      const pipeline = writer.pipeline();
      for (let j = i; j < Math.min(ids.length, i + options.batchSize); j++) {
        pipeline.set(`${KEY_PREFIX}${j}`, values[j] as string, 'EX', TTL_SECONDS);
      }
      writes.push(pipeline.exec());
    }
    await Promise.all(writes);
    floor.push(since(started));
    await checkAllWritten('the write floor');
  };

  try {
    if (options.warmUp) {
      await runSystem(-1);
      await runScript();
      system.length = 0;
      script.length = 0;
    }
    await alternate(options.repeats, runSystem, async () => {
      await runScript();
      if (options.withFloor) await runFloor();
    });
    ctx.log(
      `${options.name}: system ${system.map((ms) => Math.round(ms)).join('/')} ms, script ${script.map((ms) => Math.round(ms)).join('/')} ms` +
        (options.withFloor ? `, floor ${floor.map((ms) => Math.round(ms)).join('/')} ms` : ''),
    );
  } finally {
    writer.disconnect();
    await redis.flushdb();
  }

  const common = {
    unit: 'ms',
    better: 'lower' as const,
    temporalPersistence: ctx.persistence,
    params: {
      keys: options.keys,
      valueBytes: itemValue(0).length,
      loaderDelayMs: options.loaderDelayMs,
      originConcurrency: limits.originConcurrency,
      originRatePerSecond: limits.originRatePerSecond,
      batchSize: options.batchSize,
      parallelBatches: options.parallelBatches,
      workerMaxActivities: limits.maxActivities,
      repeats: options.repeats,
      warmUp: options.warmUp,
    },
  };
  const workload =
    `${options.keys} keys of ${itemValue(0).length} B from the bench's local HTTP origin (${options.loaderDelayMs} ms per load), ` +
    `cap ${limits.originConcurrency} loads in flight per origin; time until every key is in Redis`;
  const rows = [
    makeRow({
      ...common,
      name: options.name,
      baseline: 'plain script: fetch under the same cap + pipelined ioredis SET EX',
      value: summarize(system),
      baselineValue: summarize(script),
      workload: `${workload}; system = bulkWarmWorkflow (warmBatch activities, version-checked Lua writes)`,
      target: { op: '<=', value: 2.0 },
    }),
  ];
  if (options.withFloor) {
    rows.push(
      makeRow({
        ...common,
        name: 'bulk-write-floor',
        baseline: 'one pipelined ioredis SET EX loop, same values, no loads',
        value: summarize(system),
        baselineValue: summarize(floor),
        workload: `${workload}; value = the bulkWarmWorkflow time above, baseline = writes alone (the physical floor)`,
      }),
    );
  }
  return rows;
}
