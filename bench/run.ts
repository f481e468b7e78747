// `npm run bench [-- --quick] [-- --only bulk,read,login,first,shards,warm,hit,cost,scale,memory]`: starts its own servers
// (in-memory Temporal dev server, redis-server, the bench origin, the product's worker), runs
// each workload against its baseline in the same run, writes bench/results/latest.json (the
// contract's rows), latest.md (the table) and latest.svg (the ratio chart), and stops every
// server it started, whatever happens.
import { Client, Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchContext } from './bench-context';
import { formatMarkdown, type BenchRow, type TableMeta } from './bench-report';
import { startBenchStack, type BenchStack, type WorkerLimits } from './bench-stack';
import { ratioChartSvg } from './ratio-chart';
import { runBoundedMemory } from './workloads/bounded-memory';
import { runBulkWarm } from './workloads/bulk-warm';
import { runCost } from './workloads/cost';
import { runHitRatio } from './workloads/hit-ratio';
import { runLoginFirstRead } from './workloads/login-first-read';
import { FLOOR_SHAPES, runLoginPreload, type FloorShape } from './workloads/login-preload';
import { runLoginShards } from './workloads/login-shards';
import { runReadPath } from './workloads/read-path';
import { runScaleTasks } from './workloads/scale-tasks';
import { runWarmCost } from './workloads/warm-cost';

const WORKLOADS = ['bulk', 'read', 'login', 'first', 'shards', 'warm', 'hit', 'cost', 'scale', 'memory'] as const;
type Workload = (typeof WORKLOADS)[number];

/** Worker limits for every workload; the baselines get the same cap. Rate limiting is off so the cap decides. */
const LIMITS: WorkerLimits = { originConcurrency: 16, originRatePerSecond: 0, maxActivities: 20 };

interface Args {
  quick: boolean;
  only: Set<Workload>;
  outDir: string;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { quick: false, only: new Set(WORKLOADS), outDir: resolve(__dirname, '../../bench/results') };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] as string).split('=', 2) as [string, string | undefined];
    if (flag === '--quick') args.quick = true;
    else if (flag === '--only') {
      const list = (inline ?? argv[++i] ?? '').split(',').filter(Boolean);
      const unknown = list.filter((name) => !WORKLOADS.includes(name as Workload));
      if (list.length === 0 || unknown.length > 0) {
        throw new Error(`--only takes a comma list of ${WORKLOADS.join(', ')} (got "${list.join(',')}")`);
      }
      args.only = new Set(list as Workload[]);
    } else if (flag === '--out') {
      const dir = inline ?? argv[++i];
      if (!dir) throw new Error('--out needs a directory');
      args.outDir = resolve(dir);
    } else if (flag === '--help' || flag === '-h') {
      console.log(`usage: npm run bench [-- --quick] [--only ${WORKLOADS.join(',')}] [--out DIR]`);
      process.exit(0);
    } else throw new Error(`unknown argument ${argv[i]} (try --help)`);
  }
  return args;
}

function machineLine(): string {
  const cpu = cpus();
  return `${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Linux ${release()}`;
}

function log(message: string): void {
  console.log(`bench: ${message}`);
}

/**
 * Floor shapes of the login rows: BENCH_LOGIN_FLOORS (comma list of FLOOR_SHAPES) or, by default,
 * the product's own shape and the one-workflow floor (quick) or every shape (full).
 */
function loginFloors(quick: boolean): FloorShape[] {
  const raw = process.env.BENCH_LOGIN_FLOORS;
  if (raw === undefined) return quick ? ['single-local'] : [...FLOOR_SHAPES];
  const shapes = raw.split(',').filter(Boolean);
  const unknown = shapes.filter((shape) => !FLOOR_SHAPES.includes(shape as FloorShape));
  if (unknown.length > 0)
    throw new Error(`BENCH_LOGIN_FLOORS takes a comma list of ${FLOOR_SHAPES.join(', ')} (got "${raw}")`);
  return shapes as FloorShape[];
}

