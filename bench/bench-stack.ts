// Everything a bench run stands on: an in-memory Temporal dev server, its own redis-server, the
// bench origin and the product's worker (`dist/worker/main.js`), each a child process on free
// ports, stopped by stop() and killed outright if the bench process dies first.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  startRedisServer,
  startTemporalDevServer,
  stopProcess,
  waitForTemporal,
  type RedisServer,
  type TemporalDevServer,
} from '../scripts/local-stack';

/** Limits the worker runs with; the baselines get the same ones. */
export interface WorkerLimits {
  /** Loads in flight per origin (WARMING_ORIGIN_CONCURRENCY). */
  originConcurrency: number;
  /** Loads started per second per origin; 0 = off (WARMING_ORIGIN_RATE_PER_SECOND). */
  originRatePerSecond: number;
  /** Concurrent normal activities (WARMING_MAX_ACTIVITIES). */
  maxActivities: number;
}

/** What one worker process gets beyond its limits: e.g. its cache and heap for a baseline. */
export interface WorkerExtras {
  env?: Record<string, string>;
  nodeArgs?: readonly string[];
}

export interface ChildHandle {
  readonly pid: number;
  /** The last lines it printed, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface BenchStack {
  temporal: TemporalDevServer;
  redis: RedisServer;
  originUrl: string;
  originPid: number;
  taskQueue: string;
  /**
   * Starts a worker process (the product's `npm run worker` entry) and waits until it polls:
   * with `limits`, or with every `WARMING_*` setting at its shipped default (`'shipped'`), on the
   * stack's task queue unless `taskQueue` names another; `extra` adds environment variables and
   * node flags (after BENCH_WORKER_NODE_ARGS).
   */
  startWorker(limits: WorkerLimits | 'shipped', taskQueue?: string, extra?: WorkerExtras): Promise<ChildHandle>;
  /**
   * Starts a worker process for the floor shapes (bench/floors) on its own task queue, loading
   * the login sources from these URL templates; `maxCachedWorkflows` else the SDK's default.
   */
  startFloorWorker(
    taskQueue: string,
    loginUrls: Record<string, string>,
    options?: { maxCachedWorkflows?: number },
  ): Promise<ChildHandle>;
  /** Requests the origin has served so far. */
  originRequests(route?: 'item' | 'session' | 'navigation' | 'forms' | 'form'): Promise<number>;
  stop(): Promise<void>;
}

const pids = new Set<number>();
let exitHookInstalled = false;

