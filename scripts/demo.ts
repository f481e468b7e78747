// `npm run demo`: the whole system on the embedded default. A Temporal dev server with its UI
// (http://localhost:8233, state in .data/), a local Redis, the worker, a slow demo origin, each on
// its usual port when free and otherwise on a free one it prints, examples/warming.config.json
// applied, simulated reads, live progress and final stats.
// `-- --duration S` stops by itself after S seconds; Ctrl-C stops everything it started.
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { resolve } from 'node:path';
import { loadConfigFile } from '../config/config-file';
import type { WarmingConfig } from '../core/config-schema';
import { formatTable, formatTime } from '../cli/format-table';
import { createCacheClient, type CacheClient } from '../cache/cache-client';
import { notifyUserLoggedIn } from '../client/notify-user-logged-in';
import { createWarmingClient, type WarmingClient } from '../client/warming-client';
import { formatDurationMs } from '../core/durations';
import type { TaskStatus } from '../workflows/definitions';
import { createWorker } from '../worker/create-worker';
import { createRedis } from '../config/redis-connection';
import { startDemoOrigin, type DemoOrigin } from './demo-origin';
import { chooseDemoPorts, DEFAULT_DEMO_PORTS, describeDemoPorts } from './demo-ports';
import { startRedisServer, startTemporalDevServer, waitForTemporal } from './local-stack';

const ROOT = resolve(__dirname, __dirname.includes(`${'/dist/'}`) ? '../..' : '..');
/** The origin every loader URL of examples/warming.config.json names. */
const EXAMPLE_ORIGIN = `http://127.0.0.1:${DEFAULT_DEMO_PORTS.origin}`;
const PROGRESS_EVERY_MS = 3_000;
/**
 * The example's optimiser tunes its own cycle (a minute, from its shortest TTLs); the demo also asks for
 * a cycle now and then, to print what it did.
 */
const OPTIMIZE_EVERY_MS = 20_000;

interface DemoArgs {
  durationSeconds?: number;
}

function parseArgs(argv: string[]): DemoArgs {
  const args: DemoArgs = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.split('=', 2) as [string, string | undefined];
    if (flag === '--duration') {
      const value = inline ?? argv[++i];
      const seconds = Number(value);
      if (value === undefined || !Number.isFinite(seconds) || seconds <= 0) {
        throw new Error(`--duration needs a positive number of seconds (got ${value ?? 'nothing'})`);
      }
      args.durationSeconds = seconds;
    } else if (flag === '--help' || flag === '-h') {
      console.log('usage: npm run demo [-- --duration SECONDS]');
      process.exit(0);
    } else {
      throw new Error(`unknown argument ${arg} (usage: npm run demo [-- --duration SECONDS])`);
    }
  }
  return args;
}

function say(message: string): void {
  console.log(`demo: ${message}`);
}

/** Zipf-like pick in [0, n): low ids are read far more often, as real catalogues are. */
function zipfPick(n: number): number {
  return Math.min(n - 1, Math.floor(Math.pow(n + 1, Math.random()) - 1));
}

/**
 * Simulated application traffic: reads through the cache client (counted, so the optimiser sees
 * what is hot), with product pages loaded cache-aside on a miss, and users logging in.
 */
class TrafficSimulator {
  reads = 0;
  hits = 0;
  logins = 0;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly cache: CacheClient,
    private readonly temporal: WarmingClient['temporal'],
    private readonly originUrl: string,
  ) {}

  start(): void {
    this.timers.push(setInterval(() => void this.read().catch(() => undefined), 50));
    this.timers.push(setInterval(() => void this.login().catch(() => undefined), 1_500));
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
  }

  private async read(): Promise<void> {
    const roll = Math.random();
    const fixed = ['catalog:products', 'prices:current', 'page:home', 'config:feature-flags'];
    const key = roll < 0.6 ? (fixed[Math.floor(roll / 0.15)] as string) : `product:${zipfPick(500)}`;
    this.reads++;
    if (!key.startsWith('product:')) {
      if ((await this.cache.get(key)) !== null) this.hits++;
      return;
    }
    // A product page: cache-aside through the client (one origin call per miss storm).
    let missed = false;
    await this.cache.getOrCompute(
      key,
      async () => {
        missed = true;
        const response = await fetch(`${this.originUrl}/products/${key.slice('product:'.length)}`);
        return response.text();
      },
      { ttlSeconds: 600, tags: ['product'] },
    );
    if (!missed) this.hits++;
  }

  private async login(): Promise<void> {
    this.logins++;
    await notifyUserLoggedIn(this.temporal, `user-${1 + zipfPick(40)}`);
  }
}

