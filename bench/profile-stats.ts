// Throwaway profile of `warmctl stats` at fleet size: N task workflows on the bench stack, then the
// parts of a stats call timed apart (listing, digest GETs, describes, history reads, metadata reads).
import { Client, Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { createWarmingClient } from '../client/warming-client';
import { decodeTaskRun } from '../client/task-history-decoding';
import { decideRecords } from '../client/warm-fates';
import { mapLimit } from '../core/map-limit';
import { taskRunsQuery } from '../core/visibility-query';
import { RedisCacheStore } from '../store/redis-cache-store';
import { redisKeys } from '../store/redis-keys';
import { CpuMeter, startBenchStack } from './bench-stack';

const n = Number(process.env.BENCH_FLEET_TASKS ?? 2000);
const warms = Number(process.env.BENCH_FLEET_WARMS ?? 2);

let pids: Record<string, number> = {};
async function time<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const cpu = new CpuMeter(pids);
  const started = performance.now();
  const out = await fn();
  const used = Object.entries(cpu.used())
    .map(([name, s]) => `${name} ${Math.round(s * 1000)}`)
    .join(', ');
  console.log(`${label}: ${Math.round(performance.now() - started)} ms (cpu ms: ${used})`);
  return out;
}

async function run(): Promise<void> {
  const stack = await startBenchStack();
  try {
    const worker = await stack.startWorker({ originConcurrency: 16, originRatePerSecond: 0, maxActivities: 20 });
    pids = { client: process.pid, temporal: stack.temporal.pid, redis: stack.redis.pid, worker: worker.pid };
    const connection = await Connection.connect({ address: stack.temporal.address });
    const client = new Client({ connection, namespace: 'default' });
    const redis = new Redis(stack.redis.url);
    const warming = await createWarmingClient({ client, redis, taskQueue: stack.taskQueue });
    const config = {
      tasks: Array.from({ length: n }, (_, i) => ({
        taskId: `p-${i}`,
        cacheKey: `bench:p:${i}`,
        loader: { type: 'http' as const, url: `${stack.originUrl}/items/${i}?ms=0` },
        ttlSeconds: 3600,
        intervalMinutes: 24 * 60,
        adaptive: false,
        tags: ['fleet'],
      })),
    };
    await time('apply', () => warming.apply(config));
    for (let w = 0; w < warms; w++) await time(`warm --tag ${w}`, () => warming.warmByTag('fleet'));
    const query = taskRunsQuery(stack.taskQueue);
    for (const call of ['first', 'second']) {
      await time(`stats ${call} (whole)`, async () => {
        const stats = await warming.stats();
        console.log(JSON.stringify(stats.read), stats.totalWarmings);
      });
    }
    const runs = await time('list', async () => {
      const out: { workflowId: string; runId: string; open: boolean }[] = [];
      for await (const e of client.workflow.list({ query }))
        out.push({ workflowId: e.workflowId, runId: e.runId, open: e.status.name === 'RUNNING' });
      return out;
    });
    for (const pageSize of [1000, 5000]) {
      await time(`raw list pageSize ${pageSize}`, async () => {
        let token: Uint8Array | undefined;
        let count = 0;
        do {
          const page = await client.workflowService.listWorkflowExecutions({
            namespace: 'default',
            query,
            pageSize,
            ...(token ? { nextPageToken: token } : {}),
          });
          count += page.executions?.length ?? 0;
          token = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
        } while (token);
        console.log(`  ${count} executions`);
      });
    }
    const keys = redisKeys();
    await time('digest GETs (Promise.all per 500)', async () => {
      for (let i = 0; i < runs.length; i += 500)
        await Promise.all(runs.slice(i, i + 500).map((r) => redis.get(keys.runDigest(r.runId))));
    });
    await time('digest MGET per 500', async () => {
      for (let i = 0; i < runs.length; i += 500)
        await redis.mget(runs.slice(i, i + 500).map((r) => keys.runDigest(r.runId)));
    });
    for (const inFlight of [16, 64]) {
      await time(`describes x${runs.filter((r) => r.open).length} (${inFlight} in flight)`, () =>
        mapLimit(
          runs.filter((r) => r.open),
          inFlight,
          (r) =>
            client.workflowService.describeWorkflowExecution({
              namespace: 'default',
              execution: { workflowId: r.workflowId, runId: r.runId },
            }),
        ),
      );
    }
    const converter = client.options.loadedDataConverter.payloadConverter;
    let all: ReturnType<typeof decodeTaskRun>[] = [];
    for (const inFlight of [16, 32, 64]) {
      let fetchMs = 0;
      let decodeMs = 0;
      all = await time(`fetch+decode x${runs.length} (${inFlight} in flight)`, () =>
        mapLimit(runs, inFlight, async (r) => {
          const t0 = performance.now();
          const history = await client.workflow.getHandle(r.workflowId, r.runId).fetchHistory();
          const t1 = performance.now();
          const out = decodeTaskRun('x', history.events ?? [], converter);
          decodeMs += performance.now() - t1;
          fetchMs += t1 - t0;
          return out;
        }),
      );
      console.log(`  sum fetch ${Math.round(fetchMs)} ms, sum decode ${Math.round(decodeMs)} ms`);
    }
    const store = new RedisCacheStore(redis, keys);
    await time('decideRecords (getMeta 16 in flight)', () =>
      decideRecords(
        all.flatMap((h) => h.warms),
        store,
        undefined,
        Date.now(),
      ),
    );
    await time('JSON parse+stringify digests', async () => {
      for (const h of all) JSON.parse(JSON.stringify(h));
    });
    await warming.close();
    redis.disconnect();
    await connection.close();
    await worker.stop();
  } finally {
    await stack.stop();
  }
}

run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
