// The Temporal server killed (SIGKILL) and restarted on its persisted SQLite database under a
// running worker process: every task workflow resumes its schedule, same run, counters intact.
import { Client, Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWarmingClient, type WarmingClient } from '../../client/warming-client';
import {
  findFreePort,
  startTemporalDevServer,
  waitForTemporal,
  type TemporalDevServer,
} from '../../scripts/local-stack';
import { taskWorkflowId } from '../../workflows';
import { testServers, uniqueName, waitFor } from '../helpers/test-env';
import { startTestOrigin, type TestOrigin } from '../helpers/test-origin';
import { killWorkerProcesses, startWorkerProcess } from '../helpers/worker-process';

jest.setTimeout(150_000);

const dir = mkdtempSync(join(tmpdir(), 'cw-temporal-restart-'));
const dbFile = join(dir, 'temporal.db');
let port: number;
let server: TemporalDevServer | undefined;
let connection: Connection | undefined;
let warming: WarmingClient | undefined;
let redis: Redis;
let origin: TestOrigin;

beforeAll(async () => {
  port = await findFreePort();
  server = await startTemporalDevServer({ port, dbFile });
  await waitForTemporal(server.address);
  origin = await startTestOrigin();
  redis = new Redis(testServers().redisUrl);
});

afterAll(async () => {
  await killWorkerProcesses();
  await warming?.close();
  await connection?.close();
  await server?.stop();
  redis?.disconnect();
  await origin?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('after a server crash and restart on its database every task workflow resumes its schedule', async () => {
  const taskQueue = uniqueName('tq-restart');
  const prefix = `${uniqueName('t')}:`;
  const address = (server as TemporalDevServer).address;
  connection = await Connection.connect({ address });
  warming = await createWarmingClient({
    client: new Client({ connection }),
    redis,
    taskQueue,
    prefix,
    workerTimeoutMs: 20_000,
  });
  const worker = startWorkerProcess({
    TEMPORAL_ADDRESS: address,
    REDIS_URL: testServers().redisUrl,
    TEMPORAL_TASK_QUEUE: taskQueue,
    WARMING_PREFIX: prefix,
  });
  await worker.polling();
  const tasks = [0, 1, 2].map((i) => {
    const taskId = uniqueName(`restart${i}`);
    origin.route(`/${taskId}`, (_req, hit) => ({ body: `v${hit}` }));
    return {
      taskId,
      cacheKey: `${taskId}:v`,
      loader: { type: 'http' as const, url: `${origin.url}/${taskId}` },
      ttlSeconds: 600,
      intervalMinutes: 0.05,
      critical: i === 2,
    };
  });
  await warming.apply({ tasks });
  const client = warming;
  const before = await Promise.all(
    tasks.map((task) =>
      waitFor(`the first warm of ${task.taskId}`, async () => {
        const status = await client.status(task.taskId);
        return status.warmCount >= 1 ? status : undefined;
      }),
    ),
  );
  const runIds = await Promise.all(
    tasks.map(async (task) => (await client.temporal.workflow.getHandle(taskWorkflowId(task.taskId)).describe()).runId),
  );

  process.kill((server as TemporalDevServer).pid, 'SIGKILL');
  await server?.stop(); // resolves once the killed process is gone
  server = undefined;
  // Holding the outage across at least one scheduled warm time (3 s) of every task.
  await new Promise((r) => setTimeout(r, 4_000));
  const restartedAt = Date.now();
  server = await startTemporalDevServer({ port, dbFile });
  await waitForTemporal(server.address);

  for (const [i, task] of tasks.entries()) {
    const after = await waitFor(
      `two warms of ${task.taskId} after the restart`,
      async () => {
        const status = await client.status(task.taskId);
        return status.warmCount >= (before[i]?.warmCount ?? 0) + 2 ? status : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    // The same run carried on: counters kept, not restarted from scratch.
    expect(after.since).toBe(before[i]?.since);
    expect(Date.parse(after.lastWarmAt ?? '')).toBeGreaterThan(restartedAt);
    const description = await client.temporal.workflow.getHandle(taskWorkflowId(task.taskId)).describe();
    expect(description.status.name).toBe('RUNNING');
    expect(description.runId).toBe(runIds[i]);
  }
  // The worker rode out the outage instead of exiting.
  expect(worker.alive()).toBe(true);
  await Promise.all(tasks.map((task) => client.remove(task.taskId, 'test done')));
  for (const task of tasks) {
    expect(await redis.get(task.cacheKey)).toBe(`v${origin.hitsFor(`/${task.taskId}`)}`); // the latest load won
  }
  await worker.stop();
  expect(await worker.exited).toBe(0);
});
