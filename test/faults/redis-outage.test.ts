// Redis going away under a running worker process: stopped and restarted on the same port, or
// frozen (SIGSTOP) and thawed. Warms retry and complete, no workflow fails, the worker stays up.
import { createCacheClient } from '../../cache/cache-client';
import { findFreePort, startRedisServer, type RedisServer } from '../../scripts/local-stack';
import { taskWorkflowId } from '../../workflows';
import { expectUnchangedFor, testServers, uniqueName, waitFor } from '../helpers/test-env';
import { killWorkerProcesses, startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { Redis } from 'ioredis';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

jest.setTimeout(120_000);

const stack = useTestStack({ worker: false }); // clients only; the worker is a process on its own Redis
const origin = useTestOrigin();
let port: number;
let redisServer: RedisServer | undefined;
let redis: Redis;
let worker: WorkerProcess;

beforeAll(async () => {
  port = await findFreePort();
  redisServer = await startRedisServer({ port });
  redis = new Redis(redisServer.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined); // this test stops the server on purpose
  worker = startWorkerProcess({
    TEMPORAL_ADDRESS: testServers().temporalAddress,
    REDIS_URL: redisServer.url,
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    WARMING_PREFIX: stack.prefix,
  });
  await worker.polling();
});

afterAll(async () => {
  await killWorkerProcesses();
  redis?.disconnect();
  await redisServer?.stop();
});

/** A task warmed only when forced (a long interval), whose origin answers `v<hit>`. */
async function applyCounterTask(intervalMinutes = 600) {
  const taskId = uniqueName('outage');
  const path = `/${taskId}`;
  origin.route(path, (_req, hit) => ({ body: `v${hit}` }));
  const cacheKey = `${taskId}:v`;
  await stack.warming.apply({
    tasks: [
      { taskId, cacheKey, loader: { type: 'http', url: `${origin.url}${path}` }, ttlSeconds: 600, intervalMinutes },
    ],
  });
  await waitFor('the first warm', async () => (await redis.get(cacheKey)) === 'v1');
  return { taskId, path, cacheKey };
}

async function expectRunning(taskId: string) {
  const description = await stack.temporal.workflow.getHandle(taskWorkflowId(taskId)).describe();
  expect(description.status.name).toBe('RUNNING');
}

test('a warm during a Redis restart is retried and completes once Redis is back', async () => {
  const { taskId, path, cacheKey } = await applyCounterTask();
  await redisServer?.stop();
  redisServer = undefined;
  const warming = stack.warming.warm(taskId, { reason: 'during outage' });
  await waitFor('the warm to start', async () => (await stack.warming.status(taskId)).state === 'warming');
  // A load takes its version from Redis first: while Redis is down no attempt reaches the origin.
  await expectUnchangedFor(3_000, async () => origin.hitsFor(path));
  redisServer = await startRedisServer({ port }); // empty: no persistence
  const outcome = await warming;
  expect(outcome).toMatchObject({ ok: true, result: { written: true } });
  expect(outcome?.result?.attempt).toBeGreaterThanOrEqual(2);
  expect(await redis.get(cacheKey)).toBe(`v${origin.hitsFor(path)}`);
  const status = await stack.warming.status(taskId);
  expect(status).toMatchObject({ warmCount: 2, failureCount: 0 });
  await expectRunning(taskId);
  expect(worker.alive()).toBe(true);
});

test('a warm while Redis is frozen (SIGSTOP) completes when it thaws', async () => {
  const { taskId, path, cacheKey } = await applyCounterTask();
  const server = redisServer as RedisServer;
  process.kill(server.pid, 'SIGSTOP');
  let thawed = false;
  try {
    const warming = stack.warming.warm(taskId, { reason: 'while frozen' });
    await waitFor('the warm to start', async () => (await stack.warming.status(taskId)).state === 'warming');
    // Holding the fault (not waiting for an effect): the warm waits on the frozen server for the
    // load's version (read from Redis before the load), so the origin is not called yet.
    await new Promise((r) => setTimeout(r, 6_000));
    expect(origin.hitsFor(path)).toBe(1);
    process.kill(server.pid, 'SIGCONT');
    thawed = true;
    const outcome = await warming;
    // The same attempt finished: no client-side timeout turned the freeze into a failure or a second load.
    expect(outcome).toMatchObject({ ok: true, result: { written: true, attempt: 1 } });
    expect(origin.hitsFor(path)).toBe(2);
    expect(await redis.get(cacheKey)).toBe(`v${origin.hitsFor(path)}`);
  } finally {
    if (!thawed) process.kill(server.pid, 'SIGCONT');
  }
  expect(await stack.warming.status(taskId)).toMatchObject({ warmCount: 2, failureCount: 0 });
  await expectRunning(taskId);
  expect(worker.alive()).toBe(true);
});

test('an outage longer than the retries fails that warm, keeps the workflow, and the schedule recovers', async () => {
  const { taskId, cacheKey } = await applyCounterTask(0.1);
  await redisServer?.stop();
  redisServer = undefined;
  const failed = await waitFor(
    'the warm failed after its retries',
    async () => {
      const status = await stack.warming.status(taskId);
      return status.failureCount >= 1 ? status : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  expect(failed.lastResult?.ok).toBe(false);
  await expectRunning(taskId);
  redisServer = await startRedisServer({ port });
  const recovered = await waitFor(
    'a scheduled warm after Redis is back',
    async () => {
      const status = await stack.warming.status(taskId);
      return status.lastResult?.ok && status.warmCount > failed.warmCount ? status : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );
  expect(recovered.lastError).toBeNull();
  expect(await redis.get(cacheKey)).toMatch(/^v\d+$/);
  await expectRunning(taskId);
  expect(worker.alive()).toBe(true);
});

test('the cache client reports a Redis outage as a rejected read and works again afterwards', async () => {
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined); // the reconnect notices
  const client = createCacheClient({
    redisUrl: (redisServer as RedisServer).url,
    prefix: stack.prefix,
    logger: { warn: () => undefined },
  });
  try {
    await client.getOrCompute('outage:read', () => 'computed', { ttlSeconds: 60 });
    await redisServer?.stop();
    redisServer = undefined;
    await expect(client.get('outage:read')).rejects.toThrow();
    redisServer = await startRedisServer({ port });
    await waitFor('reads working again', async () => (await client.get('outage:read')) === null);
    expect(await client.getOrCompute('outage:read', () => 'again', { ttlSeconds: 60 })).toBe('again');
  } finally {
    await client.close();
    warn.mockRestore();
  }
});
