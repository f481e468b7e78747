// A worker for the floor shapes, as a process of its own so its CPU is measured apart from the
// product's: TEMPORAL_ADDRESS, REDIS_URL, FLOOR_TASK_QUEUE and FLOOR_LOGIN_URLS (JSON) from the
// environment, and FLOOR_MAX_CACHED_WORKFLOWS (else the SDK's default) to hold as many workflows as
// the product's worker (with the heap the product's worker gives its workflow threads for that
// cache, and its heap growth). Prints `floor worker polling` once ready; SIGTERM drains and exits.
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { Redis } from 'ioredis';
import { limitHeapGrowth, limitWorkflowThreadHeap } from '../../worker/worker-from-environment';
import { createFloorActivities, type FloorLoginUrls } from './floor-activities';

async function run(): Promise<void> {
  const address = required('TEMPORAL_ADDRESS');
  const taskQueue = required('FLOOR_TASK_QUEUE');
  const urls = JSON.parse(required('FLOOR_LOGIN_URLS')) as FloorLoginUrls;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const cache = process.env.FLOOR_MAX_CACHED_WORKFLOWS ? Number(process.env.FLOOR_MAX_CACHED_WORKFLOWS) : undefined;
  if (cache !== undefined) limitWorkflowThreadHeap(cache);
  limitHeapGrowth();
  const redis = new Redis(required('REDIS_URL'));
  const connection = await NativeConnection.connect({ address });
  try {
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowsPath: require.resolve('./floor-workflows'),
      activities: createFloorActivities(redis, urls),
      maxConcurrentActivityTaskExecutions: 20,
      ...(cache !== undefined ? { maxCachedWorkflows: cache } : {}),
    });
    console.log(`floor worker polling ${taskQueue}`);
    await worker.run();
  } finally {
    redis.disconnect();
    await connection.close();
  }
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

run().catch((err: unknown) => {
  console.error(`floor worker: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