/** If the bench dies without stopping its servers, they must not outlive it. */
function killOnExit(pid: number): void {
  pids.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of pids) {
      try {
        process.kill(child, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/** Spawns a node script and resolves once it prints a line matching `ready`. */
function startNode(
  script: string,
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  name: string,
  timeoutMs: number,
  nodeArgs: readonly string[] = [],
): Promise<{ handle: ChildHandle; match: RegExpExecArray }> {
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, script], {
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  killOnExit(child.pid as number);
  let output = '';
  const handle: ChildHandle = {
    pid: child.pid as number,
    output: () => output.trim().split('\n').slice(-5).join(' | '),
    stop: async () => {
      await stopProcess(child, 30_000);
      pids.delete(child.pid as number);
    },
  };
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} was not ready within ${timeoutMs} ms: ${handle.output()}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000);
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        // Keep draining its output so the child never blocks on a full pipe.
        child.stdout?.on('data', (more: Buffer) => (output = (output + more.toString()).slice(-8000)));
        resolveStart({ handle, match });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000)));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code ?? signal}: ${handle.output()}`));
    });
  });
}

/**
 * Extra node flags for worker processes, from BENCH_WORKER_NODE_ARGS (space separated), e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the worker and its workflow threads.
 */
function workerNodeArgs(): string[] {
  return (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
}

/** Resident set size of a process, in MiB (Linux). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) / 1024;
}

/** A process's resident memory when started and its peak since, sampled every 250 ms until stopped. */
export class RssSampler {
  readonly idleMiB: number;
  private peak: number;
  private readonly timer: NodeJS.Timeout;

  constructor(pid: number) {
    this.idleMiB = rssMiB(pid);
    this.peak = this.idleMiB;
    this.timer = setInterval(() => {
      try {
        this.peak = Math.max(this.peak, rssMiB(pid));
      } catch {
        // the process is stopping
      }
    }, 250);
  }

  get peakMiB(): number {
    return this.peak;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** CPU time (user + system) a process has used so far, in seconds (Linux, clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds used by each named process between two snapshots. */
export class CpuMeter {
  private readonly start: Map<string, number>;

  constructor(private readonly pids: Readonly<Record<string, number>>) {
    this.start = new Map(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  }

  /** Seconds of CPU per process since construction. */
  used(): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this.pids).map(([name, pid]) => [name, cpuSeconds(pid) - (this.start.get(name) ?? 0)]),
    );
  }
}

export async function startBenchStack(): Promise<BenchStack> {
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const server of started.reverse()) await server.stop().catch(() => undefined);
    started.length = 0;
  };
  try {
    const temporal = await startTemporalDevServer({});
    killOnExit(temporal.pid);
    started.push(temporal);
    const redis = await startRedisServer({});
    killOnExit(redis.pid);
    started.push(redis);
    const origin = await startNode(
      join(__dirname, 'origin-server.js'),
      process.env,
      /listening (\d+)/,
      'origin',
      15_000,
    );
    started.push(origin.handle);
    const originUrl = `http://127.0.0.1:${origin.match[1]}`;
    await waitForTemporal(temporal.address);
    const taskQueue = `bench-${process.pid}`;
    return {
      temporal,
      redis,
      originUrl,
      originPid: origin.handle.pid,
      taskQueue,
      async startWorker(limits, queue = taskQueue, extra = {}) {
        const env: NodeJS.ProcessEnv = {
          ...process.env,
          TEMPORAL_ADDRESS: temporal.address,
          TEMPORAL_NAMESPACE: 'default',
          TEMPORAL_TASK_QUEUE: queue,
          REDIS_URL: redis.url,
          WARMING_CONFIG: resolve(__dirname, 'no-config.json'),
          WARMING_LOG_LEVEL: 'WARN',
        };
        if (limits === 'shipped') {
          // What a user gets: no setting of the bench's shell may leak in.
          for (const name of Object.keys(env)) {
            if (name.startsWith('WARMING_') && name !== 'WARMING_CONFIG' && name !== 'WARMING_LOG_LEVEL')
              delete env[name];
          }
        } else {
          env.WARMING_ORIGIN_CONCURRENCY = String(limits.originConcurrency);
          env.WARMING_ORIGIN_RATE_PER_SECOND = String(limits.originRatePerSecond);
          env.WARMING_MAX_ACTIVITIES = String(limits.maxActivities);
        }
        delete env.TEMPORAL_PROFILE;
        delete env.REDIS_CLUSTER;
        delete env.WARMING_PREFIX;
        Object.assign(env, extra.env);
        const worker = await startNode(
          resolve(__dirname, '../worker/main.js'),
          env,
          /worker polling/,
          'worker',
          180_000,
          [...workerNodeArgs(), ...(extra.nodeArgs ?? [])],
        );
        return worker.handle;
      },
      async startFloorWorker(floorTaskQueue, loginUrls, options = {}) {
        const env: NodeJS.ProcessEnv = {
          ...process.env,
          TEMPORAL_ADDRESS: temporal.address,
          REDIS_URL: redis.url,
          FLOOR_TASK_QUEUE: floorTaskQueue,
          FLOOR_LOGIN_URLS: JSON.stringify(loginUrls),
          ...(options.maxCachedWorkflows !== undefined
            ? { FLOOR_MAX_CACHED_WORKFLOWS: String(options.maxCachedWorkflows) }
            : {}),
        };
        const worker = await startNode(
          join(__dirname, 'floors', 'floor-worker.js'),
          env,
          /floor worker polling/,
          'floor worker',
          180_000,
          workerNodeArgs(),
        );
        return worker.handle;
      },
      async originRequests(route) {
        const response = await fetch(`${originUrl}/__stats`);
        const stats = (await response.json()) as { requests: number; byRoute: Record<string, number> };
        return route === undefined ? stats.requests : (stats.byRoute[route] ?? 0);
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
