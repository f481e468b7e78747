// `npm run worker` as a real process: it warms, serves Prometheus metrics (Temporal's and the
// warming counters), drains an in-flight warm on SIGTERM and exits 0, and refuses bad settings.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { findFreePort, startRedisServer } from '../../scripts/local-stack';
import { testServers, uniqueName, waitFor } from '../helpers/test-env';
import { dashboardSelectors, exportedMetrics } from '../helpers/dashboard-queries';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';
import { userLoggedInSignal, userSessionWorkflow, userSessionWorkflowId } from '../../workflows';
import { LEGACY_LOGIN_WARNING } from '../../workflows/user-session';
import { HEAP_GROWING_PERCENT, workflowThreadHeapMiB } from '../../worker/workflow-cache-size';

const MAIN = resolve(__dirname, '../../dist/worker/main.js');
const stack = useTestStack({ worker: false }); // clients only: the worker under test is the separate process
const origin = useTestOrigin();

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

    // Every series the Grafana dashboard queries is exported, with the labels it filters on (a
    // failing warm first, so the failure counters exist too).
    const failing = uniqueName('metrics-fail');
    origin.route(`/${failing}`, () => ({ status: 404, body: 'gone' }));
    await stack.warming.apply({
      tasks: [
        { taskId, cacheKey: `${taskId}:v`, loader: { type: 'http', url: `${origin.url}/${taskId}` }, ttlSeconds: 60 },
        {
          taskId: failing,
          cacheKey: `${failing}:v`,
          loader: { type: 'http', url: `${origin.url}/${failing}` },
          ttlSeconds: 60,
        },
      ],
    });
    const exported = await waitFor('every dashboard series exported', async () => {
      const found = exportedMetrics(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text());
      return dashboardSelectors().every((s) => found.has(s.metric)) ? found : undefined;
    }).catch(async (err: Error) => {
      const found = exportedMetrics(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text());
      const missing = dashboardSelectors()
        .filter((s) => !found.has(s.metric))
        .map((s) => s.metric);
      throw new Error(`${err.message}: missing ${[...new Set(missing)].join(', ')}`);
    });
    for (const { metric, labels } of dashboardSelectors()) {
      expect({ metric, labels: labels.filter((label) => !exported.get(metric)?.has(label)) }).toEqual({
        metric,
        labels: [],
      });
    }
  } finally {
    worker.child.kill('SIGTERM');
    await worker.exited;
  }
});

test('a login through the release 0.1 path is served, logs its deprecation with the replacement, and is counted', async () => {
  const metricsPort = await findFreePort();
  const worker = startWorkerProcess({ WARMING_METRICS_ADDRESS: `127.0.0.1:${metricsPort}` });
  try {
    await waitFor('the worker polling', () => worker.output().includes('worker polling'));
    const userId = uniqueName('legacy');
    await stack.temporal.workflow.signalWithStart(userSessionWorkflow, {
      workflowId: userSessionWorkflowId(userId),
      taskQueue: stack.taskQueue,
      args: [{ userId }],
      signal: userLoggedInSignal,
      signalArgs: [{ userId }],
    });
    await waitFor('the deprecation warning', () => worker.output().includes(LEGACY_LOGIN_WARNING));
    expect(worker.output()).toContain('notifyUserLoggedIn (login shards)');
    await waitFor('the deprecated login counted', async () => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      return text
        .split('\n')
        .some(
          (line) =>
            line.startsWith('cache_warming_workflow_inputs_total') &&
            line.includes('fate="deprecated"') &&
            line.includes('input="userLoggedIn"') &&
            / 1$/.test(line),
        );
    });
    await stack.temporal.workflow.getHandle(userSessionWorkflowId(userId)).terminate('test done');
  } finally {
    worker.child.kill('SIGTERM');
    await worker.exited;
  }
});

test("sizes its workflow threads' heap for its cache when the process has no heap limit, and slows heap growth", async () => {
  const worker = startWorkerProcess({ WARMING_MAX_CACHED_WORKFLOWS: '500' });
  try {
    await waitFor('the worker polling', () => worker.output().includes('worker polling'));
    expect(worker.output()).toContain(
      `worker: workflow threads' heap ${workflowThreadHeapMiB(500)} MiB for a cache of 500 (set --max-old-space-size in NODE_OPTIONS to choose)`,
    );
    expect(worker.output()).toContain(
      `worker: heaps grow ${HEAP_GROWING_PERCENT} % past their live size between full collections (start node with --heap-growing-percent to choose)`,
    );
  } finally {
    worker.child.kill('SIGTERM');
  }
  expect(await worker.exited).toBe(0);
});

