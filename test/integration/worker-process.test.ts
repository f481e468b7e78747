// `npm run worker` as a real process: it warms, serves Prometheus metrics (Temporal's and the
// warming counters), drains an in-flight warm on SIGTERM and exits 0, and refuses bad settings.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { findFreePort } from '../../scripts/local-stack';
import { createTestStack, testServers, uniqueName, waitFor, type TestStack } from '../helpers/test-env';
import { startTestOrigin, type TestOrigin } from '../helpers/test-origin';

const MAIN = resolve(__dirname, '../../dist/worker/main.js');
let stack: TestStack;
let origin: TestOrigin;

beforeAll(async () => {
  stack = await createTestStack(); // clients only: the worker under test is the separate process
  origin = await startTestOrigin();
});

afterAll(async () => {
  await stack?.close();
  await origin?.close();
});

interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startWorkerProcess(extraEnv: Record<string, string> = {}): WorkerProcess {
  const servers = testServers();
  let output = '';
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      TEMPORAL_ADDRESS: servers.temporalAddress,
      REDIS_URL: servers.redisUrl,
      TEMPORAL_TASK_QUEUE: stack.taskQueue,
      WARMING_PREFIX: stack.prefix,
      WARMING_CONFIG: '/nonexistent/warming.config.json',
      WARMING_LOG_LEVEL: 'WARN',
      ...extraEnv,
    },
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => output, exited };
}

test('serves Prometheus metrics with Temporal runtime metrics and warming counters', async () => {
  const metricsPort = await findFreePort();
  const worker = startWorkerProcess({ WARMING_METRICS_ADDRESS: `127.0.0.1:${metricsPort}` });
  try {
    await waitFor('the worker polling', () => worker.output().includes('worker polling'));
    const taskId = uniqueName('metrics');
    origin.route(`/${taskId}`, () => ({ body: 'twelve bytes' }));
    await stack.warming.apply({
      tasks: [
        { taskId, cacheKey: `${taskId}:v`, loader: { type: 'http', url: `${origin.url}/${taskId}` }, ttlSeconds: 60 },
      ],
    });
    await waitFor('the key', async () => (await stack.redis.get(`${taskId}:v`)) === 'twelve bytes');
    const metrics = await waitFor('warm counters exported', async () => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      return /cache_warm_attempts\S*\{[^}]*outcome="written"[^}]*source="task"[^}]*\} 1\b/.test(text)
        ? text
        : undefined;
    });
    expect(metrics).toMatch(/cache_warm_bytes\S*\{[^}]*\} 12\b/);
    expect(metrics).toMatch(/cache_warm_duration\S*_bucket/);
    expect(metrics).toMatch(/temporal_activity_execution_latency/);
  } finally {
    worker.child.kill('SIGTERM');
    await worker.exited;
  }
});

test('SIGTERM lets an in-flight warm finish, then the worker exits 0', async () => {
  const worker = startWorkerProcess();
  await waitFor('the worker polling', () => worker.output().includes('worker polling'));
  const taskId = uniqueName('drain');
  origin.route(`/${taskId}`, () => ({ body: 'slow value', delayMs: 1_500 }));
  await stack.warming.apply({
    tasks: [
      { taskId, cacheKey: `${taskId}:v`, loader: { type: 'http', url: `${origin.url}/${taskId}` }, ttlSeconds: 60 },
    ],
  });
  await waitFor('the load in flight', () => origin.inFlight() > 0);
  worker.child.kill('SIGTERM');
  expect(await worker.exited).toBe(0);
  expect(await stack.redis.get(`${taskId}:v`)).toBe('slow value');
  expect(worker.output()).toContain('worker drained and stopped');
});

test.each([
  [{ WARMING_MAX_ACTIVITIES: 'lots' }, /WARMING_MAX_ACTIVITIES must be an integer >= 1/],
  [{ WARMING_MAX_CACHED_WORKFLOWS: '-5' }, /WARMING_MAX_CACHED_WORKFLOWS must be an integer >= 0/],
  [{ REDIS_URL: 'http://nope' }, /REDIS_URL must start with redis:\/\/ or rediss:\/\//],
  [{ WARMING_METRICS_ADDRESS: 'everywhere' }, /WARMING_METRICS_ADDRESS must be host:port/],
  [{ WARMING_LOG_LEVEL: 'LOUD' }, /WARMING_LOG_LEVEL must be one of/],
])('refuses a bad setting %j with one line and a non-zero exit', async (env, message) => {
  const worker = startWorkerProcess(env);
  expect(await worker.exited).toBe(1);
  expect(worker.output().trim().split('\n')).toHaveLength(1);
  expect(worker.output()).toMatch(message);
});