async function runWorkload(name: Workload, ctx: BenchContext): Promise<BenchRow[]> {
  const { quick } = ctx;
  switch (name) {
    case 'bulk':
      return [
        ...(await runBulkWarm(ctx, {
          name: 'bulk-warm-10k',
          keys: 10_000,
          loaderDelayMs: 0,
          repeats: quick ? 3 : 5,
          batchSize: 500,
          parallelBatches: 4,
          withFloor: true,
          warmUp: true,
        })),
        ...(await runBulkWarm(ctx, {
          name: 'bulk-warm-10k-20ms',
          keys: 10_000,
          loaderDelayMs: 20,
          repeats: quick ? 2 : 3,
          batchSize: 500,
          parallelBatches: 4,
          withFloor: false,
          warmUp: false,
        })),
      ];
    case 'read':
      return runReadPath(ctx, {
        keys: 1_000,
        latencyReads: quick ? 5_000 : 20_000,
        throughputReads: quick ? 50_000 : 200_000,
        inFlight: 64,
        repeats: quick ? 3 : 5,
      });
    case 'login':
      return runLoginPreload(ctx, {
        loginsPerSecond: Number(process.env.BENCH_LOGIN_RATE ?? (quick ? 10 : 20)),
        seconds: Number(process.env.BENCH_LOGIN_SECONDS ?? (quick ? 10 : 60)),
        repeats: 2,
        latencyMs: { session: 20, navigation: 30, formsList: 20, form: 15 },
        floors: loginFloors(quick),
      });
    case 'first':
      return runLoginFirstRead(ctx, {
        rates: [5, 10, 20],
        waitRates: [5, 10],
        seconds: quick ? 8 : 20,
        repeats: quick ? 1 : 2,
        offsetsMs: [50, 100, 200, 500],
        latencyMs: { session: 20, navigation: 30, formsList: 20, form: 15 },
        burst: 50,
      });
    case 'shards':
      return runLoginShards(ctx, {
        shardCounts: [1, 4, 16],
        rates: [10, 20, 30, 40, 50, 60, 70, 80, 100],
        seconds: quick ? 8 : 15,
        repeats: quick ? 1 : 2,
        p99LimitMs: 1000,
        latencyMs: { session: 20, navigation: 30, formsList: 20, form: 15 },
      });
    case 'warm':
      return runWarmCost(ctx, { tasks: quick ? 200 : 500, waves: quick ? 2 : 3 });
    case 'hit':
      return runHitRatio(ctx, {
        zipf: { keys: 100_000, readsPerSecond: 50, hours: quick ? 2 : 4, seeds: quick ? [1] : [1, 2, 3] },
        oltp: { readsPerSecond: 100, ...(quick ? { maxReads: 400_000 } : {}) },
      });
    case 'cost':
      return runCost(ctx, {
        tasks: quick ? 150 : 300,
        intervalMinutes: 0.1,
        seconds: quick ? 15 : 30,
        sample: 20,
        forced: 20,
        loginsPerSecond: 10,
        loginSeconds: quick ? 10 : 20,
        repeats: 2,
        latencyMs: { session: 20, navigation: 30, formsList: 20, form: 15 },
      });
    case 'scale':
      return runScaleTasks(ctx, {
        tasks: positiveEnv('BENCH_FLEET_TASKS', quick ? 2_000 : 10_000),
        waves: 1,
        sample: 20,
        warmsPerTask: positiveEnv('BENCH_FLEET_WARMS', 5),
      });
    case 'memory':
      return runBoundedMemory(ctx, {
        tasks: positiveEnv('BENCH_MEMORY_TASKS', quick ? 2_000 : 20_000),
        replays: 5,
        cachedWarms: 10,
      });
  }
}

/** A positive integer from the environment, or the default; anything else stops the bench with one line. */
function positiveEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`${name} must be a positive integer (got "${raw}")`);
  return Number(raw);
}

async function run(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const startedMs = performance.now();
  let stack: BenchStack | undefined;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await stack?.stop();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping the servers`);
      void stop().finally(() => process.exit(130));
    });
  }
  const rows: BenchRow[] = [];
  const failures: string[] = [];
  try {
    log(`${args.quick ? 'quick' : 'full'} run of ${[...args.only].join(', ')}; starting servers`);
    stack = await startBenchStack();
    const worker = await stack.startWorker(LIMITS);
    let workerStopped = false;
    log(
      `Temporal ${stack.temporal.address} (in memory), Redis ${stack.redis.url}, origin ${stack.originUrl}, worker pid ${worker.pid}`,
    );
    const connection = await Connection.connect({ address: stack.temporal.address });
    const client = new Client({ connection, namespace: 'default' });
    const redis = new Redis(stack.redis.url);
    const ctx: BenchContext = {
      stack,
      client,
      redis,
      quick: args.quick,
      persistence: 'in-memory',
      limits: LIMITS,
      workerPid: worker.pid,
      log,
    };
    try {
      for (const name of WORKLOADS) {
        if (!args.only.has(name)) continue;
        const began = performance.now();
        if (name === 'scale') {
          // scale-tasks measures a worker of its own: no other may poll the queue.
          await worker.stop();
          workerStopped = true;
        }
        log(`${name}: running`);
        try {
          const produced = await runWorkload(name, ctx);
          rows.push(...produced);
          for (const row of produced)
            log(`  ${row.name}: ${row.value} ${row.unit} vs ${row.baselineValue} (ratio ${row.ratio})`);
        } catch (err) {
          const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
          failures.push(`${name}: ${message}`);
          log(`${name} FAILED: ${message}`);
        }
        log(`${name}: ${Math.round((performance.now() - began) / 1000)} s`);
      }
    } finally {
      redis.disconnect();
      await connection.close();
      if (!workerStopped) await worker.stop();
    }
  } finally {
    await stop();
  }
  const meta: TableMeta = {
    startedAt: startedAt.toISOString(),
    mode: args.quick ? 'quick' : 'full',
    temporalPersistence: 'in-memory',
    machine: machineLine(),
    durationSeconds: Math.round((performance.now() - startedMs) / 1000),
  };
  mkdirSync(args.outDir, { recursive: true });
  writeFileSync(join(args.outDir, 'latest.json'), `${JSON.stringify(rows, null, 2)}\n`);
  writeFileSync(join(args.outDir, 'latest.md'), formatMarkdown(rows, meta));
  writeFileSync(
    join(args.outDir, 'latest.svg'),
    ratioChartSvg(rows, `cache warmer vs baselines, ${meta.mode} run ${meta.startedAt.slice(0, 10)}`),
  );
  log(`wrote ${rows.length} rows to ${join(args.outDir, 'latest.json')} (${meta.durationSeconds} s)`);
  console.log(formatMarkdown(rows, meta));
  if (failures.length > 0) {
    throw new Error(`${failures.length} workload(s) failed: ${failures.map((f) => f.split('\n')[0]).join('; ')}`);
  }
}

run().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