test('runs a prebuilt workflow bundle (WARMING_WORKFLOW_BUNDLE, as the image does)', async () => {
  const worker = startWorkerProcess({
    WARMING_WORKFLOW_BUNDLE: testServers().workflowBundlePath,
    WARMING_LOG_LEVEL: 'INFO', // a worker that bundles at start logs "Workflow bundle created"
  });
  try {
    await waitFor('the worker polling', () => worker.output().includes('worker polling'));
    const taskId = uniqueName('bundle');
    origin.route(`/${taskId}`, () => ({ body: 'from the bundle' }));
    await stack.warming.apply({
      tasks: [
        { taskId, cacheKey: `${taskId}:v`, loader: { type: 'http', url: `${origin.url}/${taskId}` }, ttlSeconds: 60 },
      ],
    });
    await waitFor('the key', async () => (await stack.redis.get(`${taskId}:v`)) === 'from the bundle');
    expect(worker.output()).not.toContain('Workflow bundle created');
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

test('serves /livez and /readyz: ready while polling with Redis connected, alive but not ready without Redis', async () => {
  const healthPort = await findFreePort();
  const redisServer = await startRedisServer();
  const worker = startWorkerProcess({ WARMING_HEALTH_ADDRESS: `127.0.0.1:${healthPort}`, REDIS_URL: redisServer.url });
  const probe = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${healthPort}${path}`);
    return { status: response.status, body: (await response.json()) as { workers: object; redis: string } };
  };
  try {
    await waitFor('the worker polling', () => worker.output().includes('worker polling'));
    const ready = await waitFor('ready', async () => {
      const answer = await probe('/readyz');
      return answer.status === 200 ? answer : undefined;
    });
    expect(ready.body).toEqual({ ok: true, workers: { main: 'RUNNING', critical: 'RUNNING' }, redis: 'ready' });
    // The image's HEALTHCHECK command, given the address as the image sets it (all interfaces).
    expect(await healthcheck(`0.0.0.0:${healthPort}`)).toEqual({ code: 0, stderr: '' });
    await redisServer.stop();
    const notReady = await waitFor('not ready without Redis', async () => {
      const answer = await probe('/readyz');
      return answer.status === 503 ? answer : undefined;
    });
    expect(notReady.body.redis).not.toBe('ready');
    expect((await probe('/livez')).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${healthPort}/metrics`)).status).toBe(404);
  } finally {
    worker.child.kill('SIGTERM');
    await worker.exited;
    await redisServer.stop();
  }
  expect(await worker.exited).toBe(0);
  const gone = await healthcheck(`0.0.0.0:${healthPort}`);
  expect(gone.code).toBe(1);
  expect(gone.stderr).toMatch(/^healthcheck: .*\n$/);
});

/** `node dist/worker/healthcheck.js`, as the Dockerfile's HEALTHCHECK runs it. */
function healthcheck(address: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolveRun) => {
    execFile(
      process.execPath,
      [resolve(__dirname, '../../dist/worker/healthcheck.js')],
      { env: { PATH: process.env.PATH ?? '', WARMING_HEALTH_ADDRESS: address } },
      (error, _stdout, stderr) => resolveRun({ code: error ? Number(error.code ?? 1) : 0, stderr }),
    );
  });
}

test.each([
  [{ WARMING_HEALTH_ADDRESS: 'anywhere' }, /WARMING_HEALTH_ADDRESS must be host:port/],
  [
    { WARMING_WORKFLOW_BUNDLE: '/nonexistent/bundle.js' },
    /WARMING_WORKFLOW_BUNDLE \/nonexistent\/bundle\.js does not exist/,
  ],
  [{ WARMING_MAX_ACTIVITIES: 'lots' }, /WARMING_MAX_ACTIVITIES must be an integer >= 1/],
  [{ WARMING_MAX_CACHED_WORKFLOWS: '-5' }, /WARMING_MAX_CACHED_WORKFLOWS must be an integer >= 0/],
  [{ REDIS_URL: 'http://nope' }, /REDIS_URL must start with redis:\/\/ or rediss:\/\//],
  [{ WARMING_METRICS_ADDRESS: 'everywhere' }, /WARMING_METRICS_ADDRESS must be host:port/],
  [{ WARMING_LOG_LEVEL: 'LOUD' }, /WARMING_LOG_LEVEL must be one of/],
  [{ WARMING_CRITICAL_QUEUE: 'off' }, /WARMING_CRITICAL_QUEUE must be on or auto \(got "off"\)/],
])('refuses a bad setting %j with one line and a non-zero exit', async (env, message) => {
  const worker = startWorkerProcess(env);
  expect(await worker.exited).toBe(1);
  expect(worker.output().trim().split('\n')).toHaveLength(1);
  expect(worker.output()).toMatch(message);
});
