// What integration tests share: the servers from global setup, unique names, a worker per test
// file on its own task queue and key prefix, and waiting on conditions (never sleeping).
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import type { WarmingLimits } from '../../activities/limits';
import type { LoaderRegistry } from '../../activities/loaders';
import { createWarmingClient, type WarmingClient } from '../../client/warming-client';
import { createWorker, type WarmingWorker } from '../../worker/create-worker';

export interface TestServers {
  temporalAddress: string;
  redisUrl: string;
  workflowBundlePath: string;
}

export function testServers(): TestServers {
  const temporalAddress = process.env.CW_TEST_TEMPORAL_ADDRESS;
  const redisUrl = process.env.CW_TEST_REDIS_URL;
  const workflowBundlePath = process.env.CW_TEST_WORKFLOW_BUNDLE;
  if (!temporalAddress || !redisUrl || !workflowBundlePath) {
    throw new Error('test servers are missing: run the tests through jest so test/global-setup.ts starts them');
  }
  return { temporalAddress, redisUrl, workflowBundlePath };
}

/** A name unique to this run and call: `prefix-<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

let runtimeInstalled = false;
/** Quiets the Temporal runtime's logger to warnings (once per process). */
export function quietTemporalRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by another test file in this process.
  }
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/** Polls until `check` returns a value other than undefined/false; fails after the deadline with what it last saw. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
}

/** Waits until each of `taskIds` has warmed at least `count` times, as its task status counts. */
export async function waitForWarmCounts(
  warming: { status(taskId: string): Promise<{ warmCount: number }> },
  taskIds: readonly string[],
  count: number,
): Promise<void> {
  await waitFor(`${taskIds.length} tasks warmed ${count} times`, async () => {
    for (const taskId of taskIds) if ((await warming.status(taskId)).warmCount < count) return false;
    return true;
  });
}

/**
 * Asserts that `read` keeps returning the same value for `durationMs`. Only for proving that
 * something does NOT happen (a paused schedule); effects are awaited with waitFor.
 */
export async function expectUnchangedFor<T>(durationMs: number, read: () => Promise<T>): Promise<void> {
  const first = await read();
  const deadline = Date.now() + durationMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    const now = await read();
    if (JSON.stringify(now) !== JSON.stringify(first)) {
      throw new Error(
        `expected no change for ${durationMs} ms, but ${JSON.stringify(first)} became ${JSON.stringify(now)}`,
      );
    }
  }
}

export interface TestStack {
  taskQueue: string;
  prefix: string;
  redis: Redis;
  temporal: Client;
  warming: WarmingClient;
  /** The running worker (after startWorker). */
  readonly worker: WarmingWorker;
  /** Creates and starts a worker in the background. */
  startWorker(): Promise<void>;
  /** Stops the worker (if started) and waits for it to drain. */
  stopWorker(): Promise<void>;
  /** Closes `resource` (a cache client on the stack's Redis, say) when the stack closes, before its own connections. */
  adopt<T extends { close(): unknown }>(resource: T): T;
  /** Stops everything this stack opened or adopted. */
  close(): Promise<void>;
}

/**
 * The environment a separate process (a worker, warmctl) needs to join `stack`: the shared
 * servers, its task queue, prefix and optimiser.
 */
export function stackEnv(stack: TestStack): Record<string, string> {
  const servers = testServers();
  return {
    TEMPORAL_ADDRESS: servers.temporalAddress,
    REDIS_URL: servers.redisUrl,
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    WARMING_PREFIX: stack.prefix,
    WARMING_OPTIMIZER_ID: stack.warming.optimizerWorkflowId,
    ...(stack.warming.instance !== undefined ? { WARMING_INSTANCE: stack.warming.instance } : {}),
  };
}

export interface TestStackOptions {
  loaders?: LoaderRegistry;
  limits?: Partial<WarmingLimits>;
  maxConcurrentActivities?: number;
  criticalMaxConcurrentActivities?: number;
  criticalQueue?: 'on' | 'auto';
  criticalCheckIntervalMs?: number;
  /** The warming client's instance name; with one, the optimiser's id is the one it gives. Default none. */
  instance?: string;
}

/** A worker, clients and a Redis connection isolated by task queue and key prefix. */
export async function createTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  quietTemporalRuntime();
  const servers = testServers();
  const taskQueue = uniqueName('tq');
  const prefix = `${uniqueName('t')}:`;
  const redis = new Redis(servers.redisUrl, { enableAutoPipelining: true });
  const connection = await Connection.connect({ address: servers.temporalAddress });
  const temporal = new Client({ connection });
  // Each stack has its own optimiser: the default id `warm-optimizer` is one per namespace, and
  // an instance's is `<instance>/warm-optimizer`.
  const warming = await createWarmingClient({
    client: temporal,
    redis,
    taskQueue,
    prefix,
    workerTimeoutMs: 20_000,
    ...(options.instance !== undefined
      ? { instance: options.instance }
      : { optimizerWorkflowId: uniqueName('optimizer') }),
  });
  const nativeConnection = await NativeConnection.connect({ address: servers.temporalAddress });
  const makeWorker = () =>
    createWorker({
      connection: nativeConnection,
      taskQueue,
      redis,
      prefix,
      loaders: options.loaders,
      limits: options.limits,
      maxConcurrentActivities: options.maxConcurrentActivities,
      criticalMaxConcurrentActivities: options.criticalMaxConcurrentActivities,
      criticalQueue: options.criticalQueue,
      criticalCheckIntervalMs: options.criticalCheckIntervalMs,
      workflowBundle: { codePath: servers.workflowBundlePath },
      shutdownGraceTime: '5s',
    });
  let worker: WarmingWorker | undefined;
  let running: Promise<void> | undefined;
  const adopted: { close(): unknown }[] = [];
  const stack: TestStack = {
    taskQueue,
    prefix,
    redis,
    temporal,
    warming,
    get worker(): WarmingWorker {
      if (!worker) throw new Error('no worker: call startWorker() first');
      return worker;
    },
    async startWorker() {
      if (running) throw new Error('worker already running');
      // Created only when started: a created worker holds the connection until it has run.
      worker = await makeWorker();
      running = worker.run();
    },
    async stopWorker() {
      if (!running || !worker) return;
      worker.shutdown();
      await running;
      running = undefined;
      worker = undefined;
    },
    adopt(resource) {
      adopted.push(resource);
      return resource;
    },
    async close() {
      for (const resource of adopted.splice(0).reverse()) await resource.close();
      await stack.stopWorker();
      await warming.close();
      await connection.close();
      await nativeConnection.close();
      redis.disconnect();
    },
  };
  return stack;
}