/** The example config with its loaders pointed at the origin the demo started (its port may differ). */
function withOrigin(config: WarmingConfig, originUrl: string): WarmingConfig {
  return JSON.parse(JSON.stringify(config).replaceAll(EXAMPLE_ORIGIN, originUrl)) as WarmingConfig;
}

/** If this process dies without cleaning up, its detached servers must not outlive it. */
function killOnExit(pid: number): void {
  process.once('exit', () => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already stopped
    }
  });
}

async function tasksSnapshot(warming: WarmingClient): Promise<TaskStatus[]> {
  try {
    return await warming.listTasks();
  } catch {
    return [];
  }
}

async function run(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const { ports, moved } = await chooseDemoPorts();

  // The demo owns shutdown order (final stats need the worker), so the runtime must not stop it on SIGINT.
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const cleanups: (() => Promise<void>)[] = [];
  let stopping = false;
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((resolveStop) => (wake = resolveStop));
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping`);
    wake();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGHUP', () => onSignal('SIGHUP'));

  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch((err: unknown) => say(`cleanup: ${String(err)}`));
  };

  try {
    say(
      `starting the Temporal dev server on :${ports.temporal} with its UI at http://127.0.0.1:${ports.ui} (state in .data/temporal.db)`,
    );
    // Detached: Ctrl-C reaches only this process, which stops the worker before the servers.
    const temporal = await startTemporalDevServer({
      port: ports.temporal,
      uiPort: ports.ui,
      dbFile: resolve(ROOT, '.data/temporal.db'),
      detached: true,
    });
    killOnExit(temporal.pid);
    cleanups.push(() => temporal.stop());
    const redisServer = await startRedisServer({
      port: ports.redis,
      dataDir: resolve(ROOT, '.data/redis'),
      detached: true,
    });
    killOnExit(redisServer.pid);
    cleanups.push(() => redisServer.stop());
    say(`Redis on ${redisServer.url} (saved to .data/redis on exit)`);
    await waitForTemporal(temporal.address);
    const origin: DemoOrigin = await startDemoOrigin({ port: ports.origin });
    cleanups.push(() => origin.close());
    say(`demo origin on ${origin.url} (answers in 20-450 ms, like a database behind an API)`);

    process.env.TEMPORAL_ADDRESS = temporal.address;
    process.env.REDIS_URL = redisServer.url;
    const worker = await createWorker();
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
    });
    say(`worker polling ${worker.taskQueue} and ${worker.criticalTaskQueue}`);

    const warming = await createWarmingClient();
    cleanups.push(() => warming.close());
    const configPath = resolve(ROOT, 'examples/warming.config.json');
    const report = await warming.apply(withOrigin(loadConfigFile(configPath), origin.url));
    say(
      `applied examples/warming.config.json${origin.url === EXAMPLE_ORIGIN ? '' : ` (loaders on ${origin.url})`}: ` +
        `${report.created} created, ${report.updated} updated, ${report.unchanged} unchanged`,
    );
    for (const line of describeDemoPorts({ ports, moved })) say(line);
    if (ports.temporal !== DEFAULT_DEMO_PORTS.temporal || ports.redis !== DEFAULT_DEMO_PORTS.redis) {
      say(`warmctl against it: TEMPORAL_ADDRESS=${temporal.address} REDIS_URL=${redisServer.url} npx warmctl tasks`);
    }

    const readerRedis = createRedis({ url: redisServer.url });
    cleanups.push(async () => readerRedis.disconnect());
    const cache = createCacheClient({ redis: readerRedis });
    cleanups.push(() => cache.close());
    const reads = new TrafficSimulator(cache, warming.temporal, origin.url);
    reads.start();
    cleanups.push(async () => reads.stop());
    let nextOptimizeAt = Date.now() + OPTIMIZE_EVERY_MS;

    const started = Date.now();
    const deadline = args.durationSeconds ? started + args.durationSeconds * 1000 : Infinity;
    if (args.durationSeconds) say(`running for ${args.durationSeconds} s (Ctrl-C stops earlier)`);
    else say(`running until Ctrl-C; open http://127.0.0.1:${ports.ui} to watch the workflows`);

    while (!stopping && Date.now() < deadline) {
      await Promise.race([
        stopped,
        new Promise((r) => setTimeout(r, Math.min(PROGRESS_EVERY_MS, Math.max(0, deadline - Date.now())))),
      ]);
      if (stopping) break;
      const tasks = await tasksSnapshot(warming);
      const warms = tasks.reduce((sum, t) => sum + t.warmCount, 0);
      const failures = tasks.reduce((sum, t) => sum + t.failureCount, 0);
      const hitRatio = reads.reads ? Math.round((100 * reads.hits) / reads.reads) : 0;
      const elapsed = Math.round((Date.now() - started) / 1000);
      console.log(
        `[${String(elapsed).padStart(4)}s] tasks ${tasks.length} | warms ${warms} ok, ${failures} failed | reads ${reads.reads} (hit ${hitRatio}%) | logins ${reads.logins} | origin calls ${origin.requests}`,
      );
      if (Date.now() >= nextOptimizeAt && !stopping) {
        nextOptimizeAt = Date.now() + OPTIMIZE_EVERY_MS;
        await cache.flush();
        const cycle = await warming.optimize();
        const changes = cycle.changes.map((c) => `${c.taskId} ${c.fromMinutes}m->${c.toMinutes}m`).join(', ');
        say(
          `optimizer cycle ${cycle.cycle}: ${cycle.tasksOptimized} re-planned${changes ? ` (${changes})` : ''}; ` +
            `${cycle.hotKeys} hot keys, ${cycle.patternKeys.warmed} pattern keys warmed, ${cycle.taskWarms.length} task warms`,
        );
      }
    }

    reads.stop();
    const tasks = await tasksSnapshot(warming);
    console.log('\nFinal task status:');
    console.log(
      formatTable(
        ['TASK', 'KEY', 'INTERVAL', 'CRITICAL', 'WARMS', 'FAILS', 'LAST WARM', 'LOAD+WRITE'],
        tasks.map((t) => [
          t.taskId,
          t.cacheKey,
          `${t.intervalMinutes}m`,
          t.critical ? 'yes' : 'no',
          String(t.warmCount),
          String(t.failureCount),
          formatTime(t.lastWarmAt),
          // The warm's own time, as the stats below count it (not the wait for a free worker).
          t.lastResult?.result ? formatDurationMs(t.lastResult.result.durationMs) : '-',
        ]),
      ),
    );
    const present = tasks.length > 0 ? await readerRedis.exists(...tasks.map((t) => t.cacheKey)) : 0;
    const hitRatio = reads.reads ? ((100 * reads.hits) / reads.reads).toFixed(1) : '0';
    await cache.flush();
    const stats = await warming.stats({ sinceMs: started });
    console.log(
      `\n${present}/${tasks.length} task keys in Redis; ${reads.reads} simulated reads, ${hitRatio}% hits; ${reads.logins} logins; ${origin.requests} origin calls`,
    );
    console.log(
      `warming stats (from Temporal history, this run): ${stats.totalWarmings} warms, ${stats.succeeded} ok, ${stats.failed} failed, ` +
        `avg ${formatDurationMs(stats.avgDurationMs)}, p95 ${formatDurationMs(stats.p95DurationMs)}, efficiency ${stats.useful + stats.wasted > 0 ? `${stats.efficiencyScore}%` : '- (no warm replaced yet)'}, user preloads ${stats.userPreloads}`,
    );
    for (const [route, count] of [...origin.byRoute.entries()].sort()) console.log(`  ${route.padEnd(28)} ${count}`);
    if (present < tasks.length || tasks.length === 0)
      throw new Error(`only ${present} of ${tasks.length} task keys are in Redis`);
  } finally {
    await cleanup();
  }
  say('stopped everything it started; state kept in .data/ for the next run');
}

run().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
