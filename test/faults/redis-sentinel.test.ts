// Redis behind Sentinel: a real worker process configured only through REDIS_SENTINELS and
// REDIS_SENTINEL_NAME finds the master through three real redis-sentinel processes, keeps warming
// through a SENTINEL FAILOVER (its writes land on the promoted replica), and the cache client and
// warming client follow the same way.
import { Redis } from 'ioredis';
import { createCacheClient } from '../../cache/cache-client';
import { createWarmingClient, type WarmingClient } from '../../client/warming-client';
import { createRedis, readRedisEnvironment } from '../../config/redis-connection';
import { taskWorkflowId } from '../../workflows';
import { startRedisSentinelGroup, type LocalRedisSentinel } from '../helpers/redis-sentinel';
import { testServers, uniqueName, waitFor } from '../helpers/test-env';
import { killWorkerProcesses, startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

jest.setTimeout(120_000);

let group: LocalRedisSentinel;
const stack = useTestStack({ worker: false }); // Temporal clients only; Redis here is the Sentinel group
const origin = useTestOrigin();
let warming: WarmingClient;
let sentinelRedis: ReturnType<typeof createRedis>;
let worker: WorkerProcess;
const direct: Redis[] = [];
let sentinelEnv: Record<string, string>;

beforeAll(async () => {
  group = await startRedisSentinelGroup();
  sentinelEnv = { REDIS_SENTINELS: group.sentinelList, REDIS_SENTINEL_NAME: group.name, WARMING_PREFIX: stack.prefix };
  sentinelRedis = createRedis(readRedisEnvironment(sentinelEnv));
  warming = await createWarmingClient({
    client: stack.temporal,
    redis: sentinelRedis,
    taskQueue: stack.taskQueue,
    prefix: stack.prefix,
    workerTimeoutMs: 20_000,
    optimizerWorkflowId: uniqueName('optimizer'),
  });
  worker = startWorkerProcess({
    TEMPORAL_ADDRESS: testServers().temporalAddress,
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    ...sentinelEnv,
  });
  await worker.polling();
});

afterAll(async () => {
  await killWorkerProcesses();
  for (const redis of direct) redis.disconnect();
  await warming?.close();
  sentinelRedis?.disconnect();
  await group?.stop();
});

/** A plain connection to one server of the group, bypassing Sentinel. */
function serverAt(port: number): Redis {
  const redis = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 1 });
  direct.push(redis);
  return redis;
}

const hitOf = (value: string | null) => Number(/-v(\d+)$/.exec(value ?? '')?.[1] ?? 0);

test('warming goes on through a Sentinel failover, on the promoted replica', async () => {
  const taskId = uniqueName('sentinel');
  origin.route(`/${taskId}`, (_req, hit) => ({ body: `${taskId}-v${hit}` }));
  const cacheKey = `${taskId}:v`;
  // A warm every 1.2 s, so several fall into the failover.
  await warming.apply({
    tasks: [
      {
        taskId,
        cacheKey,
        loader: { type: 'http', url: `${origin.url}/${taskId}` },
        ttlSeconds: 600,
        intervalMinutes: 0.02,
      },
    ],
  });
  const firstMaster = await group.masterPort();
  await waitFor('warms on the first master', async () => hitOf(await serverAt(firstMaster).get(cacheKey)) >= 2, {
    timeoutMs: 30_000,
  });

  const newMaster = await group.failover();
  expect(newMaster).not.toBe(firstMaster);
  const atFailover = hitOf(await serverAt(newMaster).get(cacheKey));
  // The old master is a replica now: whatever lands on the new master was written through Sentinel.
  await waitFor('the old master demoted', async () =>
    (await serverAt(firstMaster).info('replication')).includes('role:slave'),
  );
  const after = await waitFor(
    'three more warms written to the new master',
    async () => {
      const hit = hitOf(await serverAt(newMaster).get(cacheKey));
      return hit >= atFailover + 3 ? hit : undefined;
    },
    { timeoutMs: 60_000 },
  );
  expect(after).toBeGreaterThanOrEqual(atFailover + 3);

  const description = await stack.temporal.workflow.getHandle(taskWorkflowId(taskId)).describe();
  expect(description.status.name).toBe('RUNNING');
  const status = await warming.status(taskId);
  expect(status.warmCount).toBeGreaterThanOrEqual(after - status.failureCount);
  expect(worker.alive()).toBe(true);

  // Applications reading through the cache client follow Sentinel from the same variables.
  const previous = { ...process.env };
  Object.assign(process.env, sentinelEnv);
  const cache = createCacheClient({ prefix: stack.prefix });
  Object.assign(process.env, previous);
  for (const key of Object.keys(sentinelEnv)) if (!(key in previous)) delete process.env[key];
  try {
    expect(hitOf((await cache.get(cacheKey)) as string | null)).toBeGreaterThan(atFailover);
  } finally {
    await cache.close();
  }
  await warming.remove(taskId);
});
